"""Workshop capacity (ARCHITECTURE.md "Capacity").

The station's calendar is a row of slots (slot length a station setting).
Capacity is counted in minutes of work, at two levels:

- per slot, who and what is there: the technicians on the roster who cover
  the slot (a job needing skill grade g counts against the technicians of
  grade g and above only) and the bays of the types the job type needs;
- per day, how much work they can really do: the technicians' duty minutes,
  less breaks, times the station's productive share (85 % by default). This
  is the day's capacity shown in the 14-day forecast.

A booked job occupies one technician and one bay from its arrival for its
flat-rate hours, slot after slot along the station's opening hours (a job
that does not finish by closing time continues the next opening day; its
end is the tentative delivery time). A job fits when every slot it would
occupy has a technician and a bay free for it and every day it touches has
productive hours left. The arithmetic is pure Python over data loaded once
(`load_calendar`), so proposing slots for 14 days costs a fixed handful of
queries.
"""

from __future__ import annotations

import bisect
import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import combinations
from zoneinfo import ZoneInfo

from dealers.models import BayType, JobType

EPSILON = 1e-6
GRADES = (1, 2, 3, 4)

# Which bay types can take which job type.
BAYS_FOR_JOB: dict[str, frozenset[str]] = {
    JobType.MAINTENANCE: frozenset({BayType.QUICK, BayType.GENERAL}),
    JobType.REPAIR: frozenset({BayType.GENERAL}),
    JobType.BODY_PAINT: frozenset({BayType.BODY_PAINT}),
}


def _bay_sets() -> list[frozenset[str]]:
    """Every union of job types' bay sets: checking each one is what keeps
    jobs that share bay types (maintenance and repair both use general bays)
    from overfilling them together."""
    groups = list(set(BAYS_FOR_JOB.values()))
    unions = {frozenset().union(*combo) for n in range(1, len(groups) + 1) for combo in combinations(groups, n)}
    return sorted(unions, key=lambda s: (len(s), sorted(s)))


BAY_SETS = _bay_sets()


@dataclass(frozen=True)
class Job:
    job_type: str
    minutes: float
    grade: int = 1

    @classmethod
    def of(cls, job_type: str, hours: Decimal | float, grade: int | None = 1) -> Job:
        return cls(job_type=job_type, minutes=float(hours) * 60, grade=max(1, min(4, grade or 1)))


@dataclass
class Slot:
    start: dt.datetime
    minutes: int
    tech_minutes: dict[int, float]  # grade g -> duty minutes of technicians of grade >= g in the slot
    bays: dict[str, int]  # bay type -> active bays
    # Duty minutes less breaks, times the productive share: what the day's
    # capacity adds up from.
    productive_minutes: float = 0.0
    load_grade: dict[int, float] = field(default_factory=lambda: dict.fromkeys(GRADES, 0.0))
    load_type: dict[str, float] = field(default_factory=lambda: dict.fromkeys(JobType.values, 0.0))

    @property
    def end(self) -> dt.datetime:
        return self.start + dt.timedelta(minutes=self.minutes)

    def bay_minutes(self, bay_set: frozenset[str]) -> float:
        return sum(self.bays.get(t, 0) for t in bay_set) * self.minutes

    def bay_load(self, bay_set: frozenset[str]) -> float:
        return sum(load for job_type, load in self.load_type.items() if BAYS_FOR_JOB[job_type] <= bay_set)

    def room_for(self, job: Job) -> float:
        """Minutes of `job`'s kind of work this slot can still take."""
        room = min(self.tech_minutes[g] - self.load_grade[g] for g in GRADES if g <= job.grade)
        for bay_set in BAY_SETS:
            if BAYS_FOR_JOB[job.job_type] <= bay_set:
                room = min(room, self.bay_minutes(bay_set) - self.bay_load(bay_set))
        return room

    def add(self, job: Job, minutes: float) -> None:
        for g in GRADES:
            if g <= job.grade:
                self.load_grade[g] += minutes
        self.load_type[job.job_type] += minutes

    @property
    def capacity_minutes(self) -> float:
        return self.productive_minutes

    @property
    def booked_minutes(self) -> float:
        return self.load_grade[1]


@dataclass
class DayLoad:
    day: dt.date
    capacity_hours: float
    booked_hours: float

    @property
    def ratio(self) -> float:
        return self.booked_hours / self.capacity_hours if self.capacity_hours > EPSILON else 1.0

    @property
    def percent(self) -> int:
        return round(self.ratio * 100)


class Refused(Exception):
    """A job cannot be booked at that time; `reason` says why, for the user."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class Calendar:
    """The slots of one station over a range of days, with what is booked."""

    def __init__(self, slots: list[Slot], tz: ZoneInfo, day_minutes: dict[dt.date, int], bays: dict[str, int]):
        self.slots = sorted(slots, key=lambda s: s.start)
        self.tz = tz
        self.bays = bays
        self.day_minutes = day_minutes  # opening minutes per open day
        self._index = {s.start: i for i, s in enumerate(self.slots)}
        self._starts = [s.start for s in self.slots]
        self._day_of = {s.start: s.start.astimezone(tz).date() for s in self.slots}
        self._day_capacity: dict[dt.date, float] = {}
        self._day_booked: dict[dt.date, float] = {}
        for slot in self.slots:
            day = self._day_of[slot.start]
            self._day_capacity[day] = self._day_capacity.get(day, 0.0) + slot.productive_minutes
            self._day_booked.setdefault(day, 0.0)

    def walk(self, arrives_at: dt.datetime, job: Job) -> tuple[list[tuple[Slot, float]], dt.datetime]:
        """The slots the job occupies from its arrival, with the minutes in
        each, and when it is done. Raises Refused when it cannot be placed."""
        index = self._index.get(arrives_at)
        if index is None:
            raise Refused("closed")
        remaining, steps, done_at = job.minutes, [], arrives_at
        for slot in self.slots[index:]:
            used = min(slot.minutes, remaining)
            steps.append((slot, used))
            remaining -= used
            done_at = slot.start + dt.timedelta(minutes=used)
            if remaining <= EPSILON:
                return steps, done_at
        raise Refused("beyond_horizon")

    def check(self, arrives_at: dt.datetime, job: Job) -> dt.datetime:
        """Tentative delivery time if the job fits, else Refused."""
        if not any(self.bays.get(t, 0) for t in BAYS_FOR_JOB[job.job_type]):
            raise Refused("no_bay")
        if self.day_minutes and job.minutes > max(self.day_minutes.values()) + EPSILON:
            raise Refused("too_long")
        steps, done_at = self.walk(arrives_at, job)
        per_day: dict[dt.date, float] = {}
        for slot, used in steps:
            if slot.room_for(job) + EPSILON < used:
                raise Refused("full")
            day = self._day_of[slot.start]
            per_day[day] = per_day.get(day, 0.0) + used
        for day, minutes in per_day.items():
            if self._day_booked[day] + minutes > self._day_capacity[day] + EPSILON:
                raise Refused("full")
        return done_at

    def book(self, arrives_at: dt.datetime, job: Job) -> dt.datetime:
        """Add an existing booking to the load (no capacity check: what is
        booked is booked, even if the roster shrank since). An arrival outside
        the calendar's slots (hours changed) counts from the next slot, and a
        job running past the loaded range counts the part inside it, so its
        hours still weigh on the days shown."""
        index = self._index.get(arrives_at)
        if index is None:
            index = bisect.bisect_left(self._starts, arrives_at)
        remaining, done_at = job.minutes, arrives_at
        for slot in self.slots[index:]:
            used = min(slot.minutes, remaining)
            slot.add(job, used)
            self._day_booked[self._day_of[slot.start]] += used
            remaining -= used
            done_at = slot.start + dt.timedelta(minutes=used)
            if remaining <= EPSILON:
                break
        return done_at

    def days(self) -> list[DayLoad]:
        loads: dict[dt.date, DayLoad] = {}
        for slot in self.slots:
            day = slot.start.astimezone(self.tz).date()
            load = loads.setdefault(day, DayLoad(day=day, capacity_hours=0.0, booked_hours=0.0))
            load.capacity_hours += slot.capacity_minutes / 60
            load.booked_hours += slot.booked_minutes / 60
        return list(loads.values())

    def slots_on(self, day: dt.date) -> list[Slot]:
        return [s for s in self.slots if s.start.astimezone(self.tz).date() == day]


# --- Loading a station's calendar ------------------------------------------

SPILL_DAYS = 3  # a job may continue over this many days (closed days included)


def _minutes(t: dt.time) -> int:
    return t.hour * 60 + t.minute


def _day_slots(day: dt.date, opens: dt.time, closes: dt.time, slot_minutes: int, tz: ZoneInfo):
    start, end = _minutes(opens), _minutes(closes)
    midnight = dt.datetime.combine(day, dt.time(0), tzinfo=tz)
    for m in range(start, end, slot_minutes):
        yield midnight + dt.timedelta(minutes=m), min(slot_minutes, end - m), m


def _tech_minutes(
    slot_start: int, slot_len: int, shifts: list[tuple[int, int, float, int]], share: float
) -> tuple[dict[int, float], float]:
    """Duty minutes per grade threshold of the shifts covering the slot, and
    their productive minutes (breaks spread evenly over the shift, times the
    productive share)."""
    on_duty = dict.fromkeys(GRADES, 0.0)
    productive = 0.0
    for starts, ends, factor, grade in shifts:
        overlap = min(ends, slot_start + slot_len) - max(starts, slot_start)
        if overlap > 0:
            productive += overlap * factor * share
            for g in GRADES:
                if grade >= g:
                    on_duty[g] += overlap
    return on_duty, productive


def load_calendar(dealer, first_day: dt.date, last_day: dt.date, *, exclude_pk: int | None = None) -> Calendar:
    """The station's calendar from `first_day` to `last_day` with every booking
    that holds capacity in it. Five queries, whatever the range."""
    from appointments.models import Appointment  # the models import this module's constants

    tz = ZoneInfo(dealer.time_zone)
    start, end = first_day - dt.timedelta(days=SPILL_DAYS), last_day + dt.timedelta(days=SPILL_DAYS)
    hours = {h.weekday: (h.opens, h.closes) for h in dealer.opening_hours.all()}
    holidays = set(dealer.holidays.filter(date__range=(start, end)).values_list("date", flat=True))
    bays: dict[str, int] = {}
    for bay_type in dealer.bays.filter(is_active=True).values_list("bay_type", flat=True):
        bays[bay_type] = bays.get(bay_type, 0) + 1
    shifts_by_day: dict[dt.date, list[tuple[int, int, float, int]]] = {}
    for entry in dealer.roster.filter(date__range=(start, end)).select_related("technician"):
        span = _minutes(entry.ends) - _minutes(entry.starts)
        factor = max(0, span - entry.break_minutes) / span  # breaks spread evenly over the shift
        shifts_by_day.setdefault(entry.date, []).append(
            (_minutes(entry.starts), _minutes(entry.ends), factor, entry.technician.skill_grade or 1)
        )
    share = float(dealer.productive_share)
    slots, day_minutes = [], {}
    day = start
    while day <= end:
        if day.weekday() in hours and day not in holidays:
            opens, closes = hours[day.weekday()]
            day_minutes[day] = _minutes(closes) - _minutes(opens)
            shifts = shifts_by_day.get(day, [])
            for slot_start, length, m in _day_slots(day, opens, closes, dealer.slot_minutes, tz):
                on_duty, productive = _tech_minutes(m, length, shifts, share)
                slots.append(Slot(slot_start, length, on_duty, bays, productive_minutes=productive))
        day += dt.timedelta(days=1)
    calendar = Calendar(slots, tz, day_minutes, bays)
    booked = (
        Appointment.objects.filter(
            dealer=dealer,
            arrives_at__gte=dt.datetime.combine(start, dt.time(0), tzinfo=tz),
            arrives_at__lt=dt.datetime.combine(end + dt.timedelta(days=1), dt.time(0), tzinfo=tz),
        )
        .holding_capacity()
        .exclude(pk=exclude_pk)
        .values_list("arrives_at", "job_type", "hours", "skill_grade")
    )
    for arrives_at, job_type, job_hours, grade in booked:
        calendar.book(arrives_at.astimezone(tz), Job.of(job_type, job_hours, grade))
    return calendar


# --- Proposing slots ---------------------------------------------------------

PARTS_OF_DAY = {"morning": (0, 12), "afternoon": (12, 24)}


@dataclass
class Proposal:
    arrives_at: dt.datetime
    ready_at: dt.datetime
    day: DayLoad
    matches_wish: bool


def propose(
    calendar: Calendar,
    job: Job,
    *,
    now: dt.datetime,
    first_day: dt.date,
    days: int = 14,
    wished_day: dt.date | None = None,
    part_of_day: str | None = None,
    limit: int = 8,
    per_day: int = 2,
) -> list[Proposal]:
    """Slots where the job fits, ranked to level the load: those matching the
    customer's wish first, then the least loaded day, then the least loaded
    slot, then the earliest. At most `per_day` per day, so the booker has real
    alternatives to offer."""
    loads = {d.day: d for d in calendar.days()}
    last_day = first_day + dt.timedelta(days=days - 1)
    hours = PARTS_OF_DAY.get(part_of_day or "")
    ranked = []
    for slot in calendar.slots:
        local = slot.start.astimezone(calendar.tz)
        if slot.start <= now or not first_day <= local.date() <= last_day:
            continue
        try:
            ready_at = calendar.check(slot.start, job)
        except Refused:
            continue
        matches = (wished_day is None or local.date() == wished_day) and (
            hours is None or hours[0] <= local.hour < hours[1]
        )
        on_duty = slot.tech_minutes[1]
        slot_ratio = slot.booked_minutes / on_duty if on_duty > EPSILON else 1.0
        key = (not matches, round(loads[local.date()].ratio, 3), round(slot_ratio, 3), slot.start)
        ranked.append((key, Proposal(slot.start, ready_at, loads[local.date()], matches)))
    ranked.sort(key=lambda pair: pair[0])
    chosen, count_by_day = [], {}
    for _key, proposal in ranked:
        day = proposal.day.day
        if count_by_day.get(day, 0) < per_day:
            chosen.append(proposal)
            count_by_day[day] = count_by_day.get(day, 0) + 1
        if len(chosen) == limit:
            break
    return chosen
