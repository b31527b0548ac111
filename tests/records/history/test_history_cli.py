"""`tocsin history import`, `tocsin stats …` and `tocsin replay` against the local database."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from history_support import cli, head, invoke, official, runner


def test_import_then_ask(database_url: str, tmp_path: Path) -> None:
    path = head(official(), 400, tmp_path / "official_data_en.csv")
    report = json.loads(
        invoke(database_url, "history", "import", str(path), "--format", "ua-official", "--json")
    )
    assert (report["added"], report["rejected"]) == (399, 1)
    assert report["bad_rows"][0]["line"] == 18
    again = json.loads(
        invoke(database_url, "history", "import", str(path), "--format", "ua-official", "--json")
    )
    assert again["already_imported"] and again["added"] == 0
    assert "ua-official" in invoke(database_url, "history", "list")
    stats = json.loads(
        invoke(
            database_url,
            "stats",
            "region",
            "UA-63",
            "--since",
            "2022-03-15",
            "--until",
            "2022-03-20",
            "--json",
        )
    )
    assert stats["count"] > 0 and stats["seconds"] > 0
    days = ("--from", "2022-03-15", "--to", "2022-03-19", "--json")
    assert json.loads(invoke(database_url, "stats", "region", "UA-63", *days)) == stats
    both = ("--from", "2022-03-15", "--since", "2022-03-15")
    invoke(database_url, "stats", "region", "UA", *both, code=2)
    text = invoke(database_url, "stats", "region", "UA-63")
    assert "Kharkiv Oblast" in text and "alerts started" in text
    total = json.loads(invoke(database_url, "stats", "region", "UA-63", "--json"))
    series = invoke(database_url, "stats", "series", "UA-63", "--every", "day", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(series)))
    assert sum(int(r["alerts"]) for r in rows) == total["count"]
    assert sum(float(r["seconds"]) for r in rows) == total["seconds"]
    ranking = invoke(database_url, "stats", "ranking", "--limit", "3").splitlines()
    assert ranking[0] == "oblast ranking by seconds" and len(ranking) == 5
    assert "peak" in invoke(database_url, "stats", "concurrency", "--level", "oblast")
    chart = tmp_path / "hours.svg"
    invoke(
        database_url,
        "stats",
        "profile",
        "hour",
        "--region",
        "UA",
        "--tz",
        "Europe/Kyiv",
        "--format",
        "svg",
        "--output",
        str(chart),
    )
    assert "Ukraine: share of time under alert by hour of day" in chart.read_text()


def test_import_reports_bad_rows_and_abort_writes_nothing(
    database_url: str, tmp_path: Path
) -> None:
    path = head(official(), 100, tmp_path / "official.csv")
    out = invoke(
        database_url,
        "history",
        "import",
        str(path),
        "--format",
        "ua-official",
        "--on-error",
        "abort",
        code=2,
    )
    assert "checked official.csv" in out
    assert "no history imported yet" in invoke(database_url, "history", "list")
    skipped = invoke(database_url, "history", "import", str(path), "--format", "ua-official")
    assert "99 alerts added" in skipped and "1 rejected" in skipped


def test_unknown_format_is_a_clear_error(database_url: str, tmp_path: Path) -> None:
    path = head(official(), 5, tmp_path / "official.csv")
    invoke(database_url, "history", "import", str(path), "--format", "xml", code=2)


def test_replay_raises_exercises_that_statistics_keep_apart(
    database_url: str, tmp_path: Path
) -> None:
    path = head(official(), 60, tmp_path / "official.csv")
    out = invoke(
        database_url,
        "replay",
        str(path),
        "--format",
        "ua-official",
        "--speed",
        "100000000x",
        "--limit",
        "25",
        "--from",
        "2022-03-15",
        "--to",
        "2022-03-16",
    )
    assert "replayed 25 of 25 alerts as exercise (25 ended" in out
    drills = json.loads(
        invoke(database_url, "stats", "region", "UA", "--status", "exercise", "--json")
    )
    assert drills["count"] == 25
    real = json.loads(invoke(database_url, "stats", "region", "UA", "--json"))
    assert real["count"] == 0
    active = invoke(database_url, "alert", "list")
    assert "no alerts" in active


def test_replay_is_never_actual(database_url: str, tmp_path: Path) -> None:
    path = head(official(), 5, tmp_path / "official.csv")
    invoke(
        database_url, "replay", str(path), "--format", "ua-official", "--status", "actual", code=2
    )


def test_abused_rows_are_listed_and_the_good_ones_imported(
    database_url: str, tmp_path: Path
) -> None:
    path = tmp_path / "abused.csv"
    path.write_bytes(
        b"region,threat,start,end\n"
        b"UA-63,air,2024-01-02T03:00:00Z,2024-01-02T04:00:00Z\n"
        b"UA-63,air,2024-01-02T03:00:00Z,\xff\xfe\n"
        b'UA-63,"' + b"x" * 140_000 + b'",2024-01-02T03:00:00Z,2024-01-02T04:00:00Z\n'
        b"UA-63,air,0001-01-01T00:00:00+03:00,2024-01-02T04:00:00Z\n"
        b"[/]not markup,air,2024-01-02T03:00:00Z,2024-01-02T04:00:00Z\n"
    )
    result = runner.invoke(
        cli(),
        ["history", "import", str(path), "--format", "csv"],
        env={"TOCSIN_DATABASE_URL": database_url},
    )
    assert result.exit_code == 0, result.stdout + result.stderr + repr(result.exception)
    assert "1 alerts added" in result.stdout and "4 rejected" in result.stdout
    lines = {line.split(maxsplit=1)[0]: line for line in result.stderr.splitlines()[1:]}
    assert "not UTF-8" in lines["3"] and "field larger" in lines["4"]
    assert "1900" in lines["5"] and "'[/]not markup'" in lines["6"]


def test_a_file_without_a_good_row_imports_nothing_and_fails(
    database_url: str, tmp_path: Path
) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("region,threat,start,end\nXX-1,air,2024-01-02T03:00Z,2024-01-02T04:00Z\n")
    out = invoke(database_url, "history", "import", str(path), "--format", "csv", code=2)
    assert "0 alerts added" in out and "1 rejected" in out
    assert "no history imported yet" in invoke(database_url, "history", "list")


def test_a_binary_file_is_refused_without_a_traceback(database_url: str, tmp_path: Path) -> None:
    path = tmp_path / "photo.csv"
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)))
    result = runner.invoke(
        cli(),
        ["history", "import", str(path), "--format", "ua-official"],
        env={"TOCSIN_DATABASE_URL": database_url},
    )
    assert result.exit_code == 2 and result.exception is not None
    assert "header (line 1): not UTF-8" in result.stderr


def test_the_same_file_as_another_format_is_imported_again(
    database_url: str, tmp_path: Path
) -> None:
    path = tmp_path / "both.csv"
    path.write_text(
        "oblast,raion,hromada,level,started_at,finished_at,region,threat,start,end\n"
        "Kharkivska oblast,,,oblast,2024-01-02T03:00:00Z,2024-01-02T04:00:00Z,"
        "UA-63,air,2024-01-02T03:00:00Z,2024-01-02T04:00:00Z\n"
    )
    first = invoke(database_url, "history", "import", str(path), "--format", "ua-official")
    second = invoke(database_url, "history", "import", str(path), "--format", "csv")
    assert "1 alerts added" in first and "1 alerts added" in second
    assert "imported before" in invoke(
        database_url, "history", "import", str(path), "--format", "csv"
    )
