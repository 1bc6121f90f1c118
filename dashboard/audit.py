"""The audit list: recent changes of prices, consents, invoices and complaint
levels at one station, newest first, each with who, when, what and the
fields changed old → new.

The history rows live in one table per audited model (dealers.audit). The
list is one UNION over those tables of (history id, date, source) — counted
and paged by the database — and only the page's rows are then read in full,
with the row before each (for the diff) found by a subquery: a fixed number
of queries per source on the page, however long the history.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.core.paginator import Page, Paginator
from django.db import models
from django.db.models import IntegerField, OuterRef, Q, Subquery, Value
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from complaints.models import Complaint
from dealers.models import Dealer, LabourOperation, Part
from reception.models import ConsentRecord, EstimateLine, Invoice, InvoiceLine, Payment
from workshop.models import FindingLine

KINDS = {
    "price": _("Prices"),
    "consent": _("Consents"),
    "invoice": pgettext_lazy("audit kind", "Invoices"),
    "level": _("Complaint levels"),
}
ACTIONS = {
    "+": pgettext_lazy("audit action", "created"),
    "~": pgettext_lazy("audit action", "changed"),
    "-": pgettext_lazy("audit action", "deleted"),
}


@dataclass(frozen=True)
class Source:
    """One audited model as the audit list reads it."""

    kind: str
    model: type[models.Model]
    station: Callable[[Dealer], Q]  # the station's rows
    fields: tuple[str, ...]  # shown, in this order
    related: tuple[str, ...] = ()  # select_related for the label and link
    search: Callable[[str], Q] | None = None  # by RO / invoice number; None: no number to search
    label: Callable = str
    link: Callable = lambda row: None

    @property
    def history(self) -> type[models.Model]:
        return self.model.history.model


def _ro(path: str) -> Callable[[str], Q]:
    return lambda q: Q(**{f"{path}number__icontains": q})


def _complaint_number(q: str) -> Q:
    digits = re.fullmatch(r"(?i)(?:TS)?0*(\d{1,9})", q)
    return Q(id=int(digits.group(1))) if digits else Q(pk__in=[])


def _order_link(ro_id) -> str | None:
    return reverse("reception:order", args=[ro_id]) if ro_id else None


SOURCES: tuple[Source, ...] = (
    Source(
        "price",
        Dealer,
        lambda s: Q(id=s.pk),
        ("labour_rate", "vat_rate", "max_discount_percent"),
        label=lambda r: r.name,
    ),
    Source(
        "price",
        LabourOperation,
        lambda s: Q(dealer=s),
        ("flat_rate_hours", "name", "is_active"),
        label=lambda r: f"{r.code} {r.name}",
    ),
    Source(
        "price",
        Part,
        lambda s: Q(dealer=s),
        ("unit_price", "name", "is_active"),
        label=lambda r: f"{r.number} {r.name}",
    ),
    Source(
        "price",
        EstimateLine,
        lambda s: Q(repair_order__dealer=s),
        ("description", "quantity", "unit_price", "discount_percent", "amount", "pay_type"),
        related=("repair_order",),
        search=_ro("repair_order__"),
        label=lambda r: f"{r.repair_order.number} · {r.description}",
        link=lambda r: _order_link(r.repair_order_id),
    ),
    Source(
        "consent",
        ConsentRecord,
        lambda s: Q(repair_order__dealer=s),
        ("method", "signed_by_name", "total", "promised_at", "tolerance_amount", "tolerance_minutes", "note"),
        related=("repair_order",),
        search=_ro("repair_order__"),
        label=lambda r: r.repair_order.number,
        link=lambda r: _order_link(r.repair_order_id),
    ),
    Source(
        "consent",
        FindingLine,
        lambda s: Q(finding__dealer=s),
        ("description", "quantity", "unit_price", "amount", "decision", "decided_via", "decision_note"),
        related=("finding__repair_order",),
        search=_ro("finding__repair_order__"),
        label=lambda r: f"{r.finding.repair_order.number} · {r.description}",
        link=lambda r: _order_link(r.finding.repair_order_id),
    ),
    Source(
        "invoice",
        Invoice,
        lambda s: Q(dealer=s),
        ("kind", "status", "total", "customer_total", "amount_due", "paid_at", "reason"),
        related=("repair_order",),
        search=lambda q: Q(number__icontains=q) | Q(repair_order__number__icontains=q),
        label=lambda r: r.number,
        link=lambda r: reverse("reception:invoice", args=[r.repair_order_id]),
    ),
    Source(
        "invoice",
        InvoiceLine,
        lambda s: Q(invoice__dealer=s),
        ("description", "quantity", "unit_price", "discount_percent", "amount", "vat"),
        related=("invoice",),
        search=lambda q: Q(invoice__number__icontains=q) | Q(invoice__repair_order__number__icontains=q),
        label=lambda r: f"{r.invoice.number} · {r.description}",
        link=lambda r: reverse("reception:invoice", args=[r.invoice.repair_order_id]),
    ),
    Source(
        "invoice",
        Payment,
        lambda s: Q(invoice__dealer=s),
        ("method", "amount", "reference"),
        related=("invoice",),
        search=lambda q: Q(invoice__number__icontains=q) | Q(invoice__repair_order__number__icontains=q),
        label=lambda r: r.invoice.number,
        link=lambda r: reverse("reception:invoice", args=[r.invoice.repair_order_id]),
    ),
    Source(
        "level",
        Complaint,
        lambda s: Q(dealer=s),
        ("level",),
        search=_complaint_number,
        label=lambda r: f"TS{r.id:06d}",
        link=lambda r: reverse("complaints:detail", args=[r.id]),
    ),
)


@dataclass(frozen=True)
class Filters:
    kind: str = ""
    first: dt.date | None = None
    last: dt.date | None = None
    q: str = ""

    @classmethod
    def parse(cls, params) -> Filters:
        kind = params.get("kind", "")
        return cls(
            kind=kind if kind in KINDS else "",
            first=_date(params.get("from")),
            last=_date(params.get("to")),
            q=params.get("q", "").strip()[:40],
        )

    @property
    def active(self) -> bool:
        return bool(self.kind or self.first or self.last or self.q)


def _date(text: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text) if text else None
    except ValueError:
        return None


@dataclass
class Change:
    field: str
    old: str
    new: str


@dataclass
class Entry:
    at: dt.datetime
    who: str
    action: str
    kind: str
    what: str  # the model
    label: str  # the object
    link: str | None
    changes: list[Change] = field(default_factory=list)


def history_rows(station: Dealer, filters: Filters) -> models.QuerySet:
    """(history_id, history_date, source) of every matching history row, newest first."""
    tz = ZoneInfo(station.time_zone)
    parts = []
    for index, source in enumerate(SOURCES):
        if filters.kind and source.kind != filters.kind:
            continue
        if filters.q and source.search is None:
            continue
        qs = source.history.objects.filter(source.station(station))
        if filters.q:
            qs = qs.filter(source.search(filters.q))
        if filters.first:
            qs = qs.filter(history_date__gte=dt.datetime.combine(filters.first, dt.time.min, tz))
        if filters.last:
            qs = qs.filter(history_date__lt=dt.datetime.combine(filters.last + dt.timedelta(days=1), dt.time.min, tz))
        parts.append(
            qs.order_by()
            .annotate(source=Value(index, output_field=IntegerField()))
            .values("history_id", "history_date", "source")
        )
    if not parts:
        return EstimateLine.history.none().values("history_id", "history_date")
    first, *rest = parts
    return (
        first.union(*rest, all=True).order_by("-history_date", "-history_id")
        if rest
        else first.order_by("-history_date", "-history_id")
    )


def audit_page(station: Dealer, filters: Filters, page_number, per_page: int) -> tuple[Page, list[Entry]]:
    page = Paginator(history_rows(station, filters), per_page).get_page(page_number)
    wanted: dict[int, list[int]] = defaultdict(list)
    for row in page.object_list:
        wanted[row["source"]].append(row["history_id"])
    read = {}
    for index, ids in wanted.items():
        source = SOURCES[index]
        for row, prev in _rows_with_previous(source, ids):
            read[(index, row.history_id)] = _entry(source, row, prev, station)
    entries = [read[(row["source"], row["history_id"])] for row in page.object_list]
    return page, entries


def _rows_with_previous(source: Source, ids: list[int]):
    history = source.history
    before = history.objects.filter(id=OuterRef("id"), history_id__lt=OuterRef("history_id")).order_by("-history_id")
    rows = list(
        history.objects.filter(history_id__in=ids)
        .select_related("history_user__staff", *source.related)
        .annotate(prev_id=Subquery(before.values("history_id")[:1]))
    )
    previous = history.objects.in_bulk([r.prev_id for r in rows if r.prev_id])
    return [(row, previous.get(row.prev_id)) for row in rows]


def _entry(source: Source, row, prev, station: Dealer) -> Entry:
    tz = ZoneInfo(station.time_zone)
    user = row.history_user
    staff = getattr(user, "staff", None) if user else None
    if row.history_type == "~" and prev is not None:
        delta = row.diff_against(prev, included_fields=source.fields)
        changes = [
            Change(_label(source, c.field), _show(source, c.field, c.old, tz), _show(source, c.field, c.new, tz))
            for c in sorted(delta.changes, key=lambda c: source.fields.index(c.field))
        ]
    elif row.history_type == "-":
        changes = []
    else:  # created, or the first change recorded of a row older than the history
        changes = [
            Change(_label(source, name), "", _show(source, name, getattr(row, name), tz))
            for name in source.fields
            if getattr(row, name) not in (None, "")
        ]
    return Entry(
        at=timezone.localtime(row.history_date, tz),
        who=staff.display_name if staff else (user.get_username() if user else ""),
        action=ACTIONS.get(row.history_type, row.history_type),
        kind=KINDS[source.kind],
        what=source.model._meta.verbose_name,
        label=source.label(row),
        link=source.link(row),
        changes=changes,
    )


def _label(source: Source, name: str) -> str:
    return str(source.model._meta.get_field(name).verbose_name)


def _show(source: Source, name: str, value, tz) -> str:
    if value is None or value == "":
        return "—"
    model_field = source.model._meta.get_field(name)
    if model_field.choices:
        return str(dict(model_field.flatchoices).get(value, value))
    if isinstance(value, bool):
        return str(_("yes") if value else _("no"))
    if isinstance(value, dt.datetime):
        return date_format(timezone.localtime(value, tz), "Y-m-d H:i")
    if isinstance(value, Decimal):
        return f"{value:,}"
    return str(value)
