"""A small hand-made month of one station, March 2026 in Beijing time, with
February before it, whose every figure is worked out by hand in the tests.

Rows are written directly (as dealer_service.demo_history does), not through
the services: the figures read the records the services leave, and a test
that needs 30 deliveries should not run 30 workshops.
"""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.contrib.contenttypes.models import ContentType

from appointments.models import Appointment, AppointmentEvent
from appointments.models import Status as AStatus
from complaints.models import Complaint, Contact, ContactType
from complaints.models import Status as CStatus
from dealers.models import Bay, Holiday, JobType, RosterEntry
from followup.models import Campaign, ContactTask, Kind, Outcome, Survey, TaskStatus
from reception.models import (
    ConsentMethod,
    ConsentRecord,
    EstimateLine,
    Invoice,
    InvoiceKind,
    InvoiceLine,
    InvoiceStatus,
    LineKind,
    PayType,
    RepairOrder,
    RepairOrderEvent,
    ROStatus,
)
from tests.factories import VehicleFactory
from workshop.models import ClockEvent, ClockKind, Decision, Finding, FindingLine, Job, JobStatus, QualityCheck

BEIJING = ZoneInfo("Asia/Shanghai")
NOW = dt.datetime(2026, 4, 2, 10, 0, tzinfo=BEIJING)
_n = itertools.count(1)


def at(month: int, day: int, hour: int = 9, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, minute, tzinfo=BEIJING)


class World:
    """Helpers that write one record each, for a station, a car and its staff."""

    def __init__(self, station, car, advisor, technician, user):
        self.station, self.car, self.advisor, self.technician, self.user = station, car, advisor, technician, user

    # appointments and repair orders
    def appointment(self, when, status, *, confirmed=False) -> Appointment:
        a = Appointment.objects.create(
            dealer=self.station,
            number=f"Y{next(_n):05d}",
            customer=self.car.owner,
            vehicle=self.car,
            advisor=self.advisor,
            job_type=JobType.MAINTENANCE,
            arrives_at=when,
            hours=Decimal("1"),
            ready_at=when + dt.timedelta(hours=2),
            request="保养",
            status=status,
        )
        if confirmed:
            AppointmentEvent.objects.create(
                appointment=a, from_status=AStatus.BOOKED, to_status=AStatus.CONFIRMED, at=when - dt.timedelta(days=1)
            )
        return a

    def order(self, when, *, status=ROStatus.CLOSED, appointment=None, comeback_of=None, promised=None) -> RepairOrder:
        ro = RepairOrder.objects.create(
            dealer=self.station,
            number=f"R{next(_n):05d}",
            customer=self.car.owner,
            vehicle=self.car
            if status not in ("draft", "open", "in_progress")
            else VehicleFactory(owner=self.car.owner),
            advisor=self.advisor,
            appointment=appointment,
            job_type=JobType.REPAIR,
            status=status,
            comeback_of=comeback_of,
            comeback_cause="workmanship" if comeback_of else "",
            promised_at=promised,
        )
        RepairOrder.objects.filter(pk=ro.pk).update(created_at=when)
        ro.refresh_from_db()
        return ro

    def delivered(self, ro, when) -> None:
        RepairOrderEvent.objects.create(
            repair_order=ro, from_status=ROStatus.READY, to_status=ROStatus.DELIVERED, at=when
        )

    def line(self, ro, kind=LineKind.LABOUR, quantity="1", amount="180") -> EstimateLine:
        return EstimateLine.objects.create(
            repair_order=ro,
            kind=kind,
            description="更换前刹车片" if kind == LineKind.LABOUR else "刹车片",
            quantity=Decimal(quantity),
            unit_price=Decimal(amount) / Decimal(quantity),
            amount=Decimal(amount),
            pay_type=PayType.CUSTOMER,
        )

    # the workshop
    def job(self, ro, hours, finished, clock, *, bay=None, technician=None) -> Job:
        technician = technician or self.technician
        job = Job.objects.create(
            dealer=self.station,
            repair_order=ro,
            estimate_line=self.line(ro, quantity=str(hours), amount=str(180 * hours)),
            technician=technician,
            bay=bay,
            status=JobStatus.DONE,
            flat_rate_hours=Decimal(str(hours)),
            finished_at=finished,
        )
        for kind, when in clock:
            ClockEvent.objects.create(job=job, technician=technician, kind=kind, at=when)
        return job

    def roster(self, day, starts, ends, break_minutes, technician=None) -> None:
        RosterEntry.objects.create(
            dealer=self.station,
            technician=technician or self.technician,
            date=day,
            starts=starts,
            ends=ends,
            break_minutes=break_minutes,
        )

    def quality(self, ro, round_, passed, when) -> None:
        QualityCheck.objects.create(
            dealer=self.station, repair_order=ro, round=round_, passed=passed, signed_off_at=when
        )

    def finding_line(self, ro, decision, amount, when) -> None:
        finding = Finding.objects.create(
            dealer=self.station,
            repair_order=ro,
            description="刹车片磨损",
            urgency="yellow",
            found_by=self.technician,
            found_at=when,
        )
        FindingLine.objects.create(
            finding=finding,
            kind=LineKind.LABOUR,
            description="更换后刹车片",
            quantity=Decimal("1"),
            unit_price=Decimal(amount),
            amount=Decimal(amount),
            decision=decision,
            decided_at=when if decision != Decision.PENDING else None,
            estimate_line=self.line(ro, amount=amount) if decision == Decision.APPROVED else None,
        )

    # money
    def invoice(
        self, ro, when, labour, parts, *, hours="1", status=InvoiceStatus.PAID, kind=InvoiceKind.INVOICE, credit_of=None
    ) -> Invoice:
        consent = ConsentRecord.objects.create(
            repair_order=ro,
            method=ConsentMethod.PRINTED,
            agreed={},
            total=Decimal(labour) + Decimal(parts),
            recorded_by=self.user,
            recorded_at=when,
        )
        labour, parts = Decimal(labour), Decimal(parts)
        invoice = Invoice.objects.create(
            dealer=self.station,
            number=f"J{next(_n):05d}",
            kind=kind,
            repair_order=ro,
            credit_of=credit_of,
            consent=consent,
            status=status,
            labour=labour,
            parts=parts,
            net=labour + parts,
            vat=Decimal(0),
            total=labour + parts,
            customer_total=labour + parts,
            amount_due=labour + parts,
            issued_by=self.user,
            issued_at=when,
        )
        InvoiceLine.objects.create(
            invoice=invoice,
            kind=LineKind.LABOUR,
            description="工时",
            quantity=Decimal(hours),
            unit_price=labour,
            amount=labour,
            vat=0,
            pay_type=PayType.CUSTOMER,
        )
        if parts:
            InvoiceLine.objects.create(
                invoice=invoice,
                kind=LineKind.PART,
                description="备件",
                quantity=Decimal(1),
                unit_price=parts,
                amount=parts,
                vat=0,
                pay_type=PayType.CUSTOMER,
            )
        return invoice

    # follow-up
    def task(
        self, kind, due_from, *, days=7, status=TaskStatus.OPEN, outcome="", closed=None, created=None, **extra
    ) -> ContactTask:
        task = ContactTask.objects.create(
            kind=kind,
            dealer=self.station,
            customer=self.car.owner,
            vehicle=self.car,
            source_type=ContentType.objects.get_for_model(RepairOrder),
            source_id=extra.pop("source_id", None),
            due_from=due_from,
            due_until=due_from + dt.timedelta(days=days),
            role="specialist",
            status=status,
            outcome=outcome,
            closed_at=closed,
            dedupe_key=f"k{next(_n)}",
            **extra,
        )
        ContactTask.objects.filter(pk=task.pk).update(created_at=created or due_from)
        return task

    def survey(self, task, when, overall, *, dissatisfied=False, **scores) -> Survey:
        return Survey.objects.create(
            task=task, overall=overall, dissatisfied=dissatisfied, recorded_by=self.user, recorded_at=when, **scores
        )

    def complaint(self, level, when, *, next_due, status=CStatus.HANDLING) -> Complaint:
        contact = Contact.objects.create(
            dealer=self.station,
            contact_type=ContactType.COMPLAINT,
            customer=self.car.owner,
            words="修了没好",
            received_at=when,
            taken_by=self.user,
        )
        closed = status == CStatus.CLOSED
        return Complaint.objects.create(
            contact=contact,
            dealer=self.station,
            subject="repair_quality",
            level=level,
            expected_outcome="免费修好",
            status=status,
            dispatched=True,
            answer_due=when + dt.timedelta(hours=24),
            callback_due=when + dt.timedelta(days=7),
            resolution_due=when + dt.timedelta(days=30),
            next_due_at=None if closed else next_due,
            closed_at=when + dt.timedelta(days=2) if closed else None,
            satisfied=True if closed else None,
            created_at=when,
        )


@pytest.fixture
def car(station):
    return VehicleFactory(owner__dealer=station, owner__name="王建国", plate="京A12345")


@pytest.fixture
def world(station, car, advisor, technician, manager):
    return World(station, car, advisor, technician, manager.user)


@pytest.fixture
def march(world, station):
    """The month of the tests. Comments give each row's part in the answers."""
    w = world
    # Appointments: A0 in February; March: 4 due (cancelled, rescheduled out), 3 confirmed, 2 arrived, 1 no-show.
    a0 = w.appointment(at(2, 20), AStatus.CONVERTED)
    a1 = w.appointment(at(3, 2, 8), AStatus.CONVERTED, confirmed=True)
    w.appointment(at(3, 3), AStatus.NO_SHOW)
    w.appointment(at(3, 4), AStatus.ARRIVED, confirmed=True)
    w.appointment(at(3, 5), AStatus.CANCELLED, confirmed=True)
    w.appointment(at(3, 6), AStatus.RESCHEDULED)
    w.appointment(at(3, 7), AStatus.CONFIRMED, confirmed=True)
    w.appointment(at(4, 3), AStatus.CONFIRMED, confirmed=True)  # after now: not due yet

    # Repair orders: March opens 4 (RO1 from an appointment, RO3 a comeback,
    # RO4 at 23:30 on the 31st); RO5 at 00:10 on 1 April (still March in UTC) and a cancelled one are out.
    ro0 = w.order(at(2, 20, 10), appointment=a0)
    ro1 = w.order(at(3, 2, 8), appointment=a1, promised=at(3, 2, 17))
    ro2 = w.order(at(3, 4, 8), promised=at(3, 4, 12))
    ro3 = w.order(at(3, 15, 9), comeback_of=ro0)
    ro4 = w.order(at(3, 31, 23, 30), status=ROStatus.IN_PROGRESS)
    w.order(at(4, 1, 0, 10), status=ROStatus.IN_PROGRESS)
    w.order(at(3, 5), status=ROStatus.CANCELLED)

    # Deliveries: 3 in March, 2 with a promise, 1 on time; cycle 8 h + 6 h + 4 h.
    w.delivered(ro1, at(3, 2, 16))
    w.delivered(ro2, at(3, 4, 14))
    w.delivered(ro3, at(3, 15, 13))
    w.delivered(ro0, at(2, 20, 18))  # February

    # Duty: 8 h on 2 March (9 h less 60 min) and 4 h on 3 March.
    w.roster(dt.date(2026, 3, 2), dt.time(8), dt.time(17), 60)
    w.roster(dt.date(2026, 3, 3), dt.time(8), dt.time(12), 0)
    bay = Bay.objects.create(dealer=station, code="A01", name="工位1")
    Bay.objects.create(dealer=station, code="X01", name="停用", is_active=False)
    Holiday.objects.create(dealer=station, date=dt.date(2026, 3, 10), name="调休")
    # Jobs: J1 2.0 h sold, 2.5 h clocked on a duty day in a bay; J2 3.0 h sold,
    # 2 h clocked off the roster; J3 1.0 h sold, 1 h clocked on duty in the bay.
    w.job(
        ro1,
        2,
        at(3, 2, 12, 30),
        [
            (ClockKind.START, at(3, 2, 9)),
            (ClockKind.PAUSE, at(3, 2, 10)),
            (ClockKind.RESUME, at(3, 2, 11)),
            (ClockKind.FINISH, at(3, 2, 12, 30)),
        ],
        bay=bay,
    )
    w.job(ro2, 3, at(3, 4, 11), [(ClockKind.START, at(3, 4, 9)), (ClockKind.FINISH, at(3, 4, 11))])
    w.job(ro4, 1, at(3, 3, 9), [(ClockKind.START, at(3, 3, 8)), (ClockKind.FINISH, at(3, 3, 9))], bay=bay)

    # Invoices in force: labour 360 + 540 + 180, parts 100 + 0 + 50, hours 2 + 3 + 1.
    w.invoice(ro1, at(3, 2, 15), "360", "100", hours="2")
    w.invoice(ro2, at(3, 4, 15), "540", "0", hours="3")
    credited = w.invoice(ro3, at(3, 20), "999", "0", hours="9", status=InvoiceStatus.CREDITED)
    w.invoice(ro3, at(3, 20, 10), "-999", "0", hours="-9", kind=InvoiceKind.CREDIT, credit_of=credited)
    w.invoice(ro3, at(3, 21), "180", "50", hours="1")
    w.invoice(ro0, at(2, 20, 17), "720", "300", hours="4")  # February

    # First quality checks: 3 in March, 2 passed (RO2's second round does not count).
    w.quality(ro1, 1, True, at(3, 2, 13))
    w.quality(ro2, 1, False, at(3, 4, 11, 30))
    w.quality(ro2, 2, True, at(3, 4, 12))
    w.quality(ro3, 1, True, at(3, 15, 12))

    # Additional work: 3 decided in March, 1 approved; declined 300 + 150.50.
    w.finding_line(ro1, Decision.APPROVED, "200", at(3, 2, 10))
    w.finding_line(ro1, Decision.DECLINED, "300", at(3, 2, 10))
    w.finding_line(ro2, Decision.DECLINED, "150.50", at(3, 4, 10))
    w.finding_line(ro2, Decision.PENDING, "999", at(3, 4, 10))

    # Callbacks due from March deliveries: 4 count, 1 reached in time.
    cb1 = w.task(
        Kind.CALLBACK,
        at(3, 2, 16),
        status=TaskStatus.DONE,
        outcome=Outcome.SATISFIED,
        closed=at(3, 5),
        source_id=ro1.pk,
    )
    cb2 = w.task(
        Kind.CALLBACK,
        at(3, 4, 14),
        status=TaskStatus.DONE,
        outcome=Outcome.DISSATISFIED,
        closed=at(3, 12),
        source_id=ro2.pk,
    )
    cb3 = w.task(
        Kind.CALLBACK,
        at(3, 15, 13),
        status=TaskStatus.DONE,
        outcome=Outcome.WRONG_NUMBER,
        closed=at(3, 16),
        source_id=ro3.pk,
    )
    w.task(Kind.CALLBACK, at(3, 30), source_id=ro3.pk)  # window still open on 2 April: not counted
    cb5 = w.task(Kind.CALLBACK, at(3, 20), source_id=ro3.pk)  # open and late
    cb6 = w.task(Kind.CALLBACK, at(3, 21), status=TaskStatus.CANCELLED)

    # Surveys: average (5 + 4 + 3) / 3; 2 dissatisfied (a 2 for reception; said so).
    w.survey(cb1, at(3, 5), 5)
    w.survey(cb2, at(3, 12), 4, reception=2)
    w.survey(cb3, at(3, 16), 3, dissatisfied=True)
    w.survey(cb6, at(3, 21), None)
    w.survey(cb5, at(2, 25), 1)  # February

    # Complaints: March receives two of level 1 and one of level 3.
    w.complaint(1, at(3, 3), next_due=at(3, 10))  # open, overdue
    w.complaint(1, at(3, 8), next_due=None, status=CStatus.CLOSED)
    w.complaint(3, at(3, 25), next_due=at(4, 20))  # open, not due
    w.complaint(2, at(2, 10), next_due=at(2, 17))  # February, open, overdue

    # Reminders made in March: 4, 2 converted.
    campaign = Campaign.objects.create(dealer=station, code="C1", name="空调免费检测", starts_at=at(3, 1))
    w.task(Kind.FIRST_MAINTENANCE, at(3, 3), status=TaskStatus.DONE, outcome=Outcome.BOOKED, led_to_appointment=a1)
    w.task(Kind.FIRST_MAINTENANCE, at(3, 4), status=TaskStatus.DONE, outcome=Outcome.NOT_INTERESTED)
    w.task(Kind.DORMANT, at(3, 5), status=TaskStatus.DONE, outcome=Outcome.INFORMED, led_to_repair_order=ro2)
    w.task(Kind.CAMPAIGN, at(3, 6), campaign=campaign)
    w.task(Kind.DORMANT, at(3, 7), status=TaskStatus.CANCELLED)
    return {"ro1": ro1, "ro2": ro2, "ro3": ro3, "ro4": ro4, "bay": bay}
