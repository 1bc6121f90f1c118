"""The front-desk search: one box for plate, phone, VIN (or its tail) and name."""

import pytest
from django.urls import reverse

from tests.factories import CustomerFactory, VehicleFactory, customers_with_vehicles_bulk

# Queries of a search page, whatever the number of matches: session, user,
# staff with roles (2), stations, count, the page of customers, their vehicles.
LOOKUP_QUERIES = 8


@pytest.fixture
def ouyang(station):
    """The customer being looked for, with a new-energy car."""
    customer = CustomerFactory(dealer=station, name="欧阳娜娜", phone="13812345678", phone2="010-62345678")
    VehicleFactory(owner=customer, plate="粤BD56789", vin="LSVAM4187C2184847")
    return customer


@pytest.fixture
def decoy(station):
    """Another customer of the same station who matches none of the searches."""
    customer = CustomerFactory(dealer=station, name="王强", phone="13999990000")
    VehicleFactory(owner=customer, plate="京A88888", vin="LVSHCAMB1CE054249")
    return customer


@pytest.fixture
def search(advisor, login, ouyang, decoy):
    client = login(advisor)

    def _search(q: str) -> str:
        response = client.get(reverse("customers:lookup"), {"q": q})
        assert response.status_code == 200
        return response.content.decode()

    return _search


@pytest.mark.parametrize(
    "q",
    [
        "粤BD56789",  # the full plate
        "粤B·D56789",  # as printed on the plate
        "粤bd56789",  # lowercase
        "BD567",  # part of it
        "d5678",
    ],
)
def test_the_lookup_finds_a_customer_by_plate(search, q):
    page = search(q)
    assert "欧阳娜娜" in page
    assert "王强" not in page


@pytest.mark.parametrize(
    "q",
    [
        "13812345678",
        "+86 138 1234 5678",
        "0086 13812345678",
        "138-1234-5678",
        "2345678",  # part of the mobile
        "1234 5678",
        "62345678",  # part of the second phone, a landline
        "010-62345678",
    ],
)
def test_the_lookup_finds_a_customer_by_phone(search, q):
    page = search(q)
    assert "欧阳娜娜" in page
    assert "王强" not in page


@pytest.mark.parametrize("q", ["LSVAM4187C2184847", "lsvam4187c2184847", "184847", "C2184847"])
def test_the_lookup_finds_a_customer_by_vin_or_its_last_six(search, q):
    page = search(q)
    assert "欧阳娜娜" in page
    assert "王强" not in page


@pytest.mark.parametrize("q", ["欧阳娜娜", "欧阳", "娜娜", "阳娜"])
def test_the_lookup_finds_a_customer_by_part_of_the_name(search, q):
    page = search(q)
    assert "欧阳娜娜" in page
    assert "王强" not in page


def test_the_lookup_lists_every_matching_customer_once(search, station):
    second = CustomerFactory(dealer=station, name="欧阳锋")
    VehicleFactory(owner=second, plate="粤BD11111")
    VehicleFactory(owner=second, plate="粤BD22222")  # two matching cars, one customer
    page = search("欧阳")
    assert page.count(">欧阳锋</a>") == 1
    assert ">欧阳娜娜</a>" in page


def test_a_search_without_a_match_says_so(search):
    page = search("沪Z99999")
    assert "欧阳娜娜" not in page
    assert "没有与“沪Z99999”匹配的客户或车辆。" in page
    assert "建立客户档案" in page  # and offers to create the file


def test_the_front_desk_of_a_new_station_says_it_has_no_files_yet(advisor, login):
    page = login(advisor).get(reverse("customers:lookup")).content.decode()
    assert "本服务站还没有客户档案。" in page


def test_the_lookup_never_finds_another_stations_customer(search, other_station):
    twin = CustomerFactory(dealer=other_station, name="欧阳娜娜外站", phone="13812345678")
    VehicleFactory(owner=twin, plate="粤BD56789", vin="LSVAM4187C2184847")
    for q in ["欧阳", "粤BD56789", "13812345678", "184847"]:
        page = search(q)
        assert "欧阳娜娜外站" not in page, q
        assert "欧阳娜娜" in page, q


def test_the_empty_lookup_lists_only_the_current_stations_customers(search, other_station):
    CustomerFactory(dealer=other_station, name="外站客户")
    page = search("")
    assert "欧阳娜娜" in page
    assert "外站客户" not in page


@pytest.mark.parametrize("q", ["欧", "8", "b"])
def test_a_one_character_search_asks_for_more_and_shows_no_results(search, q):
    page = search(q)
    assert "请至少输入 2 个字符再查找。" in page
    assert "欧阳娜娜" not in page
    assert "王强" not in page


def test_a_search_as_the_htmx_target_answers_with_the_results_fragment_only(advisor, login, ouyang):
    response = login(advisor).get(
        reverse("customers:lookup"), {"q": "欧阳"}, headers={"HX-Request": "true", "HX-Target": "lookup-results"}
    )
    page = response.content.decode()
    assert "欧阳娜娜" in page
    assert "<html" not in page


@pytest.mark.parametrize("matching", [10, 500])
def test_the_search_page_needs_the_same_queries_for_ten_or_five_hundred_matches(
    advisor, login, station, django_assert_max_num_queries, matching
):
    customers_with_vehicles_bulk(station, matching, name="刘客户")
    client = login(advisor)
    with django_assert_max_num_queries(LOOKUP_QUERIES):
        response = client.get(reverse("customers:lookup"), {"q": "刘客"})
    assert response.context["page"].paginator.count == matching
    assert len(response.context["page"].object_list) == min(matching, 20)


@pytest.mark.parametrize("customers", [10, 500])
def test_the_front_desk_list_needs_the_same_queries_for_ten_or_five_hundred_customers(
    advisor, login, station, django_assert_max_num_queries, customers
):
    customers_with_vehicles_bulk(station, customers)
    client = login(advisor)
    with django_assert_max_num_queries(LOOKUP_QUERIES):
        response = client.get(reverse("customers:lookup"))
    assert response.context["page"].paginator.count == customers
