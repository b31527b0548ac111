"""The shared aliases and checks of `tocsin.types`."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tocsin.types import check_date_range


@pytest.mark.parametrize("year", [1900, 2026, 2200])
def test_a_time_in_the_accepted_years_passes(year: int) -> None:
    moment = datetime(year, 6, 1, tzinfo=UTC)
    assert check_date_range(moment) is moment


@pytest.mark.parametrize("year", [1, 1899, 2201, 9999])
def test_a_time_outside_them_is_refused_by_name(year: int) -> None:
    with pytest.raises(ValueError, match=r"start .* is outside the years 1900–2200"):
        check_date_range(datetime(year, 6, 1, tzinfo=UTC), "start")
