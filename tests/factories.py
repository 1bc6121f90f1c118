"""factory_boy factories shared by the test suite; named actors live in conftest."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import factory
from django.contrib.auth import get_user_model

from customers.models import Customer, OdometerReading, OdometerSource, Ownership, Vehicle
from customers.validators import vin_with_check_digit
from dealers.models import Bay, Dealer, LabourOperation, OpeningHours, Part, ServicePackage, StaffMember, StaffRole

PASSWORD = "test-pass-123"
VIN_CHARS = "ABCDEFGHJKLMNPRSTUVWXYZ0123456789"
PLATE_CHARS = "ABCDEFGHJKLMNPQRSTUVWXYZ0123456789"


class DealerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Dealer
        django_get_or_create = ("code",)
        skip_postgeneration_save = True

    code = factory.Sequence(lambda n: f"st{n:03d}")
    name = factory.Sequence(lambda n: f"服务站{n}")
    phone = "010-88886666"

    @factory.post_generation
    def hours(self, create, extracted, **kwargs):
        if create and extracted is not False:
            for weekday in range(6):
                OpeningHours.objects.get_or_create(
                    dealer=self, weekday=weekday, defaults={"opens": dt.time(8, 30), "closes": dt.time(18, 0)}
                )


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.django.Password(PASSWORD)


class StaffFactory(factory.django.DjangoModelFactory):
    """`StaffFactory(roles=["advisor"], dealers=[station])`."""

    class Meta:
        model = StaffMember
        skip_postgeneration_save = True

    user = factory.SubFactory(UserFactory)
    display_name = factory.Sequence(lambda n: f"员工{n}")

    @factory.post_generation
    def roles(self, create, extracted, **kwargs):
        for role in extracted or []:
            StaffRole.objects.create(staff=self, role=role)

    @factory.post_generation
    def dealers(self, create, extracted, **kwargs):
        if extracted:
            self.dealers.set(extracted)


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer

    dealer = factory.SubFactory(DealerFactory)
    name = factory.Sequence(lambda n: f"客户{n}")
    phone = factory.Sequence(lambda n: f"139{n:08d}")


def _vin(n: int) -> str:
    serial = f"{n:06d}"
    return vin_with_check_digit(f"LSVAB2BM0P{'ABCDEFGHJK'[n % 10]}{serial}")


def _plate(n: int) -> str:
    body = "".join(PLATE_CHARS[(n // 34**i) % 34] for i in range(4))
    return f"京A{body}{n % 10}"


class VehicleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Vehicle
        skip_postgeneration_save = True

    owner = factory.SubFactory(CustomerFactory)
    dealer = factory.SelfAttribute("owner.dealer")
    vin = factory.Sequence(_vin)
    plate = factory.Sequence(_plate)
    make = "大众"
    model = "帕萨特"
    model_year = 2022
    sale_date = dt.date(2022, 5, 1)
    warranty_end = dt.date(2025, 5, 1)

    @factory.post_generation
    def ownership(self, create, extracted, **kwargs):
        if create and extracted is not False:
            Ownership.objects.create(vehicle=self, customer=self.owner, since=self.sale_date or dt.date(2020, 1, 1))


class OdometerReadingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OdometerReading

    vehicle = factory.SubFactory(VehicleFactory)
    km = 10_000
    read_on = dt.date(2026, 1, 1)
    source = OdometerSource.RECEPTION


class BayFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Bay

    dealer = factory.SubFactory(DealerFactory)
    code = factory.Sequence(lambda n: f"B{n:02d}")
    name = factory.Sequence(lambda n: f"工位{n}")


class LabourOperationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = LabourOperation

    dealer = factory.SubFactory(DealerFactory)
    code = factory.Sequence(lambda n: f"OP{n:04d}")
    name = factory.Sequence(lambda n: f"工序{n}")
    flat_rate_hours = Decimal("1.00")


class PartFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Part

    dealer = factory.SubFactory(DealerFactory)
    number = factory.Sequence(lambda n: f"P{n:06d}")
    name = factory.Sequence(lambda n: f"备件{n}")
    unit_price = Decimal("50.00")
    stock_on_hand = Decimal("10")


class ServicePackageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ServicePackage

    dealer = factory.SubFactory(DealerFactory)
    code = factory.Sequence(lambda n: f"PK{n:03d}")
    name = factory.Sequence(lambda n: f"保养套餐{n}")


def customers_with_vehicles_bulk(dealer: Dealer, count: int, name: str = "批量客户") -> list[Customer]:
    """`count` customers of `dealer`, each with one vehicle and its ownership,
    written with bulk_create: for query-count tests on large lists."""
    customers = Customer.objects.bulk_create(
        CustomerFactory.build(dealer=dealer, name=f"{name}{i}") for i in range(count)
    )
    vehicles = Vehicle.objects.bulk_create(VehicleFactory.build(owner=c, dealer=dealer) for c in customers)
    Ownership.objects.bulk_create(Ownership(vehicle=v, customer=v.owner, since=v.sale_date) for v in vehicles)
    return customers


def complaint_ticket(*, station: Dealer, customer: Customer, taken_by, words: str, subject: str, now: dt.datetime):
    """A level-1 complaint ticket being handled at `station`, dispatched,
    with the usual deadlines from `now` (24 h answer, 7 d callback, 30 d)."""
    from complaints.models import Complaint, Contact, ContactType
    from complaints.models import Status as ComplaintStatus

    contact = Contact.objects.create(
        dealer=station,
        contact_type=ContactType.COMPLAINT,
        customer=customer,
        words=words,
        received_at=now,
        taken_by=taken_by,
    )
    return Complaint.objects.create(
        contact=contact,
        dealer=station,
        subject=subject,
        level=1,
        expected_outcome="按规定处理",
        status=ComplaintStatus.HANDLING,
        dispatched=True,
        answer_due=now + dt.timedelta(hours=24),
        callback_due=now + dt.timedelta(days=7),
        resolution_due=now + dt.timedelta(days=30),
        next_due_at=now + dt.timedelta(hours=24),
        created_at=now,
    )
