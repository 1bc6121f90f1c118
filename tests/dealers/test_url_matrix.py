"""Every URL of the project × every staff role × a row of the user's own station
and one of another station, each with the outcome the design gives it.

The rules (dealers/access.py, dealers/stations.py): a role not allowed a page gets
403; a row of a station the user does not belong to answers 404 as if it did not
exist (call-center agents excepted for complaints: they serve every station);
a signed-out visitor is sent to /login/, except on the public pages (self-booking,
the customer's links, the health check, sign-in, the language switch, the public
API). Only GET is sent, so nothing is written: a page that only takes POST must
refuse a GET with 405.

The table below is written out rather than derived from the views' decorators,
so that a change to who may open a page shows up here as a failing case, and a
URL pattern without an entry fails `test_every_url_pattern_has_an_entry_in_the_matrix`.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.cache import cache
from django.db import transaction
from django.test import Client, override_settings
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from django.utils.http import urlencode

from appointments import public as public_booking
from appointments.models import Appointment
from appointments.models import Status as AStatus
from complaints.models import ChargeReview, Contact, ContactType
from dealers.models import JobType, Role
from followup.messaging.letters import BATCH_PREFIX
from followup.models import Campaign, Channel, ContactTask, Kind, Message, MessageStatus, TaskStatus
from reception.models import (
    Arrival,
    ConsentMethod,
    ConsentRecord,
    DamageMark,
    EstimateLine,
    Invoice,
    InvoiceLine,
    InvoiceStatus,
    LineKind,
    PartsIssueNotice,
    PartsOrder,
    PayType,
    RepairOrder,
    ROStatus,
    WalkAround,
    WalkAroundPhoto,
)
from tests.factories import DealerFactory, LabourOperationFactory, StaffFactory, VehicleFactory, complaint_ticket
from workshop import findings as finding_links
from workshop.models import (
    FaultCase,
    FaultCasePhoto,
    Finding,
    FindingLine,
    FindingPhoto,
    Job,
    JobStatus,
    QualityCheck,
    QualityItem,
)

# A 1×1 PNG: the photo pages stream the stored file.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000100e527de0000000049454e44ae426082"
)
_n = itertools.count(1)


# --------------------------------------------------------------------------------------
# The rows: one of each kind at the user's station and at another station
# --------------------------------------------------------------------------------------


def _rows(station, *, tag: str, advisor, technician, user, media: Path) -> SimpleNamespace:
    """One row of each kind the URLs name, all of `station`. `tag` marks the
    names and numbers, so a page can be searched for another station's rows."""
    now = timezone.now()
    car = VehicleFactory(owner__dealer=station, owner__name=f"{tag}客户", plate=f"{tag[:1]}A{next(_n):05d}")
    customer = car.owner
    LabourOperationFactory(dealer=station, job_type=JobType.REPAIR)

    def appointment(when, status=AStatus.BOOKED) -> Appointment:
        return Appointment.objects.create(
            dealer=station,
            number=f"{tag}Y{next(_n):04d}",
            customer=customer,
            vehicle=car,
            advisor=advisor,
            job_type=JobType.MAINTENANCE,
            arrives_at=when,
            hours=Decimal("1"),
            ready_at=when + dt.timedelta(hours=2),
            request="保养",
            status=status,
        )

    def order(status, vehicle=None) -> RepairOrder:
        return RepairOrder.objects.create(
            dealer=station,
            number=f"{tag}R{next(_n):04d}",
            customer=customer,
            vehicle=vehicle or VehicleFactory(owner=customer),
            advisor=advisor,
            job_type=JobType.REPAIR,
            status=status,
        )

    def line(ro) -> EstimateLine:
        return EstimateLine.objects.create(
            repair_order=ro,
            kind=LineKind.LABOUR,
            description="更换前刹车片",
            quantity=Decimal("1"),
            unit_price=Decimal("180"),
            amount=Decimal("180"),
            pay_type=PayType.CUSTOMER,
        )

    def consent(ro, signature: str = "") -> ConsentRecord:
        return ConsentRecord.objects.create(
            repair_order=ro,
            method=ConsentMethod.SIGNATURE_PAD if signature else ConsentMethod.PRINTED,
            signature=signature,
            agreed={},
            total=Decimal("180"),
            recorded_by=user,
            recorded_at=now,
        )

    booked = appointment(now + dt.timedelta(days=1))
    arrived = appointment(now - dt.timedelta(hours=1), AStatus.ARRIVED)
    arrival = Arrival.objects.create(dealer=station, appointment=arrived, vehicle=car, arrived_at=now)

    # A car in the workshop: estimate agreed, one job dispatched, a finding, a quality check.
    ro = order(ROStatus.IN_PROGRESS)
    job = Job.objects.create(
        dealer=station,
        repair_order=ro,
        estimate_line=line(ro),
        technician=technician,
        status=JobStatus.ASSIGNED,
        flat_rate_hours=Decimal("1"),
    )
    done_job = Job.objects.create(
        dealer=station,
        repair_order=ro,
        estimate_line=line(ro),
        technician=technician,
        status=JobStatus.DONE,
        flat_rate_hours=Decimal("1"),
        finished_at=now,
    )
    walk_around = WalkAround.objects.create(repair_order=ro)
    mark = DamageMark.objects.create(walk_around=walk_around, view="front", x=10, y=10, kind="scratch")
    (media / "walkaround").mkdir(parents=True, exist_ok=True)
    (media / "walkaround" / f"{tag}.png").write_bytes(PNG)
    photo = WalkAroundPhoto.objects.create(walk_around=walk_around, image=f"walkaround/{tag}.png")
    finding = Finding.objects.create(
        dealer=station,
        repair_order=ro,
        description="刹车片磨损",
        urgency="yellow",
        found_by=technician,
        found_at=now,
        link_sent_at=now,
        link_expires_at=now + dt.timedelta(days=1),
    )
    FindingLine.objects.create(
        finding=finding,
        kind=LineKind.LABOUR,
        description="更换后刹车片",
        quantity=Decimal("1"),
        unit_price=Decimal("180"),
        amount=Decimal("180"),
    )
    (media / "findings").mkdir(parents=True, exist_ok=True)
    (media / "findings" / f"{tag}.png").write_bytes(PNG)
    finding_photo = FindingPhoto.objects.create(finding=finding, image=f"findings/{tag}.png")
    (media / "signatures").mkdir(parents=True, exist_ok=True)
    (media / "signatures" / f"{tag}.png").write_bytes(PNG)
    signed = consent(ro, signature=f"signatures/{tag}.png")
    check = QualityCheck.objects.create(dealer=station, repair_order=ro, round=1)
    quality_item = QualityItem.objects.create(quality_check=check, code="road_test", label="路试")
    parts_order = PartsOrder.objects.create(dealer=station, repair_order=ro, deposit=Decimal("0"))
    notice = PartsIssueNotice.objects.create(dealer=station, repair_order=ro, consent=consent(ro))
    fault_case = FaultCase.objects.create(
        dealer=station, model="帕萨特", symptom=f"{tag}异响", cause="刹车片", fix="更换", created_by=technician
    )
    (media / "cases").mkdir(parents=True, exist_ok=True)
    (media / "cases" / f"{tag}.png").write_bytes(PNG)
    case_photo = FaultCasePhoto.objects.create(case=fault_case, image=f"cases/{tag}.png")

    # A car ready for delivery with its invoice.
    ready = order(ROStatus.READY)
    line(ready)
    invoice = Invoice.objects.create(
        dealer=station,
        number=f"{tag}J{next(_n):04d}",
        repair_order=ready,
        consent=consent(ready),
        status=InvoiceStatus.ISSUED,
        labour=Decimal("180"),
        parts=Decimal("0"),
        net=Decimal("180"),
        vat=Decimal("0"),
        total=Decimal("180"),
        customer_total=Decimal("180"),
        amount_due=Decimal("180"),
        issued_by=user,
        issued_at=now,
    )
    InvoiceLine.objects.create(
        invoice=invoice,
        kind=LineKind.LABOUR,
        description="工时",
        quantity=Decimal("1"),
        unit_price=Decimal("180"),
        amount=Decimal("180"),
        vat=0,
        pay_type=PayType.CUSTOMER,
    )

    # Follow-up: an after-sales callback for the specialists, a campaign, a printed letter.
    task = ContactTask.objects.create(
        kind=Kind.CALLBACK,
        dealer=station,
        customer=customer,
        vehicle=car,
        source_type=ContentType.objects.get_for_model(RepairOrder),
        source_id=ready.pk,
        due_from=now - dt.timedelta(hours=1),
        due_until=now + dt.timedelta(days=7),
        role=Role.SPECIALIST,
        status=TaskStatus.OPEN,
        dedupe_key=f"{tag}-{next(_n)}",
    )
    campaign = Campaign.objects.create(
        dealer=station, code=f"{tag}C{next(_n)}", name=f"{tag}活动", starts_at=now + dt.timedelta(days=1)
    )
    batch = f"{BATCH_PREFIX}{now:%Y%m%dT%H%M%S}-{station.code}"
    Message.objects.create(
        dealer=station,
        customer=customer,
        task=task,
        channel=Channel.LETTER,
        to="地址",
        body="信",
        occurrence_key=f"{tag}-{next(_n)}",
        status=MessageStatus.SENT,
        provider_id=batch,
        created_at=now,
        sent_at=now,
    )

    # Complaints: a coordination and a complaint ticket.
    coordination = Contact.objects.create(
        dealer=station,
        contact_type=ContactType.COORDINATION,
        customer=customer,
        words="问进度",
        received_at=now,
        due_at=now + dt.timedelta(hours=4),
        taken_by=user,
    )
    ticket = complaint_ticket(
        station=station, customer=customer, taken_by=user, words="修了没好", subject="repair_quality", now=now
    )
    (media / "complaints").mkdir(parents=True, exist_ok=True)
    (media / "complaints" / f"{tag}.pdf").write_bytes(b"%PDF-1.4\n%%EOF\n")
    ChargeReview.objects.create(complaint=ticket, bill=f"complaints/{tag}.pdf", provided_by=user, provided_at=now)
    return SimpleNamespace(
        station=station,
        customer=customer,
        vehicle=car,
        booked=booked,
        arrival=arrival,
        ro=ro,
        job=job,
        done_job=done_job,
        mark=mark,
        photo=photo,
        finding=finding,
        finding_photo=finding_photo,
        signed=signed,
        finding_token=finding_links.link_token(finding),
        booking_token=public_booking.link_token(booked),
        quality_item=quality_item,
        parts_order=parts_order,
        notice=notice,
        fault_case=fault_case,
        case_photo=case_photo,
        ready=ready,
        invoice=invoice,
        task=task,
        campaign=campaign,
        batch=batch,
        coordination=coordination,
        ticket=ticket,
        markers=(customer.name, car.plate, ro.number, fault_case.symptom),
    )


# --------------------------------------------------------------------------------------
# The table
# --------------------------------------------------------------------------------------

ADV, DIS, TEC, SPE = Role.SERVICE_ADVISOR, Role.DISPATCHER, Role.TECHNICIAN, Role.SPECIALIST
PAR, CAS, MGR, CC = Role.PARTS_CLERK, Role.CASHIER, Role.SERVICE_MANAGER, Role.CALL_CENTER
ALL = frozenset(Role.values)
ROLES = sorted(Role.values)
ANONYMOUS = "anonymous"

Kwargs = Callable[[SimpleNamespace], dict]


@dataclass(frozen=True)
class Page:
    """How to reach one URL pattern and what each visitor gets on GET.

    `url` builds the kwargs from one station's rows; None for a page of the
    current station without a row in its path. `allowed` get `get` on their own
    station's row (`own` overrides it per role, e.g. a call list that holds
    another person's calls) and 404 on the other station's (405 before any
    lookup for a POST-only view); every other role gets 403. `sees_all` are the
    roles that open other stations' rows by design (the call center's complaints).
    """

    allowed: frozenset[str]
    url: Kwargs | None = None
    query: Kwargs | None = None  # GET parameters naming a row, e.g. the vehicle to book
    row: bool = True  # False: the kwargs name a kind of list, not a row of a station
    get: int = 200
    own: dict[str, int] = field(default_factory=dict)
    sees_all: frozenset[str] = frozenset()
    public: int | None = None  # the code every visitor gets on a public page
    anonymous: int = 302  # a private page sends the signed-out visitor to sign in


def page(*roles: str, url: Kwargs | None = None, **extra) -> Page:
    return Page(frozenset(roles), url, **extra)


def post_only(*roles: str, url: Kwargs | None = None, **extra) -> Page:
    return Page(frozenset(roles), url, get=405, **extra)


def public(code: int, url: Kwargs | None = None, *, anonymous: int | None = None) -> Page:
    return Page(ALL, url, public=code, anonymous=code if anonymous is None else anonymous)


# The front desk, the file editors, the booking staff (dealers/access.py and each app's views).
FRONT = (ADV, SPE, MGR, CAS, DIS, CC)
EDITORS = (ADV, SPE, MGR)
DESK = (ADV, MGR)
WORKSHOP_VIEWERS = (ADV, DIS, MGR, TEC)
CASE_READERS = (ADV, DIS, MGR, SPE, TEC)
COMPLAINT_READERS = (ADV, CC, MGR, SPE)
CALLERS = (ADV, MGR, SPE)
# Calls are worked by their owners: the callback below waits in the specialists'
# pool, so an advisor (who works only their own calls) does not find it.
CALL_OWNERS = {ADV: 404}


def _ro(r):
    return {"pk": r.ro.pk}


def _ready(r):
    return {"pk": r.ready.pk}


def _ticket(r):
    return {"pk": r.ticket.pk}


MATRIX: dict[str, Page] = {
    # --- the project's own pages
    "home": page(*ALL, get=302),  # each role's landing page
    "healthz": public(200),
    "ping": public(200),
    "favicon.ico": public(301),  # to the static file
    "login": public(302, anonymous=200),  # a signed-in user goes on to their landing page
    "logout": public(405),  # sign-out is a POST
    "station_switch": post_only(*ALL),
    "set_language": public(302),
    "api-schema": public(200),
    # --- customers and vehicles
    "customers:lookup": page(*FRONT),
    "customers:create": page(*EDITORS),
    "customers:detail": page(*FRONT, url=lambda r: {"pk": r.customer.pk}),
    "customers:edit": page(*EDITORS, url=lambda r: {"pk": r.customer.pk}),
    "customers:vehicle_create": page(*EDITORS, url=lambda r: {"customer_pk": r.customer.pk}),
    "customers:vehicle": page(*FRONT, url=lambda r: {"pk": r.vehicle.pk}),
    "customers:vehicle_edit": page(*EDITORS, url=lambda r: {"pk": r.vehicle.pk}),
    "customers:odometer_add": page(*FRONT, url=lambda r: {"pk": r.vehicle.pk}),
    "customers:vehicle_transfer": page(*EDITORS, url=lambda r: {"pk": r.vehicle.pk}),
    # --- appointments
    "appointments:list": page(*FRONT, PAR),
    "appointments:book": page(*EDITORS, query=lambda r: {"vehicle": r.vehicle.pk}),
    "appointments:proposals": page(*EDITORS),
    "appointments:detail": page(*FRONT, PAR, url=lambda r: {"pk": r.booked.pk}),
    "appointments:reschedule": page(*EDITORS, url=lambda r: {"pk": r.booked.pk}),
    "appointments:readiness": page(*EDITORS),
    "appointments:work_list/advisor": page(ADV, MGR, url=lambda r: {"kind": "advisor"}, row=False),
    "appointments:work_list/parts": page(PAR, MGR, url=lambda r: {"kind": "parts"}, row=False),
    "appointments:work_list/workshop": page(DIS, MGR, url=lambda r: {"kind": "workshop"}, row=False),
    "appointments:welcome_board": page(*EDITORS),
    "appointments:registration_form": page(*FRONT, PAR, url=lambda r: {"pk": r.booked.pk}),
    "appointments:preparation": page(ADV, DIS, MGR, PAR, SPE, url=lambda r: {"pk": r.booked.pk}),
    "appointments:preparation_act": post_only(
        ADV, DIS, MGR, PAR, SPE, url=lambda r: {"pk": r.booked.pk, "action": "reserve"}
    ),
    "appointments:act": post_only(*EDITORS, url=lambda r: {"pk": r.booked.pk, "action": "confirm"}),
    # --- reception: arrivals and repair orders
    "reception:arrivals": page(*EDITORS),
    "reception:arrival_walk_in": post_only(*DESK),
    "reception:arrival_appointment": post_only(*DESK, url=lambda r: {"pk": r.booked.pk}),
    "reception:arrival_serve": post_only(*DESK, url=lambda r: {"pk": r.arrival.pk}),
    "reception:arrival_left": post_only(*DESK, url=lambda r: {"pk": r.arrival.pk}),
    "reception:orders": page(*EDITORS),
    "reception:order": page(*EDITORS, url=_ro),
    "reception:order_edit": page(*DESK, url=_ro),
    "reception:order_receive": post_only(*DESK, url=lambda r: {"pk": r.ro.pk, "item": "key"}),
    "reception:order_comeback": post_only(*DESK, url=_ro),
    "reception:inquiry": page(*EDITORS, url=_ro),
    # --- reception: walk-around
    "reception:walkaround": page(*WORKSHOP_VIEWERS, url=_ro),
    "reception:walkaround_odometer": post_only(*DESK, url=_ro),
    "reception:walkaround_fuel": post_only(*DESK, url=_ro),
    "reception:walkaround_mark_add": post_only(*DESK, url=_ro),
    "reception:walkaround_mark_remove": post_only(*DESK, url=lambda r: {"pk": r.ro.pk, "mark_pk": r.mark.pk}),
    "reception:walkaround_check": post_only(*DESK, url=_ro),
    "reception:walkaround_belongings": post_only(*DESK, url=_ro),
    "reception:walkaround_photo_add": post_only(*DESK, url=_ro),
    "reception:walkaround_photo": page(*WORKSHOP_VIEWERS, url=lambda r: {"pk": r.ro.pk, "photo_pk": r.photo.pk}),
    "reception:walkaround_photo_remove": post_only(*DESK, url=lambda r: {"pk": r.ro.pk, "photo_pk": r.photo.pk}),
    "reception:walkaround_done": post_only(*DESK, url=_ro),
    "reception:walkaround_reopen": post_only(*DESK, url=_ro),
    # --- reception: estimate, consent, documents, parts
    "reception:estimate": page(*DESK, url=_ro),
    "reception:estimate_act": post_only(*DESK, url=lambda r: {"pk": r.ro.pk, "action": "terms"}),
    "reception:consent": page(*DESK, url=_ro),
    "reception:consent_signature": page(*DESK, url=lambda r: {"pk": r.ro.pk, "consent_pk": r.signed.pk}),
    "reception:deposit": post_only(*DESK, url=lambda r: {"pk": r.ro.pk, "order_pk": r.parts_order.pk}),
    "reception:repair_order_pdf": page(ADV, CAS, DIS, MGR, TEC, url=_ro),
    "reception:parts": page(MGR, PAR),
    "reception:parts_issue": post_only(MGR, PAR, url=lambda r: {"pk": r.notice.pk}),
    "reception:parts_order_act": post_only(MGR, PAR, url=lambda r: {"pk": r.parts_order.pk, "action": "ordered"}),
    # --- reception: delivery and billing
    "reception:cashier": page(ADV, CAS, MGR),
    "reception:delivery": page(ADV, CAS, MGR, url=_ready),
    "reception:deliver": post_only(*DESK, url=_ready),
    "reception:invoice": page(ADV, CAS, MGR, url=_ready),
    "reception:invoice_issue": post_only(ADV, CAS, MGR, url=_ready),
    "reception:invoice_pay": post_only(CAS, MGR, url=lambda r: {"pk": r.invoice.pk}),
    "reception:invoice_credit": post_only(CAS, MGR, url=lambda r: {"pk": r.invoice.pk}),
    "reception:invoice_receipt": page(ADV, CAS, MGR, url=lambda r: {"pk": r.invoice.pk}),
    # --- the workshop
    "workshop:board": page(ADV, DIS, MGR),
    "workshop:board_move": post_only(DIS, MGR, url=_ro),
    "workshop:dispatch": page(DIS, MGR, url=_ro),
    "workshop:dispatch_sheet": page(*WORKSHOP_VIEWERS, url=_ro),
    "workshop:my_jobs": page(TEC),
    "workshop:job": page(DIS, MGR, TEC, url=lambda r: {"pk": r.job.pk}),
    "workshop:job_clock": post_only(DIS, TEC, url=lambda r: {"pk": r.job.pk, "action": "start"}),
    "workshop:job_finish": post_only(DIS, TEC, url=lambda r: {"pk": r.job.pk}),
    "workshop:findings": page(*WORKSHOP_VIEWERS, url=_ro),
    "workshop:finding_new": page(*WORKSHOP_VIEWERS, url=_ro),
    "workshop:finding_photo": page(
        *WORKSHOP_VIEWERS,
        url=lambda r: {"pk": r.ro.pk, "finding_pk": r.finding.pk, "photo_pk": r.finding_photo.pk},
    ),
    "workshop:finding_decide": post_only(*DESK, url=lambda r: {"pk": r.ro.pk, "finding_pk": r.finding.pk}),
    "workshop:finding_link": post_only(*DESK, url=lambda r: {"pk": r.ro.pk, "finding_pk": r.finding.pk}),
    "workshop:delay": page(ADV, DIS, MGR, url=_ro),
    "workshop:approve": public(200, url=lambda r: {"token": r.finding_token}),  # the customer's signed link
    "workshop:quality": page(*WORKSHOP_VIEWERS, url=_ro),
    "workshop:quality_open": post_only(DIS, MGR, TEC, url=_ro),
    "workshop:quality_item": post_only(DIS, MGR, TEC, url=lambda r: {"pk": r.ro.pk, "item_pk": r.quality_item.pk}),
    "workshop:quality_sign_off": post_only(DIS, MGR, TEC, url=_ro),
    "workshop:quality_washed": post_only(DIS, MGR, url=_ro),
    "workshop:cases": page(*CASE_READERS),
    "workshop:case": page(*CASE_READERS, url=lambda r: {"pk": r.fault_case.pk}),
    "workshop:case_photo": page(*CASE_READERS, url=lambda r: {"pk": r.fault_case.pk, "photo_pk": r.case_photo.pk}),
    "workshop:case_new": page(DIS, MGR, TEC, url=lambda r: {"pk": r.done_job.pk}),
    # --- follow-up
    "followup:calls": page(*CALLERS),
    "followup:outcome": post_only(*CALLERS, url=lambda r: {"pk": r.task.pk}),
    "followup:file": page(*CALLERS, url=lambda r: {"pk": r.task.pk}, own=CALL_OWNERS),
    "followup:survey": page(*CALLERS, url=lambda r: {"pk": r.task.pk}, own=CALL_OWNERS),
    "followup:campaigns": page(MGR, SPE),
    "followup:campaign_new": page(MGR, SPE),
    "followup:campaign_preview": post_only(MGR, SPE),
    "followup:campaign": page(MGR, SPE, url=lambda r: {"pk": r.campaign.pk}),
    "followup:campaign_edit": page(MGR, SPE, url=lambda r: {"pk": r.campaign.pk}),
    "followup:campaign_action": post_only(MGR, SPE, url=lambda r: {"pk": r.campaign.pk, "action": "start"}),
    "followup:letters": page(MGR, SPE),
    "followup:letters_preview": page(MGR, SPE, get=302),  # nothing queued: back to the letters
    "followup:letters_print": post_only(MGR, SPE),
    "followup:letters_batch": page(MGR, SPE, url=lambda r: {"batch": r.batch}),
    # --- complaints: the call center serves every station
    "complaints:list": page(*COMPLAINT_READERS, sees_all=frozenset({CC})),
    "complaints:intake": page(*COMPLAINT_READERS, sees_all=frozenset({CC})),
    "complaints:coordination_close": post_only(*COMPLAINT_READERS, url=lambda r: {"pk": r.coordination.pk}),
    "complaints:pre_report": page(ADV, MGR, SPE),
    "complaints:detail": page(*COMPLAINT_READERS, url=_ticket, sees_all=frozenset({CC})),
    "complaints:step": post_only(*COMPLAINT_READERS, url=_ticket),
    "complaints:take": post_only(*COMPLAINT_READERS, url=_ticket),
    "complaints:close": post_only(*COMPLAINT_READERS, url=_ticket),
    "complaints:level": post_only(*COMPLAINT_READERS, url=_ticket),
    "complaints:extend": post_only(*COMPLAINT_READERS, url=_ticket),
    "complaints:dispatch": post_only(*COMPLAINT_READERS, url=_ticket),
    "complaints:bill": post_only(*COMPLAINT_READERS, url=_ticket),
    "complaints:bill_file": page(*COMPLAINT_READERS, url=_ticket, sees_all=frozenset({CC})),
    "complaints:review": post_only(CC, url=_ticket),
    # --- the manager's dashboard
    "dashboard:index": page(MGR),
    "dashboard:rows": page(MGR, url=lambda r: {"key": "orders"}, row=False),
    "dashboard:export": page(MGR, url=lambda r: {"table": "figures", "fmt": "csv"}, row=False),
    "dashboard:review": page(MGR),
    "dashboard:audit": page(MGR),
    # --- public: online self-booking and its API (each station's by its code)
    "public_booking:manage": public(200, url=lambda r: {"token": r.booking_token}),
    "public_booking:start": public(200, url=lambda r: {"code": r.station.code}),
    "public_booking:register": public(302, url=lambda r: {"code": r.station.code}),  # the start page first
    "public_booking:choose": public(302, url=lambda r: {"code": r.station.code}),
    "api:services": public(200, url=lambda r: {"code": r.station.code}),
    "api:slots": public(400, url=lambda r: {"code": r.station.code}),  # asks for a day and a service
    "api:bookings": public(405, url=lambda r: {"code": r.station.code}),
    "api:booking": public(200, url=lambda r: {"token": r.booking_token}),
    "api:booking_cancel": public(405, url=lambda r: {"token": r.booking_token}),
    "api:booking_move": public(405, url=lambda r: {"token": r.booking_token}),
}


# --------------------------------------------------------------------------------------
# The cases
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    key: str
    visitor: str  # a role, or ANONYMOUS
    side: str  # "own" or "other": whose row the URL names

    @property
    def id(self) -> str:
        return f"{self.key}-{self.visitor}-{self.side}"


def expected(entry: Page, case: Case) -> int:
    """The designed answer to a GET (see the module's docstring)."""
    if case.visitor == ANONYMOUS:
        return entry.anonymous
    if entry.public is not None:
        return entry.public
    if case.visitor not in entry.allowed:
        return 403
    if entry.get == 405:
        return 405  # refused before the row is looked up
    names_a_row = (entry.url is not None and entry.row) or entry.query is not None
    if case.side == "other" and names_a_row and case.visitor not in entry.sees_all:
        return 404
    return entry.own.get(case.visitor, entry.get)


# The signed-out visitor has no station: one case per URL, with the user's station's row.
CASES = [
    *(Case(key, role, side) for key in MATRIX for role in ROLES for side in ("own", "other")),
    *(Case(key, ANONYMOUS, "own") for key in MATRIX),
]


def _url(key: str, entry: Page, rows: SimpleNamespace) -> str:
    name = key.split("/")[0]
    if name == "favicon.ico":
        return "/favicon.ico"
    url = reverse(name, kwargs=entry.url(rows) if entry.url else None)
    return f"{url}?{urlencode(entry.query(rows))}" if entry.query else url


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, tmp_path_factory) -> Iterator[SimpleNamespace]:
    """Both stations' rows and a signed-in client per role, built once for the
    module inside a transaction that is rolled back at its end; each case runs
    in a savepoint of its own (pytest-django's `db`)."""
    media = tmp_path_factory.mktemp("media")
    with django_db_blocker.unblock(), override_settings(MEDIA_ROOT=media), transaction.atomic():
        own, other = DealerFactory(code="mx01", name="本站服务站"), DealerFactory(code="mx02", name="外站服务站")
        staff = {
            role: StaffFactory(user__username=f"matrix-{role}", display_name=f"本站{role}", roles=[role], dealers=[own])
            for role in ROLES
        }
        theirs = StaffFactory(user__username="matrix-other", display_name="外站员工", roles=[ADV, TEC], dealers=[other])
        rows = {
            "own": _rows(own, tag="本站", advisor=staff[ADV], technician=staff[TEC], user=staff[MGR].user, media=media),
            "other": _rows(other, tag="外站", advisor=theirs, technician=theirs, user=theirs.user, media=media),
        }
        clients = {ANONYMOUS: Client()}
        for role in ROLES:
            clients[role] = Client()
            clients[role].force_login(staff[role].user)
        yield SimpleNamespace(rows=rows, clients=clients, responses={})
        transaction.set_rollback(True)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_each_url_answers_each_visitor_as_designed(world, db, case: Case):
    entry = MATRIX[case.key]
    url = _url(case.key, entry, world.rows[case.side])
    if entry.public is not None:
        cache.clear()  # the public pages' rate limits count per address
    # A page without a row in its path is the same request on both sides: the
    # other side's case reads the answer again for the other station's rows.
    seen = world.responses if entry.url is None or not entry.row else {}
    response = seen.get((url, case.visitor)) or world.clients[case.visitor].get(url)
    seen[(url, case.visitor)] = response
    want = expected(entry, case)
    assert response.status_code == want, f"GET {url} as {case.visitor}: {response.status_code}, designed {want}"
    if case.visitor == ANONYMOUS and entry.public is None:
        assert response["Location"].startswith(f"{reverse('login')}?next="), response["Location"]
    if (
        want == 200
        and entry.public is None
        and case.visitor not in entry.sees_all
        and not response.streaming
        and response.get("Content-Type", "").startswith("text/html")
    ):
        page_text = response.content.decode()
        leaked = [m for m in world.rows["other"].markers if m in page_text]
        assert not leaked, f"GET {url} as {case.visitor} shows another station's rows: {leaked}"


# --------------------------------------------------------------------------------------
# The admin: its own sign-in, for is_staff users only
# --------------------------------------------------------------------------------------


def url_patterns(resolver=None, prefix: str = "", namespace: str = "") -> Iterator[tuple[str, URLPattern, str]]:
    """Every URL pattern as (key, pattern, route): its full name, or its route
    when it has none; walked from the root URLconf through every include."""
    for entry in (resolver or get_resolver()).url_patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            ns = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from url_patterns(entry, route, ns)
        else:
            yield (f"{namespace}{entry.name}" if entry.name else route), entry, route


ADMIN = sorted(key for key, _, route in url_patterns() if route.startswith("admin/"))


def _admin_url(key: str) -> str:
    """A concrete path for an admin pattern: 1 for an object, `dealers` for an app."""
    for name, pattern, route in url_patterns():
        if name != key:
            continue
        if pattern.name is None:  # the admin's redirect to an object and its catch-all
            return "/" + re.sub(r"<path:\w+>", "1", route).replace("(?P<url>.*)$", "x/")
        kwargs = {k: "1" for k in pattern.pattern.regex.groupindex}
        if "app_label" in kwargs:
            kwargs["app_label"] = "dealers"
        return reverse(key, kwargs=kwargs)
    raise AssertionError(key)


def test_the_admin_has_its_pages():
    assert {"admin:index", "admin:login", "admin:dealers_dealer_changelist"} <= set(ADMIN)


@pytest.mark.parametrize("name", ADMIN)
def test_an_admin_page_sends_staff_without_admin_rights_to_the_admin_sign_in(world, db, name):
    url = _admin_url(name)
    for visitor, client in world.clients.items():
        response = client.get(url)
        if name == "admin:login":
            # The admin's sign-in form itself: shown to whoever is not admin staff.
            assert response.status_code == 200, visitor
        elif name == "admin:logout":
            assert response.status_code == 302, visitor  # nobody to sign out: to the admin's index
            assert response["Location"] == reverse("admin:index"), visitor
        else:
            assert response.status_code == 302, f"GET {url} as {visitor}: {response.status_code}"
            assert response["Location"].startswith(f"{reverse('admin:login')}?next="), (visitor, url)


# --------------------------------------------------------------------------------------
# Completeness: a new URL pattern needs its entry
# --------------------------------------------------------------------------------------


def test_every_url_pattern_has_an_entry_in_the_matrix():
    walked = {key for key, _, route in url_patterns() if not route.startswith("admin/")}
    listed = {key.split("/")[0] for key in MATRIX}
    missing, stale = sorted(walked - listed), sorted(listed - walked)
    assert not missing, f"URL patterns without an entry in MATRIX (tests/dealers/test_url_matrix.py): {missing}"
    assert not stale, f"MATRIX entries for URL patterns that no longer exist: {stale}"


def test_the_matrix_covers_every_role_both_stations_and_the_signed_out_visitor():
    assert len(CASES) == len(MATRIX) * (len(Role.values) * 2 + 1)
    assert {c.visitor for c in CASES} == {*Role.values, ANONYMOUS}
