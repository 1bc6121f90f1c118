"""The dispatch board's read model (维修进度看板): one card per repair order
in the workshop, sorted into columns, with late and forecast-late flags.

Everything the cards show is loaded with a fixed number of queries (the
orders with vehicle and advisor, then their jobs with technician and bay),
whatever the number of cards; columns, counts, filters and the delay
forecast are plain Python over those rows.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Prefetch
from django.utils.translation import pgettext_lazy

from appointments.capacity import BAYS_FOR_JOB
from dealers.models import Dealer
from reception.models import RO_OPEN_STATES, RO_TRANSITIONS, RepairOrder, ROStatus, WaitingMode
from workshop.models import Job, JobStatus

# Repair orders on the board: past draft, not yet handed back.
BOARD_STATES = tuple(state for state in RO_OPEN_STATES if state != ROStatus.DRAFT)

DISPATCH = "dispatch"
# Column key and heading, left to right. The keys of the later columns are
# the RO status they show.
COLUMNS: list[tuple[str, str]] = [
    (DISPATCH, pgettext_lazy("board column", "Waiting for dispatch")),
    (ROStatus.IN_PROGRESS, pgettext_lazy("board column", "In progress")),
    (ROStatus.WAITING_APPROVAL, pgettext_lazy("board column", "Waiting for approval")),
    (ROStatus.WAITING_PARTS, pgettext_lazy("board column", "Waiting for parts")),
    (ROStatus.QUALITY_CHECK, pgettext_lazy("board column", "Quality check")),
    (ROStatus.REWORK, pgettext_lazy("board column", "Rework")),
    (ROStatus.READY, pgettext_lazy("board column", "Ready (washed)")),
]
COLUMN_LABELS = dict(COLUMNS)

# Where a card may be moved on the board. Ready and rework are decided by the
# quality check's sign-off, cancelling and delivery at the front desk, and an
# order goes in progress from open when a technician starts the clock.
BOARD_MOVE_TARGETS = frozenset(
    {ROStatus.IN_PROGRESS, ROStatus.WAITING_APPROVAL, ROStatus.WAITING_PARTS, ROStatus.QUALITY_CHECK}
)


def forecast_late(remaining_hours: Decimal | float, now: dt.datetime, promised_at: dt.datetime | None) -> bool:
    """True when the flat-rate hours still to do exceed the hours left until
    the promised time. No promised time, or nothing left to do: not late."""
    if promised_at is None or remaining_hours <= 0:
        return False
    hours_left = Decimal((promised_at - now).total_seconds()) / Decimal(3600)
    return Decimal(remaining_hours) > hours_left


def board_moves(status: str, *, all_jobs_done: bool) -> list[str]:
    """The statuses a card may be moved to from the board, in column order."""
    targets = set(RO_TRANSITIONS.get(status, set())) & BOARD_MOVE_TARGETS
    if status == ROStatus.OPEN:
        targets.discard(ROStatus.IN_PROGRESS)  # the technician's start does that
    if not all_jobs_done:
        targets.discard(ROStatus.QUALITY_CHECK)  # nothing goes to the check half done
    return [key for key, _label in COLUMNS if key in targets]


@dataclass
class Card:
    order: RepairOrder
    jobs: list[Job]
    column: str
    late: bool
    forecast_late: bool
    remaining_hours: Decimal
    moves: list[str]
    technicians: list[str] = field(default_factory=list)
    # Filled by the view (workshop.views.board.card_links): where the card's
    # taps go and its promised time as shown, made once per board, not per
    # card in the template.
    links: dict[str, str] = field(default_factory=dict)
    promised_label: str = "—"

    @property
    def move_choices(self) -> list[tuple[str, str]]:
        return [(key, COLUMN_LABELS[key]) for key in self.moves]

    @property
    def jobs_done(self) -> int:
        return sum(1 for job in self.jobs if job.status == JobStatus.DONE)

    @property
    def jobs_total(self) -> int:
        return len(self.jobs)

    @property
    def waits_in_lounge(self) -> bool:
        return self.order.waiting == WaitingMode.LOUNGE

    @property
    def to_dispatch(self) -> int:
        return sum(1 for job in self.jobs if job.status == JobStatus.WAITING)

    def bay_types(self) -> set[str]:
        """The bay types of its assigned bays, or those its job type needs."""
        assigned = {job.bay.bay_type for job in self.jobs if job.bay_id}
        return assigned or set(BAYS_FOR_JOB.get(self.order.job_type, ()))


@dataclass
class Column:
    key: str
    label: str
    cards: list[Card]

    @property
    def count(self) -> int:
        return len(self.cards)


def board_orders(station: Dealer):
    jobs = Job.objects.select_related("technician", "bay").order_by("pk")
    return (
        RepairOrder.objects.for_station(station)
        .filter(status__in=BOARD_STATES)
        .select_related("vehicle", "advisor")
        .prefetch_related(Prefetch("jobs", queryset=jobs))
    )


def column_of(order: RepairOrder, jobs: list[Job]) -> str:
    """An open order waits for dispatch while it has no jobs or any job
    still waiting; once every job is assigned it is shown in progress. Later
    orders sit in the column of their status."""
    if order.status == ROStatus.OPEN:
        if not jobs or any(job.status == JobStatus.WAITING for job in jobs):
            return DISPATCH
        return ROStatus.IN_PROGRESS
    return order.status


def card_of(order: RepairOrder, now: dt.datetime) -> Card:
    jobs = list(order.jobs.all())
    remaining = sum((job.flat_rate_hours for job in jobs if job.status != JobStatus.DONE), Decimal("0"))
    unfinished = order.status != ROStatus.READY
    late = bool(unfinished and order.promised_at and now > order.promised_at)
    names = sorted({job.technician.display_name for job in jobs if job.technician_id})
    return Card(
        order=order,
        jobs=jobs,
        column=column_of(order, jobs),
        late=late,
        forecast_late=bool(unfinished and not late and forecast_late(remaining, now, order.promised_at)),
        remaining_hours=remaining,
        moves=board_moves(order.status, all_jobs_done=all(job.status == JobStatus.DONE for job in jobs)),
        technicians=names,
    )


def _sort_key(card: Card) -> tuple:
    promised = card.order.promised_at
    return (promised is None, promised or dt.datetime.max.replace(tzinfo=dt.UTC), card.order.number)


def board_columns(
    station: Dealer, now: dt.datetime, *, bay_type: str = "", technician_id: int | None = None
) -> list[Column]:
    """The board's columns, each with its cards (soonest promised first)."""
    cards = [card_of(order, now) for order in board_orders(station)]
    if bay_type:
        cards = [card for card in cards if bay_type in card.bay_types()]
    if technician_id:
        cards = [card for card in cards if any(job.technician_id == technician_id for job in card.jobs)]
    by_column: dict[str, list[Card]] = {key: [] for key, _label in COLUMNS}
    for card in cards:
        by_column[card.column].append(card)
    return [Column(key=key, label=label, cards=sorted(by_column[key], key=_sort_key)) for key, label in COLUMNS]
