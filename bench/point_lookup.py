"""Point lookups against the shipped packs: `RegionTree.containing` vs a brute-force loop.

    python bench/point_lookup.py [--points 20000] [--seed 7]

Builds a tree from the `ua` and `ru-border` packs, draws random points over Ukraine and its
neighbours, and times, over the same points in the same run:

- tree:      `RegionTree.containing`
- baseline:  a loop over every shaped region with `shapely.contains` (the shapes are the
             tree's, so prepared like the tree's)
- candidate: an STRtree bounding-box query, then `shapely.intersects_xy` on the prepared shapes
"""

from __future__ import annotations

import argparse
import random
import time
from collections.abc import Callable, Sequence

import numpy as np
import shapely

from tocsin.domain.regions import Point, Region, RegionTree
from tocsin.regions.packs import load_pack

Lookup = Callable[[Point], list[str]]
BOUNDS = ((44.0, 53.0), (22.0, 41.0))


def main() -> None:
    args = _arguments()
    started = time.perf_counter()
    regions = load_pack("ua") + load_pack("ru-border")
    loaded = time.perf_counter()
    tree = RegionTree(regions)
    built = time.perf_counter()
    print(f"packs loaded in {loaded - started:.3f} s", end="; ")
    print(f"tree of {len(tree)} regions built in {built - loaded:.4f} s")
    points = random_points(args.points, random.Random(args.seed))
    shaped = [region for region in tree if region.geometry is not None]
    lookups = {
        "tree": lambda p: [r.code for r in tree.containing(p)],
        "baseline": brute_force(shaped),
        "candidate": bbox_then_xy(shaped),
    }
    rates = {name: rate(lookup, points) for name, lookup in lookups.items()}
    for name, per_second in rates.items():
        ratio = per_second / rates["baseline"]
        print(f"{name:>9}: {per_second:>10,.0f} lookups/s  ({ratio:.1f}× baseline)")
    print(f"answers differing from the baseline: {disagreements(lookups, points)}")


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Time point lookups.")
    parser.add_argument("--points", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=7)
    return parser.parse_args()


def random_points(count: int, rng: random.Random) -> list[Point]:
    (lat_min, lat_max), (lon_min, lon_max) = BOUNDS
    return [
        Point(rng.uniform(lat_min, lat_max), rng.uniform(lon_min, lon_max)) for _ in range(count)
    ]


def brute_force(shaped: Sequence[Region]) -> Lookup:
    def lookup(point: Point) -> list[str]:
        geom = shapely.Point(point.lon, point.lat)
        return [r.code for r in shaped if shapely.contains(r.geometry, geom)]

    return lookup


def bbox_then_xy(shaped: Sequence[Region]) -> Lookup:
    geometries = np.array([r.geometry for r in shaped])
    codes = np.array([r.code for r in shaped])
    index = shapely.STRtree(geometries)

    def lookup(point: Point) -> list[str]:
        hits = index.query(shapely.Point(point.lon, point.lat))
        inside = shapely.intersects_xy(geometries[hits], point.lon, point.lat)
        return list(codes[hits[inside]])

    return lookup


def rate(lookup: Lookup, points: Sequence[Point]) -> float:
    started = time.perf_counter()
    for point in points:
        lookup(point)
    return len(points) / (time.perf_counter() - started)


def disagreements(lookups: dict[str, Lookup], points: Sequence[Point]) -> dict[str, int]:
    expected = [sorted(lookups["baseline"](p)) for p in points]
    return {
        name: sum(sorted(lookup(p)) != want for p, want in zip(points, expected, strict=True))
        for name, lookup in lookups.items()
        if name != "baseline"
    }


if __name__ == "__main__":
    main()
