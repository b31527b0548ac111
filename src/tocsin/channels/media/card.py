"""The social-media card of an alert: a 1200×630 PNG (the size link previews use) with the
country's map, the alert's regions shaded in the threat's colour, the signal, the places and
what to do. Drawn with Pillow in the DejaVu Sans font shipped beside this module (Cyrillic
included), so it looks the same on every server.
"""

from __future__ import annotations

import functools
import io
import math
from collections.abc import Callable, Iterable, Iterator, Sequence
from importlib import resources
from typing import Final

from PIL import Image, ImageDraw, ImageFont
from shapely.geometry.base import BaseGeometry

from tocsin.cap import texts
from tocsin.cap.texts import Wording
from tocsin.domain.regions import Region, RegionTree

WIDTH: Final = 1200
HEIGHT: Final = 630
MAP: Final = (40, 40, 560, 590)  # left, top, right, bottom
TEXT_LEFT: Final = 600
INK: Final = "#1b1b1b"
PAPER: Final = "#fafafa"
LAND: Final = "#dcdcdc"
BORDER: Final = "#ffffff"
Box = tuple[float, float, float, float]


@functools.cache
def font(size: int, *, bold: bool = False) -> ImageFont.FreeTypeFont:
    name = "DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf"
    data = resources.files("tocsin.channels.media").joinpath("fonts", name).read_bytes()
    return ImageFont.truetype(io.BytesIO(data), size)


def for_alert(w: Wording, tree: RegionTree, codes: Iterable[str]) -> bytes:
    """The card of an alert over regions `codes`: their countries as land, themselves shaded."""
    codes = list(codes)
    shaded = [r.geometry for r in map(tree.get, codes) if r and r.geometry is not None]
    country = [r.geometry for r in countries(tree, codes) if r.geometry is not None]
    return render(w, w.threat.color, country, shaded)


def countries(tree: RegionTree, codes: Iterable[str]) -> list[Region]:
    """The top regions (countries) the codes lie in, each once."""
    tops: dict[str, Region] = {}
    for code in codes:
        region = tree.get(code)
        while region is not None and region.parent is not None:
            region = tree.get(region.parent)
        if region is not None:
            tops[region.code] = region
    return list(tops.values())


def render(
    w: Wording, color: str, country: Sequence[BaseGeometry], shaded: Sequence[BaseGeometry]
) -> bytes:
    """The card as PNG: `country` drawn as land, `shaded` over it in `color`."""
    image = Image.new("RGB", (WIDTH, HEIGHT), PAPER)
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, WIDTH, 14), fill=color)
    bounds = _bounds([*country, *shaded])
    if bounds is not None:
        for shape in country:
            _fill(draw, shape, bounds, LAND)
        for shape in shaded:
            _fill(draw, shape, bounds, color)
    _write(draw, w, color)
    out = io.BytesIO()
    image.save(out, "PNG", optimize=True)
    return out.getvalue()


def _write(draw: ImageDraw.ImageDraw, w: Wording, color: str) -> None:
    y = 60.0
    width = WIDTH - TEXT_LEFT - 40
    for text, size, bold, fill in (
        (w.marker + w.title, 52, True, color),
        (texts.places_of(w, 6), 28, False, INK),
        (" ".join(p for p in (w.shelter_note, w.message or w.summary) if p), 30, True, INK),
    ):
        face = font(size, bold=bold)
        for line in _wrap(draw, text, face, width)[:5]:
            draw.text((TEXT_LEFT, y), line, font=face, fill=fill)
            y += size * 1.25
        y += size * 0.8


def _wrap(
    draw: ImageDraw.ImageDraw, text: str, face: ImageFont.FreeTypeFont, width: int
) -> list[str]:
    lines: list[str] = []
    for word in text.split():
        candidate = f"{lines[-1]} {word}" if lines else word
        if lines and draw.textlength(candidate, font=face) <= width:
            lines[-1] = candidate
        else:
            lines.append(word)
    return lines


def _bounds(shapes: Iterable[BaseGeometry]) -> Box | None:
    boxes = [s.bounds for s in shapes if not s.is_empty]
    if not boxes:
        return None
    return (
        min(b[0] for b in boxes), min(b[1] for b in boxes),
        max(b[2] for b in boxes), max(b[3] for b in boxes),
    )  # fmt: skip


def _fill(draw: ImageDraw.ImageDraw, shape: BaseGeometry, bounds: Box, color: str) -> None:
    project = _projection(bounds)
    for ring in _rings(shape.simplify(0.01)):
        points = [project(x, y) for x, y in ring]
        if len(points) >= 3:
            draw.polygon(points, fill=color, outline=BORDER)


def _rings(shape: BaseGeometry) -> Iterator[Sequence[tuple[float, float]]]:
    for part in getattr(shape, "geoms", [shape]):
        exterior = getattr(part, "exterior", None)
        if exterior is not None:
            yield list(exterior.coords)


def _projection(bounds: Box) -> Callable[[float, float], tuple[float, float]]:
    """Longitude and latitude to pixels in the map box: equirectangular, scaled at the middle
    latitude so that shapes keep their proportions."""
    west, south, east, north = bounds
    stretch = math.cos(math.radians((south + north) / 2))
    left, top, right, bottom = MAP
    scale = min(
        (right - left) / max((east - west) * stretch, 1e-9),
        (bottom - top) / max(north - south, 1e-9),
    )
    x0 = left + ((right - left) - (east - west) * stretch * scale) / 2
    y0 = top + ((bottom - top) - (north - south) * scale) / 2

    def project(lon: float, lat: float) -> tuple[float, float]:
        return (x0 + (lon - west) * stretch * scale, y0 + (north - lat) * scale)

    return project
