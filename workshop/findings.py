"""Additional work (追加维修): findings on the car and the customer's decision per line.

A technician, the dispatcher or the advisor records a finding with proposed
lines (catalogue operations at the station's labour rate, catalogue parts at
their price, extra time). The repair order then waits for approval. The
advisor records the customer's decision per line — in person with a
signature, by phone with the call note, or through a signed link the
customer opens on their phone — or, when the extra amount and time fit the
tolerance agreed with the estimate, consents them as within the tolerance.

Approved lines join the estimate as estimate lines, covered by a new consent
record in the frozen format of reception.estimates (``agreed["lines"]`` with
the line ids, which workshop.jobs reads), and become jobs. Declined lines
stay as recommendations with a due date (and optionally mileage) for the
reminder engine. No work is done on a line without the customer's consent.

The link is signed (django.core.signing) with the approval purpose's salt
(`dealers.links`: a booking link does not open it) and names the finding and
the moment it was sent; sending again moves that moment, so every older link
is refused. It expires `settings.CUSTOMER_LINK_APPROVAL_HOURS` (a day) after
it was sent, and it is used up once every line is decided: a second answer is
refused, never applied twice. Refused attempts are recorded as FindingEvent
"link_refused" with the reason, and logged with the client's address
(`dealers.links.log_refusal`).
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from simple_history.utils import bulk_create_with_history

from dealers import links
from dealers.audit import records_actor
from dealers.models import LabourOperation, Part, StaffMember
from reception import pricing
from reception.estimates import (
    agreed_snapshot,
    consent_covers,
    hand_parts_over,
    next_position,
    other_lines_quantity,
    part_in_stock,
    save_line,
)
from reception.models import ConsentMethod, ConsentRecord, EstimateLine, LineKind, RepairOrder, ROStatus
from reception.services import repair_order_transition
from reception.walkaround import checked_image, stored_name
from workshop.jobs import consented_line_ids, jobs_sync
from workshop.models import (
    Decision,
    DecisionVia,
    Finding,
    FindingEvent,
    FindingLine,
    FindingPhoto,
    Job,
    Urgency,
)

logger = logging.getLogger(__name__)

# Where work happens: a finding can be recorded and decided while the RO is in one of these.
FINDING_STATES = (
    ROStatus.OPEN,
    ROStatus.IN_PROGRESS,
    ROStatus.WAITING_APPROVAL,
    ROStatus.WAITING_PARTS,
    ROStatus.REWORK,
)
MAX_PHOTOS = 8
MAX_LINES = 12
LINK_PURPOSE = links.APPROVAL
LINK_SALT = links.salt(LINK_PURPOSE)
LINK_VALID = dt.timedelta(hours=settings.CUSTOMER_LINK_APPROVAL_HOURS)
# A declined line is due again: red at once, yellow within a month, green within three.
RECOMMEND_AFTER = {
    Urgency.RED: dt.timedelta(0),
    Urgency.YELLOW: dt.timedelta(days=30),
    Urgency.GREEN: dt.timedelta(days=90),
}
VIA_METHOD = {
    DecisionVia.IN_PERSON: ConsentMethod.SIGNATURE_PAD,
    DecisionVia.PHONE: ConsentMethod.PHONE,
    DecisionVia.LINK: ConsentMethod.LINK,
}


# --- recording a finding -------------------------------------------------------------------


@dataclass(frozen=True)
class ProposedLine:
    """One proposed line as entered: an operation or a part of the catalogue.
    `quantity` is hours for an operation (default: its flat-rate time);
    `extra_hours` the time it adds (default: the hours of an operation, 0 for a part)."""

    operation: LabourOperation | None = None
    part: Part | None = None
    quantity: Decimal | None = None
    extra_hours: Decimal | None = None


def _number(value: Any, field: str, message: str) -> Decimal:
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ArithmeticError):
        raise ValidationError({field: message}) from None
    if not number.is_finite():
        raise ValidationError({field: message})
    return number


def _finding_line(ro: RepairOrder, proposed: ProposedLine) -> FindingLine:
    dealer = ro.dealer
    if (proposed.operation is None) == (proposed.part is None):
        raise ValidationError({"lines": _("Each proposed line is one labour operation or one part.")})
    if proposed.operation is not None:
        op = proposed.operation
        if op.dealer_id != dealer.pk or not op.is_active:
            raise ValidationError({"lines": _("This labour operation is not in the station's catalogue.")})
        hours = op.flat_rate_hours if proposed.quantity in (None, "") else proposed.quantity
        hours = _number(hours, "lines", _("The hours must be a number."))
        extra = hours if proposed.extra_hours in (None, "") else proposed.extra_hours
        line = FindingLine(
            kind=LineKind.LABOUR, operation=op, description=op.name[:160], quantity=hours, unit_price=dealer.labour_rate
        )
    else:
        part = proposed.part
        if part.dealer_id != dealer.pk or not part.is_active:
            raise ValidationError({"lines": _("This part is not in the station's catalogue.")})
        quantity = Decimal(1) if proposed.quantity in (None, "") else proposed.quantity
        quantity = _number(quantity, "lines", _("The quantity must be a number."))
        extra = Decimal(0) if proposed.extra_hours in (None, "") else proposed.extra_hours
        line = FindingLine(
            kind=LineKind.PART, part=part, description=part.name[:160], quantity=quantity, unit_price=part.unit_price
        )
    line.extra_hours = _number(extra, "lines", _("The extra time must be a number of hours."))
    if line.quantity <= 0:
        raise ValidationError({"lines": _("The quantity must be more than zero.")})
    if line.extra_hours < 0:
        raise ValidationError({"lines": _("The extra time cannot be negative.")})
    line.amount = pricing.line_amount(line.quantity, line.unit_price)
    return line


def _staff_of(by) -> StaffMember:
    staff = getattr(by, "staff", None)
    if staff is None:
        raise ValidationError(_("Only staff of the station can record this."))
    return staff


@records_actor
@transaction.atomic
def finding_record(
    *,
    repair_order: RepairOrder,
    description: str,
    urgency: str,
    lines: Iterable[ProposedLine],
    photos: Iterable[UploadedFile] = (),
    job: Job | None = None,
    by,
    now: dt.datetime | None = None,
) -> Finding:
    """Record what was found with its proposed lines and photos. An RO in
    progress goes to waiting for approval."""
    now = now or timezone.now()
    ro = RepairOrder.objects.select_for_update().select_related("dealer").get(pk=repair_order.pk)
    if ro.status not in FINDING_STATES:
        raise ValidationError(
            _("Additional work cannot be recorded on a repair order that is %(status)s.")
            % {"status": ROStatus(ro.status).label}
        )
    errors: dict[str, str] = {}
    if not description.strip():
        errors["description"] = _("Describe what was found.")
    if urgency not in Urgency.values:
        errors["urgency"] = _("Choose the urgency: red, yellow or green.")
    if job is not None and job.repair_order_id != ro.pk:
        errors["job"] = _("This job is not on the repair order.")
    photos = list(photos)
    if len(photos) > MAX_PHOTOS:
        errors["photos"] = _("At most %(count)s photos per finding.") % {"count": MAX_PHOTOS}
    if errors:
        raise ValidationError(errors)
    proposed = [_finding_line(ro, p) for p in lines]
    if not proposed:
        raise ValidationError({"lines": _("Propose at least one operation or part.")})
    if len(proposed) > MAX_LINES:
        raise ValidationError({"lines": _("At most %(count)s lines per finding.") % {"count": MAX_LINES}})
    checked = [checked_image(upload) for upload in photos]  # all refused before anything is written

    finding = Finding(
        dealer=ro.dealer,
        repair_order=ro,
        job=job,
        description=description.strip(),
        urgency=urgency,
        found_by=_staff_of(by),
        found_at=now,
    )
    finding.full_clean()
    finding.save()
    for line in proposed:
        line.finding = finding
        line.full_clean()
    bulk_create_with_history(proposed, FindingLine)
    for upload, (fmt, _image) in zip(photos, checked, strict=True):
        photo = FindingPhoto(finding=finding)
        photo.image.save(stored_name(fmt), upload, save=False)
        photo.full_clean()
        photo.save()
    FindingEvent.objects.create(finding=finding, at=now, kind="recorded", by=by, note=description.strip()[:300])
    if ro.status == ROStatus.IN_PROGRESS:
        repair_order_transition(
            repair_order=ro, to=ROStatus.WAITING_APPROVAL, by=by, now=now, note=_("Additional work found")
        )
    repair_order.status = ro.status
    return finding


# --- the signed link -------------------------------------------------------------------


class LinkRefused(Exception):
    """A link that may not be used; `reason` is logged, `message` shown to the customer.

    The reasons are those of dealers.links, except "used" (every line is
    decided: the link was used), which the log calls a replay."""

    def __init__(self, reason: str, message: str, *, finding: Finding | None = None):
        super().__init__(message)
        self.reason, self.message, self.finding = reason, message, finding

    @property
    def expired(self) -> bool:
        return self.reason == "expired"


def _sent_mark(finding: Finding) -> int:
    """The moment the current link was sent, in microseconds: the link's nonce."""
    return int(finding.link_sent_at.timestamp() * 1_000_000)


def link_token(finding: Finding) -> str | None:
    """The current link's token, while one is sent; None before the first sending."""
    if finding.link_sent_at is None:
        return None
    return signing.Signer(salt=LINK_SALT).sign_object({"f": finding.pk, "s": _sent_mark(finding)})


@transaction.atomic
def finding_link_send(*, finding: Finding, by, now: dt.datetime | None = None) -> str:
    """A new link for the customer, valid for LINK_VALID; every older link stops working."""
    now = now or timezone.now()
    finding = Finding.objects.select_for_update().get(pk=finding.pk)
    if not finding.lines.filter(decision=Decision.PENDING).exists():
        raise ValidationError(_("The customer has decided every line of this finding: there is nothing to send."))
    finding.link_sent_at = now
    finding.link_expires_at = now + LINK_VALID
    finding.save(update_fields=["link_sent_at", "link_expires_at"])
    FindingEvent.objects.create(
        finding=finding,
        at=now,
        kind="link_sent",
        by=by,
        note=_("Valid until %(at)s") % {"at": timezone.localtime(finding.link_expires_at).strftime("%Y-%m-%d %H:%M")},
    )
    return link_token(finding)


USED = "used"


def _refuse(
    reason: str, message: str, finding: Finding | None, now: dt.datetime, *, token: str, client_ip: str
) -> LinkRefused:
    if finding is not None:
        FindingEvent.objects.create(finding=finding, at=now, kind="link_refused", note=reason)
    log_reason = links.REPLAYED if reason == USED else reason
    links.log_refusal(LINK_PURPOSE, log_reason, client_ip=client_ip, token=token)
    return LinkRefused(reason, message, finding=finding)


def _already_decided(finding: Finding, now: dt.datetime, *, token: str, client_ip: str) -> LinkRefused:
    message = _("You have already decided on this work. Thank you.")
    return _refuse(USED, message, finding, now, token=token, client_ip=client_ip)


def _named_finding(token: str) -> Finding | None:
    """The finding an unverifiable token claims to be for, to log the attempt on it."""
    try:
        payload = signing.b64_decode(token.split(":", 1)[0].lstrip(".").encode())
        pk = int(json.loads(payload)["f"])
    except Exception:  # anything unreadable names no finding
        return None
    return Finding.objects.filter(pk=pk).first()


def finding_from_link(token: str, *, now: dt.datetime | None = None, client_ip: str = "") -> Finding:
    """The finding a link is for, or LinkRefused (recorded and logged). A link
    is refused when it is altered, of another purpose, superseded by a newer
    one, expired, or when every line is decided already (a replay)."""
    now = now or timezone.now()
    invalid = _("This link is not valid. Please use the link exactly as you received it.")
    seen = {"token": token, "client_ip": client_ip}
    try:
        payload = signing.Signer(salt=LINK_SALT).unsign_object(token)
        pk, mark = int(payload["f"]), int(payload["s"])
    except signing.BadSignature:
        reason = links.bad_signature_reason(token, LINK_PURPOSE)
        raise _refuse(reason, invalid, _named_finding(token), now, **seen) from None
    except (KeyError, TypeError, ValueError):
        raise _refuse(links.TAMPERED, invalid, _named_finding(token), now, **seen) from None
    finding = (
        Finding.objects.filter(pk=pk)
        .select_related("repair_order__vehicle", "repair_order__dealer", "repair_order__customer")
        .first()
    )
    if finding is None:
        raise _refuse(links.UNKNOWN, invalid, None, now, **seen)
    if finding.link_sent_at is None or mark != _sent_mark(finding):
        message = _("A newer link was sent for this work: please use the latest message from us.")
        raise _refuse(links.SUPERSEDED, message, finding, now, **seen)
    if finding.link_expires_at is None or now > finding.link_expires_at:
        raise _refuse(links.EXPIRED, _("This link has expired. Please call us for a new one."), finding, now, **seen)
    if not finding.lines.filter(decision=Decision.PENDING).exists():
        raise _already_decided(finding, now, **seen)
    return finding


# --- the customer's decision -------------------------------------------------------------


def recommend_default(urgency: str, today: dt.date) -> dt.date:
    return today + RECOMMEND_AFTER.get(urgency, RECOMMEND_AFTER[Urgency.GREEN])


def _estimate_line(ro: RepairOrder, line: FindingLine) -> EstimateLine:
    """The approved line on the estimate, priced by reception.pricing, with
    stock decided as the estimate does."""
    estimate_line = EstimateLine(
        repair_order=ro,
        kind=line.kind,
        operation=line.operation,
        part=line.part,
        description=line.description,
        part_number=line.part.number if line.part else "",
        quantity=line.quantity,
        unit_price=line.unit_price,
        position=next_position(ro),
    )
    if line.part is not None:
        estimate_line.in_stock = part_in_stock(ro, line.part, line.quantity, more=other_lines_quantity(ro, line.part))
    return save_line(estimate_line)


def _base_consent(ro: RepairOrder) -> ConsentRecord | None:
    """The latest consent the customer gave themselves: tolerance is measured
    from there, so consents within tolerance do not add up beyond it."""
    for consent in ro.consents.order_by("-recorded_at", "-pk"):
        if (consent.agreed or {}).get("via") != DecisionVia.TOLERANCE:
            return consent
    return None


def _check_tolerance(ro: RepairOrder, base: ConsentRecord | None, extra_minutes: int) -> None:
    """After the approved lines are on the estimate: do the extra amount and
    time still fit what the customer agreed? (consent_covers, with the
    promised time moved by the extra time.)"""
    refused = ValidationError(
        _("The extra amount or time is beyond the tolerance the customer agreed: ask the customer.")
    )
    if base is None:
        raise refused
    moved = copy.copy(ro)
    if ro.promised_at is not None:
        moved.promised_at = ro.promised_at + dt.timedelta(minutes=extra_minutes)
    else:
        earlier = FindingLine.objects.filter(
            finding__repair_order=ro, decided_via=DecisionVia.TOLERANCE, consent__pk__gt=base.pk
        ).values_list("extra_hours", flat=True)
        if extra_minutes + int(sum(earlier, Decimal(0)) * 60) > base.tolerance_minutes:
            raise refused
    if not consent_covers(moved, consent=base):
        raise refused


def _consent_for(
    ro: RepairOrder,
    finding: Finding,
    approved: list[EstimateLine],
    *,
    via: str,
    base: ConsentRecord | None,
    extra_minutes: int,
    signed_by_name: str,
    note: str,
    signature_png: bytes | None,
    recorder,
    now: dt.datetime,
) -> ConsentRecord:
    """A new consent covering the approved lines, in the frozen format of
    reception.estimates.consent_record (which only serves an estimate still
    at the desk and consents all its lines)."""
    agreed = agreed_snapshot(ro, approved)
    covered = consented_line_ids(ro) | {x.pk for x in approved}
    consented_lines = [x for x in ro.lines.all() if x.pk in covered]
    agreed.update(
        {
            "finding": finding.pk,
            "via": via,
            "extra_minutes": extra_minutes,
            "order_customer_totals": pricing.totals(consented_lines, ro.dealer.vat_rate, customer_only=True).as_dict(),
        }
    )
    method = VIA_METHOD.get(via) or (base.method if base else ConsentMethod.PRINTED)
    consent = ConsentRecord(
        repair_order=ro,
        method=method,
        signed_by_name=signed_by_name[:60],
        agreed=agreed,
        total=pricing.totals(consented_lines, ro.dealer.vat_rate, customer_only=True).total,
        promised_at=ro.promised_at,
        tolerance_amount=ro.tolerance_amount,
        tolerance_minutes=ro.tolerance_minutes,
        note=note[:300],
        recorded_by=recorder,
        recorded_at=now,
    )
    if signature_png:
        consent.signature.save(stored_name("PNG"), ContentFile(signature_png), save=False)  # random, never the RO's
    consent.full_clean()
    consent.save()
    return consent


def _check_decisions(
    finding: Finding, decisions: Mapping[int, str], via: str, *, signature_png, contact: str, note: str
) -> tuple[dict[int, FindingLine], dict[int, str]]:
    if via not in DecisionVia.values:
        raise ValidationError({"via": _("Choose how the customer decided.")})
    pending = {x.pk: x for x in finding.lines.select_for_update().filter(decision=Decision.PENDING)}
    if not pending:
        raise ValidationError(_("The customer has already decided every line of this finding."), code="decided")
    try:
        decisions = {int(k): v for k, v in decisions.items() if v}
    except (TypeError, ValueError):
        raise ValidationError({"decisions": _("Each line is either approved or declined.")}) from None
    if not decisions:
        raise ValidationError({"decisions": _("Choose approve or decline for at least one line.")})
    if set(decisions) - set(pending):
        raise ValidationError(_("Some of these lines are already decided: reload the page."), code="decided")
    if set(decisions.values()) - {Decision.APPROVED, Decision.DECLINED}:
        raise ValidationError({"decisions": _("Each line is either approved or declined.")})
    if via == DecisionVia.LINK and set(decisions) != set(pending):
        raise ValidationError({"decisions": _("Please approve or decline every line.")})
    if via == DecisionVia.IN_PERSON and not signature_png and Decision.APPROVED in decisions.values():
        raise ValidationError({"signature": _("The signature pad is empty: ask the customer to sign.")})
    if via == DecisionVia.PHONE and (not contact.strip() or not note.strip()):
        raise ValidationError({"note": _("For a decision by phone, note whom you spoke to and what was said.")})
    if via == DecisionVia.TOLERANCE and Decision.DECLINED in decisions.values():
        raise ValidationError({"via": _("Within the tolerance, lines can only be approved.")})
    return {pk: pending[pk] for pk in decisions}, decisions


@dataclass
class DecisionOutcome:
    approved: list[FindingLine]
    declined: list[FindingLine]
    consent: ConsentRecord | None
    resumed: bool  # the RO went back to in progress


@records_actor
@transaction.atomic
def finding_decide(
    *,
    finding: Finding,
    decisions: Mapping[int, str],
    via: str,
    by=None,
    note: str = "",
    signature_png: bytes | None = None,
    contact: str = "",
    contacted_at: dt.datetime | None = None,
    recommend: Mapping[int, tuple[dt.date | None, int | None]] | None = None,
    now: dt.datetime | None = None,
) -> DecisionOutcome:
    """The customer's decision on some or all pending lines of a finding.

    `decisions` maps a FindingLine id to "approved" or "declined"; `via` is
    how they decided (DecisionVia); `contact` who decided (the person on the
    phone, the signer); `recommend` an optional due date and km per declined
    line (defaults by urgency). Approved lines join the RO with a new
    consent and become jobs; with no line pending the RO resumes."""
    now = now or timezone.now()
    ro = RepairOrder.objects.select_for_update().select_related("dealer").get(pk=finding.repair_order_id)
    finding = Finding.objects.select_for_update().get(pk=finding.pk)
    if ro.status not in FINDING_STATES:
        raise ValidationError(
            _("Decisions cannot be recorded on a repair order that is %(status)s.")
            % {"status": ROStatus(ro.status).label}
        )
    lines, decisions = _check_decisions(
        finding, decisions, via, signature_png=signature_png, contact=contact, note=note
    )
    approved = [x for pk, x in lines.items() if decisions[pk] == Decision.APPROVED]
    declined = [x for x in lines.values() if x not in approved]
    recorder = by if getattr(by, "is_authenticated", False) else _link_sender(finding, ro)
    when = contacted_at or now

    consent = None
    if approved:
        base = _base_consent(ro)
        extra_minutes = int(sum((x.extra_hours for x in approved), Decimal(0)) * 60)
        estimate_lines = [_estimate_line(ro, x) for x in approved]
        if via == DecisionVia.TOLERANCE:
            _check_tolerance(ro, base, extra_minutes)
        if ro.promised_at is not None and extra_minutes:
            ro.promised_at += dt.timedelta(minutes=extra_minutes)
            ro.save(update_fields=["promised_at"])
        consent_note = note if via != DecisionVia.TOLERANCE else _("Within the tolerance agreed with the estimate.")
        consent = _consent_for(
            ro,
            finding,
            estimate_lines,
            via=via,
            base=base,
            extra_minutes=extra_minutes,
            signed_by_name=contact.strip() or ro.customer.name,
            note=consent_note,
            signature_png=signature_png if via == DecisionVia.IN_PERSON else None,
            recorder=recorder,
            now=now,
        )
        hand_parts_over(ro, consent, estimate_lines, by=recorder)
        for line, estimate_line in zip(approved, estimate_lines, strict=True):
            line.estimate_line, line.consent = estimate_line, consent
    today = timezone.localtime(now).date()
    for line in [*approved, *declined]:
        line.decision = Decision.APPROVED if line in approved else Decision.DECLINED
        line.decided_via, line.decided_at = via, when
        line.decision_note = (f"{contact.strip()}: {note.strip()}" if contact.strip() else note.strip())[:300]
        if line.decision == Decision.DECLINED:
            due, km = (recommend or {}).get(line.pk, (None, None))
            line.recommend_by_date = due or recommend_default(finding.urgency, today)
            line.recommend_by_km = km
        line.full_clean()
        line.save()
    FindingEvent.objects.create(
        finding=finding,
        at=now,
        kind="decided",
        by=by if getattr(by, "is_authenticated", False) else None,
        note=(
            _("%(via)s: %(approved)s approved, %(declined)s declined")
            % {"via": DecisionVia(via).label, "approved": len(approved), "declined": len(declined)}
        )[:300],
    )
    if approved:
        jobs_sync(ro)
    resumed = False
    if (
        ro.status == ROStatus.WAITING_APPROVAL
        and not FindingLine.objects.filter(finding__repair_order=ro, decision=Decision.PENDING).exists()
    ):
        repair_order_transition(
            repair_order=ro, to=ROStatus.IN_PROGRESS, by=recorder, now=now, note=_("Additional work decided")
        )
        resumed = True
    return DecisionOutcome(approved=approved, declined=declined, consent=consent, resumed=resumed)


def _link_sender(finding: Finding, ro: RepairOrder):
    """Who answers for a decision made through the link: whoever sent it, else the RO's advisor."""
    event = finding.events.filter(kind="link_sent", by__isnull=False).order_by("-at", "-pk").first()
    return event.by if event else ro.advisor.user


def finding_decide_by_link(
    *, token: str, decisions: Mapping[int, str], now: dt.datetime | None = None, client_ip: str = ""
) -> DecisionOutcome:
    """The customer's submission on the public page. A second submission of
    the same link changes nothing: the link is used up (LinkRefused "used"),
    also when two submissions cross and the other one decided first.
    Not one transaction with the check: a refusal's log entry must stay."""
    now = now or timezone.now()
    finding = finding_from_link(token, now=now, client_ip=client_ip)
    try:
        return finding_decide(
            finding=finding, decisions=decisions, via=DecisionVia.LINK, note=_("Through the link"), now=now
        )
    except ValidationError as error:
        if any(getattr(e, "code", None) == "decided" for e in getattr(error, "error_list", [])):
            raise _already_decided(finding, now, token=token, client_ip=client_ip) from None
        raise


# --- reads -----------------------------------------------------------------------------


def findings_of(repair_order: RepairOrder) -> list[Finding]:
    return list(
        Finding.objects.filter(repair_order=repair_order)
        .select_related("found_by", "job__estimate_line")
        .prefetch_related("lines__operation", "lines__part", "photos", "events__by__staff")
    )


def pending_lines(finding: Finding) -> list[FindingLine]:
    return [x for x in finding.lines.all() if x.decision == Decision.PENDING]
