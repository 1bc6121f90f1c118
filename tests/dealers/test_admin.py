"""The admin is where master data is edited: a service manager edits only
their own stations' rows there."""

import pytest
from django.urls import reverse

from dealers.models import Role, ServicePackage
from tests.factories import CustomerFactory, LabourOperationFactory, PartFactory, StaffFactory


@pytest.fixture
def station_manager(station):
    staff = StaffFactory(user__username="mgr", roles=[Role.SERVICE_MANAGER], dealers=[station])
    staff.user.is_staff = True
    staff.user.save()
    from django.contrib.auth.models import Permission

    staff.user.user_permissions.set(Permission.objects.filter(content_type__app_label__in=["dealers", "customers"]))
    return staff


def test_a_station_manager_sees_only_their_stations_customers_in_the_admin(
    client, station, other_station, station_manager
):
    CustomerFactory(dealer=station, name="本站客户")
    CustomerFactory(dealer=other_station, name="外站客户")
    client.force_login(station_manager.user)
    page = client.get(reverse("admin:customers_customer_changelist")).content.decode()
    assert "本站客户" in page
    assert "外站客户" not in page


def test_a_station_manager_cannot_open_another_stations_part_in_the_admin(
    client, station, other_station, station_manager
):
    theirs = PartFactory(dealer=other_station)
    client.force_login(station_manager.user)
    response = client.get(reverse("admin:dealers_part_change", args=[theirs.pk]))
    assert response.status_code == 302  # the admin redirects "does not exist" to the index
    assert response.url == reverse("admin:index")


def test_a_package_cannot_bundle_another_stations_operations(client, station, other_station, django_user_model):
    admin_user = django_user_model.objects.create_superuser("root", password="x")
    foreign = LabourOperationFactory(dealer=other_station)
    client.force_login(admin_user)
    response = client.post(
        reverse("admin:dealers_servicepackage_add"),
        {
            "dealer": station.pk,
            "code": "PK1",
            "name": "10,000 km 保养",
            "job_type": "maintenance",
            "operations": [foreign.pk],
            "is_active": "on",
            "package_parts-TOTAL_FORMS": "0",
            "package_parts-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 200
    assert not ServicePackage.objects.exists()
