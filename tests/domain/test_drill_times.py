"""A drill's announcement gives its time as the people of its regions read it, with the zone."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tocsin.domain.drills import local_times

SUMMER = datetime(2026, 7, 1, 7, 0, tzinfo=UTC)
WINTER = datetime(2026, 12, 6, 7, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("when", "regions", "expected"),
    [
        (
            WINTER,
            ["UA-63"],
            {"en": "09:00 Kyiv time", "uk": "09:00 за київським часом",
             "ru": "09:00 по киевскому времени"},
        ),
        (
            SUMMER,
            ["UA-63-R124", "UA-32"],
            {"en": "10:00 Kyiv time", "uk": "10:00 за київським часом",
             "ru": "10:00 по киевскому времени"},
        ),
        (
            WINTER,
            ["RU-BEL"],
            {"en": "10:00 Moscow time", "uk": "10:00 за московським часом",
             "ru": "10:00 по московскому времени"},
        ),
        (
            WINTER,
            ["UA-63", "RU-BEL"],
            {"en": "09:00 Kyiv time / 10:00 Moscow time",
             "uk": "09:00 за київським часом / 10:00 за московським часом",
             "ru": "09:00 по киевскому времени / 10:00 по московскому времени"},
        ),
        (WINTER, ["PL-14"], {"en": "07:00 UTC", "uk": "07:00 UTC", "ru": "07:00 UTC"}),
    ],
)  # fmt: skip
def test_the_time_in_the_regions_zone_in_every_language(
    when: datetime, regions: list[str], expected: dict[str, str]
) -> None:
    assert local_times(when, regions) == expected
