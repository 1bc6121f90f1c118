"""The period a figure covers: a day, a week (Monday to Sunday), a month or a
custom range of days, always in the station's own time zone, and the period
just before it of the same kind, for the comparison."""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.utils.translation import pgettext_lazy

KINDS = {
    "day": pgettext_lazy("period", "Day"),
    "week": pgettext_lazy("period", "Week"),
    "month": pgettext_lazy("period", "Month"),
    "custom": pgettext_lazy("period", "Custom"),
}
# A custom range longer than this is cut: the trend charts cover a year.
MAX_CUSTOM_DAYS = 366


@dataclass(frozen=True)
class Window:
    """A half-open range of aware datetimes [start, end)."""

    start: dt.datetime
    end: dt.datetime

    def q(self, field: str) -> dict[str, dt.datetime]:
        """Filter kwargs for a datetime field inside the window."""
        return {f"{field}__gte": self.start, f"{field}__lt": self.end}


@dataclass(frozen=True)
class Period:
    kind: str
    first: dt.date
    last: dt.date  # inclusive
    tz: ZoneInfo

    @classmethod
    def of(cls, kind: str, day: dt.date, tz: ZoneInfo, last: dt.date | None = None) -> Period:
        """The period of `kind` that holds `day` (custom: `day` to `last`)."""
        if kind == "day":
            return cls(kind, day, day, tz)
        if kind == "week":
            monday = day - dt.timedelta(days=day.weekday())
            return cls(kind, monday, monday + dt.timedelta(days=6), tz)
        if kind == "custom":
            last = last or day
            if last < day:
                day, last = last, day
            last = min(last, day + dt.timedelta(days=MAX_CUSTOM_DAYS - 1))
            return cls(kind, day, last, tz)
        first = day.replace(day=1)
        return cls("month", first, first.replace(day=calendar.monthrange(day.year, day.month)[1]), tz)

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    @property
    def window(self) -> Window:
        """Midnight to midnight in the station's time zone (a DST day is 23 or 25 hours)."""
        start = dt.datetime.combine(self.first, dt.time.min, tzinfo=self.tz)
        end = dt.datetime.combine(self.last + dt.timedelta(days=1), dt.time.min, tzinfo=self.tz)
        return Window(start, end)

    def previous(self) -> Period:
        """The period before, of the same kind and length (a month: the calendar month before)."""
        if self.kind == "month":
            return Period.of("month", self.first - dt.timedelta(days=1), self.tz)
        return Period(self.kind, self.first - dt.timedelta(days=self.days), self.first - dt.timedelta(days=1), self.tz)

    def next(self) -> Period:
        if self.kind == "month":
            return Period.of("month", self.last + dt.timedelta(days=1), self.tz)
        return Period(self.kind, self.last + dt.timedelta(days=1), self.last + dt.timedelta(days=self.days), self.tz)

    def dates(self) -> list[dt.date]:
        return [self.first + dt.timedelta(days=n) for n in range(self.days)]

    @property
    def label(self) -> str:
        if self.kind == "day":
            return f"{self.first:%Y-%m-%d}"
        if self.kind == "month":
            return f"{self.first:%Y-%m}"
        return f"{self.first:%Y-%m-%d} – {self.last:%Y-%m-%d}"

    def params(self) -> dict[str, str]:
        """The query-string parameters that name this period."""
        params = {"period": self.kind, "day": self.first.isoformat()}
        if self.kind == "custom":
            params["to"] = self.last.isoformat()
        return params


def parse(params, tz: ZoneInfo, today: dt.date) -> Period:
    """The period named by the query string; bad or missing values fall back
    to the month of today, never an error page."""
    kind = params.get("period") or "month"
    if kind not in KINDS:
        kind = "month"
    day = _date(params.get("day")) or today
    last = _date(params.get("to")) if kind == "custom" else None
    return Period.of(kind, day, tz, last)


def _date(text: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text) if text else None
    except ValueError:
        return None
