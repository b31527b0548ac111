"""Charts of statistics with matplotlib (optional: `pip install 'tocsin[stats]'`).

Every chart has a title naming the region, the measure and the time zone, labelled axes with
units, and is drawn with the object API (no pyplot state), so charts can be drawn in threads.
SVG keeps its text as text, so titles can be searched and read by screen readers.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from tocsin.records.reports.tables import missing

Kind = Literal["bar", "barh", "step"]


@dataclass(frozen=True, slots=True)
class Chart:
    kind: Kind
    title: str
    x_label: str
    y_label: str
    labels: Sequence[str]
    values: Sequence[float]
    note: str = ""


def render(chart: Chart, fmt: str) -> bytes:
    if fmt not in ("png", "svg"):
        raise ValueError(f"charts are png or svg, not {fmt}")
    figure_cls, canvas_cls, rc = _matplotlib()
    with rc({"svg.fonttype": "none", "font.size": 9}):
        height = 6.0 if chart.kind == "barh" and len(chart.labels) > 15 else 4.5
        figure = figure_cls(figsize=(10, height), dpi=100)
        canvas_cls(figure)
        axes = figure.add_subplot()
        _draw(axes, chart)
        axes.set_title(chart.title, fontsize=11)
        axes.set_xlabel(chart.x_label)
        axes.set_ylabel(chart.y_label)
        axes.grid(axis="x" if chart.kind == "barh" else "y", alpha=0.3)
        if chart.note:
            figure.text(0.01, 0.01, chart.note, fontsize=7, color="#555555")
        figure.tight_layout()
        out = io.BytesIO()
        figure.savefig(out, format=fmt, metadata=_metadata(chart, fmt))
    return out.getvalue()


def _draw(axes: Any, chart: Chart) -> None:
    positions = list(range(len(chart.values)))
    if chart.kind == "barh":
        axes.barh(positions, chart.values, color="#c62828")
        axes.set_yticks(positions, chart.labels)
        axes.invert_yaxis()
        return
    if chart.kind == "step":
        axes.step(positions, chart.values, where="post", color="#c62828")
    else:
        axes.bar(positions, chart.values, color="#c62828", width=0.8)
    step = max(1, len(positions) // 24)
    axes.set_xticks(positions[::step], list(chart.labels)[::step], rotation=45, ha="right")
    axes.set_xlim(-0.6, max(len(positions) - 0.4, 0.4))


def _metadata(chart: Chart, fmt: str) -> dict[str, str]:
    return {"Title": chart.title} if fmt in ("png", "svg") else {}


def _matplotlib() -> tuple[Any, Any, Any]:
    try:
        from matplotlib import rc_context
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError:
        raise missing("matplotlib", "charts") from None
    return Figure, FigureCanvasAgg, rc_context
