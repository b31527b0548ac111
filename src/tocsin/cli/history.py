"""`tocsin history`: import published alert history (and list what was imported)."""

from __future__ import annotations

import getpass
from pathlib import Path
from typing import Annotated

import orjson
import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from tocsin.bootstrap import Tocsin
from tocsin.cli.common import (
    console,
    current_settings,
    errors,
    handle_errors,
    with_tocsin,
)
from tocsin.domain.auth import Actor, Role
from tocsin.records.domain.history import BatchDone, ImportRecord
from tocsin.records.history.formats import FORMATS
from tocsin.records.history.importer import DEFAULT_BATCH, HistoryImporter, ImportReport
from tocsin.records.storage.history_store import HistoryStore

app = typer.Typer(help="Alert history: import published data sets.", no_args_is_help=True)
SHOWN = 50


@app.command("import")
@handle_errors
def import_(
    file: Annotated[Path, typer.Argument(help="the data file", exists=True, dir_okay=False)],
    fmt: Annotated[
        str,
        typer.Option("--format", help=f"one of: {', '.join(FORMATS)} (see docs/history.md)"),
    ],
    source: Annotated[
        str | None,
        typer.Option(help="name recorded as the alerts' source [format, or the file's stem]"),
    ] = None,
    on_error: Annotated[
        str,
        typer.Option(
            help="skip: import the good rows and report the bad; abort: write nothing "
            "if any row is bad"
        ),
    ] = "skip",
    batch_size: Annotated[int, typer.Option(min=1, help="rows per transaction")] = DEFAULT_BATCH,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="check every row, write nothing")
    ] = False,
    json: Annotated[bool, typer.Option("--json", help="print the report as JSON")] = False,
) -> None:
    """Import an alert history file; a second import of the same rows adds nothing, and an
    interrupted import resumes after its last committed batch."""
    if on_error not in ("skip", "abort"):
        raise typer.BadParameter("--on-error must be skip or abort")
    settings = current_settings()
    total = _lines(file)

    async def go(tocsin: Tocsin) -> ImportReport:
        importer = HistoryImporter(tocsin.bus, tocsin.store)
        with _progress(json) as progress:
            task = progress.add_task(f"importing {file.name}", total=total)

            def advance(done: BatchDone) -> None:
                progress.update(task, completed=done.last_line)

            report = await importer.run(
                file,
                fmt,
                actor=Actor(name=f"cli:{_user()}", role=Role.ADMIN, origin="cli"),
                source=source,
                on_error="abort" if on_error == "abort" else "skip",
                batch_size=batch_size,
                dry_run=dry_run,
                on_batch=advance,
            )
            progress.update(task, completed=total)
        return report

    report = with_tocsin(settings, go)
    if json:
        console.print_json(orjson.dumps(report_json(report)).decode())
    else:
        _print(report)
    if report.aborted or report.unusable:
        raise typer.Exit(2)


@app.command("list")
@handle_errors
def list_() -> None:
    """The files imported so far, and how far each import got."""
    settings = current_settings()

    async def go(tocsin: Tocsin) -> list[ImportRecord]:
        return await HistoryStore(tocsin.store.engine).all()

    records = with_tocsin(settings, go)
    if not records:
        console.print("no history imported yet")
        return
    for r in records:
        state = f"done {r.finished_at:%Y-%m-%d %H:%M}" if r.finished_at else "interrupted"
        console.print(
            f"[bold]{r.source}[/] ({r.format}) {Path(r.file).name}: up to line {r.last_line}, "
            f"{r.added} added, {r.existing} already present, {r.rejected} rejected; {state}",
            highlight=False,
        )


def report_json(report: ImportReport) -> dict[str, object]:
    return {
        "file": report.file,
        "format": report.format,
        "source": report.source,
        "fingerprint": report.fingerprint,
        "rows": report.rows,
        "added": report.added,
        "already_present": report.existing,
        "rejected": report.rejected,
        "bad_rows": [{"line": b.line, "reason": b.reason} for b in report.bad],
        "resumed_after_line": report.resumed_after,
        "already_imported": report.already_imported,
        "aborted": report.aborted,
        "dry_run": report.dry_run,
        "batches": report.batches,
        "seconds": round(report.seconds, 3),
    }


def _print(report: ImportReport) -> None:
    if report.already_imported:
        console.print(
            f"{escape(report.file)} was imported before (same content, same format): nothing "
            f"added; {report.existing} alerts from it are in the store"
        )
        return
    if report.resumed_after is not None:
        console.print(f"resumed after line {report.resumed_after}")
    verb = "checked" if report.dry_run or report.aborted else "imported"
    console.print(
        f"{verb} {escape(report.file)} as {escape(report.source)}: {report.rows} rows, "
        f"{report.added} alerts added, {report.existing} already present, "
        f"{report.rejected} rejected "
        f"({report.seconds:.1f} s)"
    )
    if report.bad:
        table = Table("line", "reason", box=None)
        for bad in report.bad[:SHOWN]:
            table.add_row(str(bad.line), escape(bad.reason))
        errors.print(table)
        if len(report.bad) > SHOWN:
            errors.print(f"… and {len(report.bad) - SHOWN} more (--json lists them all)")
    if report.aborted:
        errors.print(
            "[bold red]aborted[/]: nothing was written (--on-error skip imports the good rows)"
        )
    elif report.unusable:
        errors.print("[bold red]nothing imported[/]: not one row could be used")


def _progress(quiet: bool) -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("lines"),
        TimeElapsedColumn(),
        console=errors,
        disable=quiet,
        transient=False,
    )


def _lines(file: Path) -> int:
    with file.open("rb") as handle:
        return max(1, sum(chunk.count(b"\n") for chunk in iter(lambda: handle.read(1 << 20), b"")))


def _user() -> str:
    try:
        return getpass.getuser()
    except Exception:
        return "unknown"
