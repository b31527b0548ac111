"""A statistics answer as a table with named, unit-labelled columns, and its exports.

CSV needs nothing beyond the standard library. Parquet needs pyarrow, an optional dependency
(`pip install 'tocsin[stats]'`); without it the export says so instead of failing obscurely.
"""

from __future__ import annotations

import csv
import importlib
import io
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from tocsin.errors import Unavailable

Cell = str | int | float | None

MEDIA_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "parquet": "application/vnd.apache.parquet",
    "png": "image/png",
    "svg": "image/svg+xml",
}


@dataclass(frozen=True, slots=True)
class Column:
    name: str
    unit: str = ""

    @property
    def heading(self) -> str:
        return f"{self.name} ({self.unit})" if self.unit else self.name


@dataclass(frozen=True, slots=True)
class Table:
    title: str
    columns: Sequence[Column]
    rows: Sequence[Sequence[Cell]]

    def column(self, name: str) -> list[Cell]:
        index = [c.name for c in self.columns].index(name)
        return [row[index] for row in self.rows]


def to_csv(table: Table) -> bytes:
    """CSV with a header of column names (units are in the documentation and the charts)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([c.name for c in table.columns])
    writer.writerows(table.rows)
    return out.getvalue().encode()


def to_parquet(table: Table) -> bytes:
    pa, pq = _pyarrow()
    arrays = {c.name: table.column(c.name) for c in table.columns}
    fields = [
        pa.field(c.name, _arrow_type(pa, arrays[c.name]), metadata=_meta(c)) for c in table.columns
    ]
    schema = pa.schema(fields, metadata={"title": table.title})
    data = pa.table(arrays, schema=schema)
    sink = io.BytesIO()
    pq.write_table(data, sink)
    return sink.getvalue()


def missing(package: str, what: str) -> Unavailable:
    return Unavailable(
        f"{what} needs the Python package {package}: pip install 'tocsin[stats]' "
        f"(or pip install {package})",
        code="missing_dependency",
    )


def _pyarrow() -> tuple[Any, Any]:
    try:
        pa = importlib.import_module("pyarrow")
        pq = importlib.import_module("pyarrow.parquet")
    except ImportError:
        raise missing("pyarrow", "the Parquet export") from None
    return pa, pq


def _arrow_type(pa: Any, values: list[Cell]) -> Any:
    present = [v for v in values if v is not None]
    if present and all(isinstance(v, int) and not isinstance(v, bool) for v in present):
        return pa.int64()
    if present and all(isinstance(v, int | float) for v in present):
        return pa.float64()
    return pa.string()


def _meta(column: Column) -> dict[str, str] | None:
    return {"unit": column.unit} if column.unit else None
