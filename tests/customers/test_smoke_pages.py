from django.urls import reverse

from tests.factories import VehicleFactory


def test_advisor_lands_on_the_arrivals_desk_and_finds_a_plate(advisor, station, login):
    vehicle = VehicleFactory(owner__dealer=station, owner__name="张伟")
    client = login(advisor)
    assert client.get(reverse("home"))["Location"] == reverse("reception:arrivals")
    page = client.get(reverse("customers:lookup"), {"q": vehicle.plate[2:5]})
    assert "张伟" in page.content.decode()
    detail = client.get(reverse("customers:detail", args=[vehicle.owner.pk]))
    assert vehicle.plate in detail.content.decode()
    assert client.get(reverse("customers:vehicle", args=[vehicle.pk])).status_code == 200
