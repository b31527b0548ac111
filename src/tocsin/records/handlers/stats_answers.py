"""Statistics questions and answers: the filters and window of a question, and what each kind
of question answers (time under alert in a region, a time series, a profile, concurrency)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from tocsin.domain.alerts import Status
from tocsin.domain.regions import Region
from tocsin.domain.threats import Catalogue
from tocsin.errors import InvalidInput
from tocsin.records.domain import stats as st
from tocsin.records.domain.calendar import parse_zone
from tocsin.records.domain.stats import from_micros
from tocsin.types import iso_time, utc_instant


@dataclass(frozen=True, slots=True)
class Filters:
    statuses: frozenset[str] = frozenset({Status.ACTUAL.value})
    threats: frozenset[str] | None = None
    sources: frozenset[str] | None = None

    @classmethod
    def parse(
        cls,
        status: str | None = None,
        threat: str | None = None,
        source: str | None = None,
        catalogue: Catalogue | None = None,
    ) -> Filters:
        """`status`: actual (default), a list like `exercise,test`, or `all`; `threat`: ids;
        `source`: e.g. `ua-official` (a history data set), `api`, `cap`."""
        statuses = _statuses(status or "actual")
        threats = _names(threat)
        if threats is not None and catalogue is not None:
            for threat_id in threats:
                catalogue.require(threat_id, field="threat")
        return cls(statuses, threats, _names(source))

    def to_json(self) -> dict[str, Any]:
        return {
            "status": sorted(self.statuses),
            "threat": None if self.threats is None else sorted(self.threats),
            "source": None if self.sources is None else sorted(self.sources),
        }


@dataclass(frozen=True, slots=True)
class Window:
    since: datetime | None = None
    until: datetime | None = None

    @classmethod
    def parse(cls, start: str | None, end: str | None, zone: ZoneInfo) -> Window:
        """The period from `start` to `end` (the `from` and `to` of a question): ISO dates,
        days of `zone` (`to` a date includes that whole day), or ISO times with an offset.
        Either may be left out: the period then runs from the first alert, or to the last end
        (both left out: all time). `to` must not be before `from`."""
        lo = None if start is None else _moment(start, "from", zone, after=False)
        hi = None if end is None else _moment(end, "to", zone, after=True)
        if lo is not None and hi is not None and hi <= lo:
            raise InvalidInput("to must not be before from", field="to")
        return cls(lo, hi)

    @classmethod
    def asked(
        cls,
        start: str | None,
        end: str | None,
        since: datetime | None,
        until: datetime | None,
        tz: str = "UTC",
    ) -> Window:
        """The period a question names: `from`/`to` (as `parse`, dates of the zone `tz`) or the
        older `since`/`until` (times); one of each pair at most."""
        if start is not None and since is not None:
            raise InvalidInput("give from or since, not both", field="from")
        if end is not None and until is not None:
            raise InvalidInput("give to or until, not both", field="to")
        if start is None and end is None:
            return cls(since, until)
        given = cls.parse(start, end, parse_zone(tz))
        return cls(given.since or since, given.until or until)

    def check(self) -> Window:
        for name, value in (("since", self.since), ("until", self.until)):
            if value is not None and value.tzinfo is None:
                raise InvalidInput(
                    f"{name} needs a time zone (e.g. 2024-01-01T00:00:00Z)", field=name
                )
        if self.since and self.until and self.until <= self.since:
            raise InvalidInput("until must be after since", field="until")
        return self


@dataclass(frozen=True, slots=True)
class Bounds:
    """A resolved window in microseconds, and the moment taken as "now" for open alerts."""

    lo: int
    hi: int
    now: int

    @property
    def seconds(self) -> float:
        return (self.hi - self.lo) / st.SECOND

    def to_json(self) -> dict[str, str]:
        return {"since": iso_time(from_micros(self.lo)), "until": iso_time(from_micros(self.hi))}


@dataclass(frozen=True, slots=True)
class RegionStats:
    region: Region
    bounds: Bounds
    filters: Filters
    count: int
    seconds: float
    durations: st.Durations

    def to_json(self, lang: str = "en") -> dict[str, Any]:
        share = self.seconds / self.bounds.seconds if self.bounds.seconds > 0 else 0.0
        return {
            "region": self.region.code,
            "name": self.region.name(lang),
            "level": self.region.level,
            **self.bounds.to_json(),
            "count": self.count,
            "seconds": self.seconds,
            "hours": round(self.seconds / 3600, 6),
            "share": share,
            "durations": {
                "count": self.durations.count,
                "mean": self.durations.mean,
                "median": self.durations.median,
                "p95": self.durations.p95,
                "longest": self.durations.longest,
            },
            "filters": self.filters.to_json(),
        }


@dataclass(frozen=True, slots=True)
class Series:
    region: Region
    bounds: Bounds
    every: str
    tz: str
    labels: list[datetime]
    alerts: list[int]
    seconds: list[float]

    def to_json(self, lang: str = "en") -> dict[str, Any]:
        return {
            "region": self.region.code,
            "name": self.region.name(lang),
            **self.bounds.to_json(),
            "every": self.every,
            "tz": self.tz,
            "buckets": [
                {"start": label.isoformat(), "alerts": a, "seconds": s, "hours": s / 3600}
                for label, a, s in zip(self.labels, self.alerts, self.seconds, strict=True)
            ],
        }


@dataclass(frozen=True, slots=True)
class ProfileResult:
    region: Region
    bounds: Bounds
    by: str
    tz: str
    profile: st.Profile

    def to_json(self, lang: str = "en") -> dict[str, Any]:
        names = [f"{h:02d}" for h in range(24)] if self.by == "hour" else list(WEEKDAYS)
        p = self.profile
        return {
            "region": self.region.code,
            "name": self.region.name(lang),
            **self.bounds.to_json(),
            "by": self.by,
            "tz": self.tz,
            "slots": [
                {
                    "slot": i,
                    "label": names[i],
                    "alerts": int(p.starts[i]),
                    "seconds": float(p.seconds[i]),
                    "share": float(p.share[i]),
                }
                for i in range(len(names))
            ],
        }


WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


@dataclass(frozen=True, slots=True)
class ConcurrencyResult:
    within: Region
    level: str | None
    regions: int
    bounds: Bounds
    every: str
    tz: str
    result: st.Concurrency
    labels: list[datetime] = field(default_factory=list)
    peaks: list[int] = field(default_factory=list)

    def to_json(self, lang: str = "en") -> dict[str, Any]:
        peak_at = self.result.peak_at
        return {
            "within": self.within.code,
            "name": self.within.name(lang),
            "level": self.level or "alerted",
            "regions": self.regions,
            **self.bounds.to_json(),
            "peak": self.result.peak,
            "peak_at": None if peak_at is None else iso_time(from_micros(peak_at)),
            "every": self.every,
            "tz": self.tz,
            "buckets": [
                {"start": label.isoformat(), "peak": peak}
                for label, peak in zip(self.labels, self.peaks, strict=True)
            ],
        }


def _moment(text: str, name: str, zone: ZoneInfo, *, after: bool) -> datetime:
    """A date (its start in `zone`; with `after`, the start of the next day) or an ISO time."""
    value = text.strip()
    try:
        if len(value) == 10:
            day = date.fromisoformat(value) + timedelta(days=1 if after else 0)
            moment = datetime(day.year, day.month, day.day, tzinfo=zone)
        else:
            moment = datetime.fromisoformat(value)
        return utc_instant(moment, name).astimezone(UTC)
    except (ValueError, OverflowError) as error:
        reason = str(error) if "UTC offset" in str(error) or "years" in str(error) else ""
        raise InvalidInput(
            f"{name} must be a date (2024-01-31) or an ISO 8601 time with its UTC offset "
            f"(2024-01-31T12:00:00Z); got {text!r}" + (f": {reason}" if reason else ""),
            field=name,
        ) from None


@dataclass(frozen=True, slots=True)
class DataSpan:
    """When a region's alerts (those the filters keep) began and ended: the period that has
    data. `last` is now while an alert is open; both are None when there is none."""

    region: Region
    filters: Filters
    count: int
    first: int | None
    last: int | None
    open: bool

    def to_json(self, lang: str = "en") -> dict[str, Any]:
        def moment(value: int | None) -> str | None:
            return None if value is None else iso_time(from_micros(value))

        return {
            "region": self.region.code,
            "name": self.region.name(lang),
            "count": self.count,
            "first": moment(self.first),
            "last": moment(self.last),
            "open": self.open,
            "filters": self.filters.to_json(),
        }


def _statuses(text: str) -> frozenset[str]:
    if text.strip() == "all":
        return frozenset(s.value for s in Status)
    out = set()
    for part in filter(None, (p.strip() for p in text.split(","))):
        try:
            out.add(Status(part).value)
        except ValueError:
            raise InvalidInput(
                f"status must be actual, exercise, test (comma-separated) or all; got {part!r}",
                field="status",
            ) from None
    if not out:
        raise InvalidInput("status must name at least one status, or all", field="status")
    return frozenset(out)


def _names(text: str | None) -> frozenset[str] | None:
    if text is None or not text.strip():
        return None
    return frozenset(p.strip() for p in text.split(",") if p.strip())
