"""Call rules (SPEC.md "Outbound contact rules", 集客管理).

Calls avoid the customer's rest time and the station's peak hours: a call is
proposed only inside the customer's preferred time (ContactTime), inside the
station's call hours and outside its blocked hours. An unreachable customer
is tried again at a different part of the day, so that the station's
`call_attempts` tries spread over `call_retry_days` days (three tries within
three to five days by default); after the last failed try the task falls back
to SMS, or to a letter, and the messaging step sends it.

Everything here is pure: it takes the station, the customer's preference,
the times of the earlier attempts and `now`, and reads nothing from the
database, so the call list can show a proposal on every row for free.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Iterator
from zoneinfo import ZoneInfo

from django.utils.translation import gettext_lazy as _

from customers.models import ContactChannel, ContactTime, Customer
from customers.validators import MOBILE_RE, normalize_phone
from dealers.models import Dealer
from followup.models import Channel

# The parts of the day a customer can prefer (customers.ContactTime), as
# [start, end) in the station's local time.
MORNING, AFTERNOON, EVENING = "morning", "afternoon", "evening"
DAY_PARTS: dict[str, tuple[dt.time, dt.time]] = {
    MORNING: (dt.time(9), dt.time(12)),
    AFTERNOON: (dt.time(14), dt.time(17)),
    EVENING: (dt.time(18), dt.time(20)),
}
DAY_PART_LABELS = {MORNING: _("morning"), AFTERNOON: _("afternoon"), EVENING: _("evening")}
SATURDAY = 5
# How far ahead a proposal is looked for when the preference and the call
# hours leave no time inside the retry window (e.g. weekends only).
SEARCH_DAYS = 21

Window = tuple[dt.time, dt.time]


def part_of_day(moment: dt.time) -> str:
    """Which part of the day a time belongs to; the gaps between the parts
    (lunch, early evening) count to the nearer part, so an attempt made
    outside the proposal still counts as one time of day."""
    if moment < dt.time(13):
        return MORNING
    if moment < dt.time(17, 30):
        return AFTERNOON
    return EVENING


def _subtract(windows: Iterable[Window], blocked: Window | None) -> list[Window]:
    if blocked is None:
        return list(windows)
    out: list[Window] = []
    for start, end in windows:
        if blocked[1] <= start or blocked[0] >= end:
            out.append((start, end))
            continue
        if start < blocked[0]:
            out.append((start, blocked[0]))
        if blocked[1] < end:
            out.append((blocked[1], end))
    return out


def call_windows(station: Dealer, preferred_time: str, day: dt.date) -> list[Window]:
    """The times on `day` when this customer may be called: their preferred
    part of the day (any time: the station's call hours; weekends only: the
    call hours on Saturday and Sunday), clipped to the station's call hours,
    minus the station's blocked hours."""
    if preferred_time == ContactTime.WEEKEND and day.weekday() < SATURDAY:
        return []
    # Any time and weekends only: the station's call hours.
    start, end = DAY_PARTS.get(preferred_time, (station.calls_from, station.calls_until))
    start, end = max(start, station.calls_from), min(end, station.calls_until)
    if start >= end:
        return []
    blocked = None
    if station.calls_blocked_from and station.calls_blocked_until:
        blocked = (station.calls_blocked_from, station.calls_blocked_until)
    return _subtract([(start, end)], blocked)


def _slots(station: Dealer, preferred_time: str, day: dt.date, tz: ZoneInfo) -> Iterator[dt.datetime]:
    """Candidate call times on a day: each window's start and every full hour after it."""
    for start, end in call_windows(station, preferred_time, day):
        moment = dt.datetime.combine(day, start, tzinfo=tz)
        stop = dt.datetime.combine(day, end, tzinfo=tz)
        while moment < stop:
            yield moment
            moment = (moment + dt.timedelta(hours=1)).replace(minute=0)


def can_call_at(station: Dealer, preferred_time: str, moment: dt.datetime) -> bool:
    """Whether a call at `moment` respects the customer's and the station's times."""
    local = moment.astimezone(ZoneInfo(station.time_zone))
    return any(start <= local.time() < end for start, end in call_windows(station, preferred_time, local.date()))


def _days_in_order(target: dt.date, last: dt.date, today: dt.date) -> list[dt.date]:
    """Days to look at for the next attempt: from the target day to the end of
    the retry window, then back towards today (the spacing gives way before
    the window does), then beyond the window."""
    forward = [target + dt.timedelta(days=i) for i in range((last - target).days + 1)]
    backward = [target - dt.timedelta(days=i) for i in range(1, (target - today).days + 1)]
    beyond_start = max(last, today) + dt.timedelta(days=1)
    beyond = [beyond_start + dt.timedelta(days=i) for i in range(SEARCH_DAYS)]
    return [d for d in (*forward, *backward, *beyond) if d >= today]


def first_call_time(
    station: Dealer, preferred_time: str, now: dt.datetime, until: dt.datetime | None = None
) -> dt.datetime | None:
    """When the first try should be made: now if the customer may be called
    now, otherwise the next allowed time (None if none before `until`)."""
    if can_call_at(station, preferred_time, now):
        return now
    tz = ZoneInfo(station.time_zone)
    today = now.astimezone(tz).date()
    for offset in range(SEARCH_DAYS):
        for slot in _slots(station, preferred_time, today + dt.timedelta(days=offset), tz):
            if slot > now:
                return slot if until is None or slot < until else None
    return None


def next_attempt(
    station: Dealer,
    preferred_time: str,
    attempts: list[dt.datetime],
    now: dt.datetime,
    until: dt.datetime | None = None,
) -> dt.datetime | None:
    """The proposed time of the next try after the unreachable `attempts`.

    The tries are spaced evenly over the retry window (5 days, 3 tries: the
    first day, the third, the fifth) and each is at a part of the day not
    tried before; a customer who allows one part only is tried at another
    hour of it. None when no allowed time is left before `until` (the task
    lapses first)."""
    tz = ZoneInfo(station.time_zone)
    local_attempts = [a.astimezone(tz) for a in attempts] or [now.astimezone(tz)]
    first_day = min(local_attempts).date()
    today = now.astimezone(tz).date()
    spacing = (station.call_retry_days - 1) / max(station.call_attempts - 1, 1)
    target = max(first_day + dt.timedelta(days=math.ceil(len(attempts) * spacing - 1e-9)), today)
    last = first_day + dt.timedelta(days=station.call_retry_days - 1)
    used_parts = {part_of_day(a.time()) for a in local_attempts}
    used_hours = {a.hour for a in local_attempts}
    candidates = [
        slot
        for day in _days_in_order(target, last, today)
        for slot in _slots(station, preferred_time, day, tz)
        if slot > now and (until is None or slot < until)
    ]
    for fits in (
        lambda s: part_of_day(s.time()) not in used_parts,
        lambda s: s.hour not in used_hours,
        lambda s: True,
    ):
        found = next((slot for slot in candidates if fits(slot)), None)
        if found is not None:
            return found
    return None


def has_mobile(customer: Customer) -> bool:
    return any(MOBILE_RE.match(normalize_phone(p)) for p in (customer.phone, customer.phone2) if p)


def fallback_channel(customer: Customer) -> str:
    """After the last failed call: an SMS, or a letter when the customer
    prefers letters or has no mobile phone to text."""
    if customer.preferred_channel == ContactChannel.LETTER or not has_mobile(customer):
        return Channel.LETTER
    return Channel.SMS
