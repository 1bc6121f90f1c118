"""Messages to customers: the backends, the wording, the sweep's message step
and the printed letters (followup.messaging)."""

from __future__ import annotations

import datetime as dt
import io
import itertools
import json
import shutil
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.core.management import call_command
from django.template import Context, Template
from django.urls import reverse

from dealer_service import sweep as sweep_module
from dealers.models import Role
from followup.messaging import MAX_TRIES, letters, occurrence_key, send_due, texts
from followup.messaging.backends import SendError, get_backend
from followup.messaging.backends import locmem as locmem_backend
from followup.messaging.backends.console import SmsBackend as ConsoleBackend
from followup.messaging.backends.filebased import SmsBackend as FileBackend
from followup.messaging.backends.gateway import SmsBackend as GatewayBackend
from followup.messaging.rendering import Wordings, render_for_task
from followup.models import (
    Channel,
    ContactAttempt,
    ContactTask,
    Kind,
    Message,
    MessageStatus,
    MessageTemplate,
    Outcome,
    TaskStatus,
)
from tests.factories import CustomerFactory, VehicleFactory

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = dt.datetime(2026, 11, 23, 9, 30, tzinfo=SHANGHAI)
H = dt.timedelta(hours=1)
_serial = itertools.count(1)


@pytest.fixture(autouse=True)
def sms_to_locmem(settings):
    settings.SMS_BACKEND = "locmem"
    settings.SMS_SIGN = ""
    locmem_backend.outbox.clear()
    yield
    locmem_backend.outbox.clear()


@pytest.fixture
def customer(station):
    return CustomerFactory(
        dealer=station,
        name="张伟",
        phone="13911112222",
        email="zhang.wei@example.cn",
        address="北京市朝阳区酒仙桥路10号院 3号楼2单元501",
    )


@pytest.fixture
def car(customer):
    return VehicleFactory(owner=customer, plate="京A12345", model="帕萨特", warranty_end=dt.date(2026, 12, 31))


def make_task(customer, *, kind=Kind.BIRTHDAY, channel=Channel.SMS, due_from=NOW - H, vehicle=None, **extra):
    return ContactTask.objects.create(
        kind=kind,
        dealer=customer.dealer,
        customer=customer,
        vehicle=vehicle,
        due_from=due_from,
        due_until=due_from + dt.timedelta(hours=12),
        role=Role.SPECIALIST,
        channel=channel,
        dedupe_key=f"test:{kind}:{next(_serial)}",
        **extra,
    )


def make_message(customer, *, channel=Channel.SMS, task=None, to="13911112222", body="您好", **extra):
    return Message.objects.create(
        dealer=customer.dealer,
        customer=customer,
        task=task,
        channel=channel,
        to=to,
        body=body,
        occurrence_key=f"test:{next(_serial)}",
        created_at=NOW - H,
        **extra,
    )


# --- backends ---------------------------------------------------------------------


def test_the_console_backend_writes_the_message(customer):
    stream = StringIO()
    ConsoleBackend(stream=stream).send(make_message(customer, body="生日快乐"))
    assert "To: 13911112222" in stream.getvalue()
    assert "生日快乐" in stream.getvalue()


def test_the_file_backend_writes_one_file_per_message_and_a_retry_replaces_it(customer, tmp_path):
    backend = FileBackend(file_path=tmp_path)
    first, second = make_message(customer, body="第一条"), make_message(customer, body="第二条")
    backend.send(first)
    backend.send(first)  # a retry of the same message
    backend.send(second)
    files = sorted(tmp_path.glob("*.txt"))
    assert len(files) == 2
    assert "第一条" in files[0].read_text(encoding="utf-8") + files[1].read_text(encoding="utf-8")


def test_the_file_backend_fails_with_the_reason_when_it_cannot_write(customer, tmp_path):
    blocker = tmp_path / "taken"
    blocker.write_text("")
    backend = FileBackend(file_path=tmp_path / "sub")
    backend.file_path = blocker / "inside"  # a folder under a file cannot be made
    with pytest.raises(SendError, match="cannot write"):
        backend.send(make_message(customer))


def test_the_locmem_backend_keeps_messages_in_its_outbox(customer):
    provider_id = get_backend(Channel.SMS).send(make_message(customer, body="测试"))
    assert [m.body for m in locmem_backend.outbox] == ["测试"]
    assert provider_id


def test_backends_are_chosen_by_short_name_or_dotted_path(settings):
    settings.SMS_BACKEND = "console"
    assert isinstance(get_backend(Channel.SMS), ConsoleBackend)
    settings.SMS_BACKEND = "followup.messaging.backends.filebased.SmsBackend"
    assert isinstance(get_backend(Channel.SMS), FileBackend)
    with pytest.raises(ValueError):
        get_backend(Channel.LETTER)  # letters are printed, not sent


def test_e_mail_goes_through_djangos_mail_backend(customer):
    message = make_message(customer, channel=Channel.EMAIL, to=customer.email, subject="生日快乐", body="祝您生日快乐")
    with get_backend(Channel.EMAIL) as backend:
        provider_id = backend.send(message)
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [customer.email]
    assert mail.outbox[0].subject == "生日快乐"
    assert provider_id and provider_id in mail.outbox[0].extra_headers["Message-ID"]


class _Gateway(BaseHTTPRequestHandler):
    """A stand-in SMS gateway: the edge of the world, on a local port."""

    received: list = []
    reply: tuple[int, bytes] = (200, b'{"id": "gw-001"}')

    def do_POST(self):
        length = int(self.headers["Content-Length"])
        type(self).received.append((dict(self.headers), json.loads(self.rfile.read(length))))
        status, body = type(self).reply
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def gateway():
    _Gateway.received = []
    _Gateway.reply = (200, b'{"id": "gw-001"}')
    server = HTTPServer(("127.0.0.1", 0), _Gateway)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield _Gateway, f"http://127.0.0.1:{server.server_port}/sms"
    finally:
        server.shutdown()
        server.server_close()


def test_the_gateway_posts_json_with_the_token_and_returns_the_providers_id(customer, gateway):
    handler, url = gateway
    message = make_message(customer, body="【北京朝阳服务站】尊敬的张伟先生/女士：生日快乐！")
    provider_id = GatewayBackend(url=url, token="secret-token").send(message)
    assert provider_id == "gw-001"
    headers, payload = handler.received[0]
    assert headers["Authorization"] == "Bearer secret-token"
    assert payload == {"to": "13911112222", "text": message.body, "reference": message.occurrence_key}


@pytest.mark.parametrize(
    ("reply", "error"),
    [
        ((500, b'{"error": "quota exceeded"}'), "gateway answered 500"),
        ((200, b"OK"), "not JSON"),
        ((200, b'{"status": "ok"}'), "no message id"),
    ],
)
def test_the_gateway_turns_a_bad_reply_into_an_error_with_its_text(customer, gateway, reply, error):
    handler, url = gateway
    handler.reply = reply
    with pytest.raises(SendError, match=error):
        GatewayBackend(url=url, token="t").send(make_message(customer))


def test_an_unreachable_gateway_is_an_error_not_a_crash(customer):
    server = HTTPServer(("127.0.0.1", 0), _Gateway)
    port = server.server_port
    server.server_close()  # nothing listens there now
    with pytest.raises(SendError, match="unreachable"):
        GatewayBackend(url=f"http://127.0.0.1:{port}/sms", token="t", timeout=2).send(make_message(customer))


def test_a_gateway_error_fails_the_message_with_the_gateways_words(customer, gateway, settings):
    handler, url = gateway
    handler.reply = (503, b"maintenance")
    settings.SMS_BACKEND, settings.SMS_GATEWAY_URL, settings.SMS_GATEWAY_TOKEN = "gateway", url, "t"
    make_task(customer)
    for minute in range(MAX_TRIES):
        send_due(NOW + dt.timedelta(minutes=minute))
    message = Message.objects.get()
    assert message.status == MessageStatus.FAILED
    assert "503" in message.error and "maintenance" in message.error
    assert len(handler.received) == MAX_TRIES


# --- wording ----------------------------------------------------------------------


def test_the_code_default_greets_in_chinese_with_the_station_sign(customer, car, station):
    subject, body = render_for_task(make_task(customer, vehicle=car), Channel.SMS, language="zh-hans")
    assert body.startswith(f"【{station.name}】尊敬的张伟先生/女士：")
    assert "生日快乐" in body
    assert subject == ""


def test_the_code_default_in_english(customer, car, station):
    subject, body = render_for_task(make_task(customer, vehicle=car), Channel.EMAIL, language="en")
    assert subject == f"Happy birthday | {station.name}"
    assert body.startswith("Dear 张伟,")
    assert "happy birthday" in body


def test_the_configured_sms_sign_replaces_the_station_name(customer, settings):
    settings.SMS_SIGN = "大众售后"
    _subject, body = render_for_task(make_task(customer), Channel.SMS, language="zh-hans")
    assert body.startswith("【大众售后】")


def test_a_warranty_reminder_names_the_warranty_end_in_both_languages(customer, car):
    task = make_task(customer, kind=Kind.WARRANTY_FIRST, vehicle=car)
    assert "2026年12月31日" in render_for_task(task, Channel.SMS, language="zh-hans")[1]
    assert "31 December 2026" in render_for_task(task, Channel.SMS, language="en")[1]
    assert "京A12345" in render_for_task(task, Channel.SMS, language="zh-hans")[1]


def test_the_group_default_overrides_the_code_and_the_stations_own_overrides_both(customer, station, other_station):
    task = make_task(customer)
    key = {"kind": Kind.BIRTHDAY, "channel": Channel.SMS, "language": "zh-hans"}
    assert render_for_task(task, Channel.SMS)[1].startswith("【")  # the code's text
    MessageTemplate.objects.create(dealer=None, body="集团祝{{ customer.name }}生日快乐", **key)
    assert render_for_task(task, Channel.SMS)[1] == "集团祝张伟生日快乐"
    MessageTemplate.objects.create(dealer=other_station, body="别的站", **key)
    assert render_for_task(task, Channel.SMS)[1] == "集团祝张伟生日快乐"  # another station's row never applies
    MessageTemplate.objects.create(dealer=station, body="{{ dealer.name }}祝您生日快乐", **key)
    assert render_for_task(task, Channel.SMS)[1] == f"{station.name}祝您生日快乐"
    # Another language is still the code's.
    assert render_for_task(task, Channel.SMS, language="en")[1].startswith("[")


def test_a_template_row_that_does_not_compile_is_skipped(customer, station):
    MessageTemplate.objects.create(
        dealer=station, kind=Kind.BIRTHDAY, channel=Channel.SMS, language="zh-hans", body="{% if %}坏了"
    )
    wording = Wordings().get(dealer_id=station.pk, kind=Kind.BIRTHDAY, channel=Channel.SMS, language="zh-hans")
    assert wording.origin == "code"


def test_the_wording_is_read_once_per_run(customer, django_assert_num_queries, station):
    wordings = Wordings()
    with django_assert_num_queries(1):
        for _ in range(3):
            wordings.get(dealer_id=station.pk, kind=Kind.BIRTHDAY, channel=Channel.SMS, language="zh-hans")


@pytest.mark.parametrize(("kind", "channel", "language"), sorted(texts.DEFAULTS))
def test_every_default_text_renders_without_a_vehicle_or_appointment(kind, channel, language):
    subject, body = texts.DEFAULTS[(kind, channel, language)]
    context = Context(
        {
            "customer": {"name": "张伟"},
            "dealer": {"name": "北京朝阳服务站", "phone": "010-88886666", "first_maintenance_months": 3},
            "sign": "北京朝阳服务站",
            "due_date": dt.date(2026, 12, 1),
        },
        autoescape=False,
    )
    text = Template(body).render(context)
    assert "张伟" in text
    assert "{{" not in text and "{%" not in text
    if channel == Channel.EMAIL:
        assert Template(subject).render(context).strip()


def test_a_confirmation_names_the_arrival_in_the_stations_time(customer, car, station, advisor):
    from appointments.models import Appointment

    appointment = Appointment.objects.create(
        dealer=station,
        number="A0001",
        customer=customer,
        vehicle=car,
        advisor=advisor,
        job_type="maintenance",
        arrives_at=dt.datetime(2026, 11, 26, 1, 0, tzinfo=dt.UTC),  # 09:00 in Beijing
        hours="1.00",
        ready_at=dt.datetime(2026, 11, 26, 3, 0, tzinfo=dt.UTC),
        request="保养",
    )
    task = make_task(customer, kind=Kind.CONFIRMATION_72H, vehicle=car, source=appointment)
    assert "11月26日 09:00" in render_for_task(task, Channel.SMS, language="zh-hans")[1]
    assert "26 Nov, 09:00" in render_for_task(task, Channel.SMS, language="en")[1]


# --- the sweep's message step -----------------------------------------------------


def test_a_due_birthday_sms_is_sent_once_and_closes_its_task(customer):
    task = make_task(customer)
    assert send_due(NOW) == 2  # queued, then one try
    assert send_due(NOW + dt.timedelta(minutes=1)) == 0
    assert len(locmem_backend.outbox) == 1
    message = Message.objects.get()
    assert (message.status, message.tries, message.sent_at, message.to) == (MessageStatus.SENT, 1, NOW, "13911112222")
    assert message.occurrence_key == occurrence_key(task)
    task.refresh_from_db()
    assert (task.status, task.outcome, task.closed_at) == (TaskStatus.DONE, Outcome.SENT, NOW)
    attempt = ContactAttempt.objects.get(task=task)
    assert (attempt.outcome, attempt.channel, attempt.by) == (Outcome.SENT, Channel.SMS, None)


def test_nothing_goes_out_before_the_task_is_due_or_for_a_call(customer):
    make_task(customer, due_from=NOW + H)
    make_task(customer, kind=Kind.CALLBACK, channel=Channel.PHONE)
    assert send_due(NOW) == 0
    assert not Message.objects.exists()


def test_a_call_that_fell_back_gets_one_message_per_fall_back(customer):
    task = make_task(customer, kind=Kind.FIRST_MAINTENANCE, channel=Channel.SMS, fell_back_at=NOW - H / 2)
    send_due(NOW)
    send_due(NOW + H)
    message = Message.objects.get()
    assert message.status == MessageStatus.SENT
    assert (NOW - H / 2).astimezone(dt.UTC).isoformat() in message.occurrence_key
    assert "首次保养" in message.body
    task.refresh_from_db()
    assert task.status == TaskStatus.DONE


class FlakyBackend:
    """Raises on its first send in the test, then works like locmem."""

    calls = 0

    def __init__(self, **kwargs):
        self.inner = locmem_backend.SmsBackend()

    def open(self):
        pass

    def close(self):
        pass

    def send(self, message):
        type(self).calls += 1
        if type(self).calls == 1:
            raise SendError("gateway timeout")
        return self.inner.send(message)


class BrokenBackend(FlakyBackend):
    def send(self, message):
        raise SendError("number does not exist")


def test_a_message_whose_first_try_failed_is_retried_and_sent_once(customer, settings):
    settings.SMS_BACKEND = f"{__name__}.FlakyBackend"
    FlakyBackend.calls = 0
    task = make_task(customer)
    send_due(NOW)
    message = Message.objects.get()
    assert (message.status, message.tries, message.error) == (MessageStatus.QUEUED, 1, "gateway timeout")
    task.refresh_from_db()
    assert task.status == TaskStatus.OPEN
    send_due(NOW + dt.timedelta(minutes=1))
    send_due(NOW + dt.timedelta(minutes=2))
    message.refresh_from_db()
    assert (message.status, message.tries, message.error) == (MessageStatus.SENT, 2, "")
    assert len(locmem_backend.outbox) == 1
    assert Message.objects.count() == 1


def test_after_three_failed_tries_the_message_fails_and_the_task_stays_open_for_a_person(customer, settings):
    settings.SMS_BACKEND = f"{__name__}.BrokenBackend"
    task = make_task(customer, kind=Kind.SCHEDULED_MAINTENANCE, fell_back_at=NOW - H)
    for minute in range(MAX_TRIES + 2):
        send_due(NOW + dt.timedelta(minutes=minute))
    message = Message.objects.get()
    assert (message.status, message.tries, message.error) == (MessageStatus.FAILED, MAX_TRIES, "number does not exist")
    task.refresh_from_db()
    assert task.status == TaskStatus.OPEN
    assert task.fell_back_at == NOW - H  # kept: the failed message's key stops a second one
    attempt = ContactAttempt.objects.get(task=task)
    assert (attempt.outcome, attempt.note) == (Outcome.UNREACHABLE, "number does not exist")


def test_a_task_moved_to_another_channel_gets_a_message_on_it(customer, settings):
    settings.SMS_BACKEND = f"{__name__}.BrokenBackend"
    task = make_task(customer, kind=Kind.DORMANT, fell_back_at=NOW - H)
    for minute in range(MAX_TRIES):
        send_due(NOW + dt.timedelta(minutes=minute))
    task.channel = Channel.LETTER
    task.save()
    send_due(NOW + H)
    assert sorted(Message.objects.values_list("channel", "status")) == [
        (Channel.LETTER, MessageStatus.QUEUED),
        (Channel.SMS, MessageStatus.FAILED),
    ]


def test_an_e_mail_task_goes_out_through_django_mail(customer):
    task = make_task(customer, kind=Kind.CAMPAIGN, channel=Channel.EMAIL)
    send_due(NOW)
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["zhang.wei@example.cn"]
    task.refresh_from_db()
    assert task.outcome == Outcome.SENT


def test_a_customer_without_an_address_for_the_channel_fails_at_once_with_the_reason(customer):
    customer.email = ""
    customer.save()
    task = make_task(customer, channel=Channel.EMAIL)
    send_due(NOW)
    send_due(NOW + H)
    message = Message.objects.get()
    assert message.status == MessageStatus.FAILED
    assert message.error
    assert not mail.outbox
    task.refresh_from_db()
    assert task.status == TaskStatus.OPEN
    assert ContactAttempt.objects.get(task=task).outcome == Outcome.UNREACHABLE


def test_a_queued_message_is_not_sent_once_a_person_closed_its_task(customer):
    task = make_task(customer)
    message = make_message(customer, task=task)
    ContactTask.objects.filter(pk=task.pk).update(status=TaskStatus.DONE, outcome=Outcome.SENT)
    send_due(NOW)
    message.refresh_from_db()
    assert message.status == MessageStatus.FAILED
    assert not locmem_backend.outbox


def test_letters_are_queued_and_wait_for_the_printer(customer):
    task = make_task(customer, kind=Kind.LOST, channel=Channel.LETTER)
    send_due(NOW)
    send_due(NOW + H)
    letter = Message.objects.get()
    assert (letter.status, letter.tries, letter.to) == (MessageStatus.QUEUED, 0, customer.address)
    assert "此致" in letter.body
    task.refresh_from_db()
    assert task.status == TaskStatus.OPEN


def test_the_message_step_runs_right_after_the_contact_rules():
    names = [name for name, _ in sweep_module.STEPS]
    assert names.index("followup.messages") == names.index("followup.contact_rules") + 1


def test_the_sweep_command_reports_what_this_run_did(customer):
    make_task(customer)
    make_task(CustomerFactory(dealer=customer.dealer, email="li@example.cn"), channel=Channel.EMAIL)
    out = io.StringIO()
    call_command("sweep", "--now", NOW.isoformat(), stdout=out)
    first = out.getvalue()
    assert "followup.messages: 4" in first
    assert "messages sent: 2" in first
    assert "  sms: 1" in first and "  email: 1" in first
    out = io.StringIO()
    call_command("sweep", "--now", (NOW + dt.timedelta(minutes=1)).isoformat(), stdout=out)
    assert "followup.messages: 0" in out.getvalue()
    assert "messages sent: 0" in out.getvalue()
    assert "contact tasks created: 0" in out.getvalue()


# --- letters ---------------------------------------------------------------------


def pdf_pages(pdf: bytes) -> list[str]:
    """Each page's text (pdftotext), or as many empty pages as WeasyPrint
    counts where poppler is not installed."""
    assert pdf.startswith(b"%PDF")
    if shutil.which("pdftotext"):
        out = subprocess.run(["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True, check=True)
        return ["".join(page.split()) for page in out.stdout.decode().rstrip("\f").split("\f")]
    pytest.skip("pdftotext (poppler-utils) is needed to read the letters back")


@pytest.fixture
def two_letters(customer, station):
    other = CustomerFactory(dealer=station, name="李娜", address="北京市朝阳区望京街道8号")
    tasks = [make_task(customer, kind=Kind.LOST, channel=Channel.LETTER), make_task(other, channel=Channel.LETTER)]
    send_due(NOW)
    return tasks


def test_the_batch_prints_one_page_per_letter_with_the_customers_address(two_letters, station):
    pages = pdf_pages(
        letters.letters_pdf(letters.for_print(letters.queued_letters(station)), station=station, printed_at=NOW)
    )
    assert len(pages) == 2
    assert "北京市朝阳区酒仙桥路10号院" in pages[0] and "张伟" in pages[0]
    assert "北京市朝阳区望京街道8号" in pages[1] and "李娜" in pages[1]
    assert "生日快乐" in pages[1]
    assert all(station.name in page and "2026-11-23" in page for page in pages)


def test_printing_marks_the_letters_sent_and_closes_their_tasks(two_letters, station, specialist):
    batch = letters.letters_print(station=station, by=specialist.user, now=NOW)
    assert set(Message.objects.values_list("status", "provider_id")) == {(MessageStatus.SENT, batch)}
    for task in two_letters:
        task.refresh_from_db()
        assert (task.status, task.outcome) == (TaskStatus.DONE, Outcome.SENT)
        assert task.attempts.get().by == specialist.user
    with pytest.raises(letters.LetterError):
        letters.letters_print(station=station, by=specialist.user, now=NOW + H)
    assert letters.batch_letters(station, batch).count() == 2


LETTERS = reverse("followup:letters")


@pytest.mark.parametrize(
    ("role", "status"), [("specialist", 200), ("manager", 200), ("advisor", 403), ("cashier", 403)]
)
def test_the_letters_page_is_for_the_specialist_and_the_manager(request, login, role, status):
    staff = request.getfixturevalue(role)
    assert login(staff).get(LETTERS).status_code == status


def test_signed_out_the_letters_page_asks_to_sign_in(client):
    assert client.get(LETTERS).status_code == 302


def test_the_page_lists_the_stations_queued_letters_only(two_letters, other_station, specialist, login):
    stranger = CustomerFactory(dealer=other_station, name="王芳")
    make_task(stranger, channel=Channel.LETTER)
    send_due(NOW)
    page = login(specialist).get(LETTERS).content.decode()
    assert "张伟" in page and "李娜" in page
    assert "王芳" not in page


def test_the_page_searches_and_says_when_nothing_matches(two_letters, specialist, login):
    client = login(specialist)
    found = client.get(LETTERS, {"q": "酒仙桥", "status": "queued"})
    assert [m.customer.name for m in found.context["page"].object_list] == ["张伟"]
    nothing = client.get(LETTERS, {"q": "nobody"})
    assert nothing.context["filtered"] and not nothing.context["page"].object_list
    assert "bi-search" in nothing.content.decode()  # the no-match state, not the all-done one


def test_the_print_button_marks_the_batch_and_shows_its_pdf(two_letters, specialist, login):
    client = login(specialist)
    response = client.post(reverse("followup:letters_print"))
    assert response.status_code == 302
    assert Message.objects.filter(status=MessageStatus.SENT).count() == 2
    pdf = client.get(response["Location"])
    assert pdf["Content-Type"] == "application/pdf"
    assert len(pdf_pages(pdf.content)) == 2
    # Nothing left: the page says so and a second press prints nothing.
    assert client.post(reverse("followup:letters_print")).status_code == 302
    assert Message.objects.filter(status=MessageStatus.SENT).count() == 2


def test_the_preview_marks_nothing(two_letters, specialist, login):
    response = login(specialist).get(reverse("followup:letters_preview"))
    assert response["Content-Type"] == "application/pdf"
    assert Message.objects.filter(status=MessageStatus.QUEUED).count() == 2


def test_another_stations_batch_is_not_found(two_letters, station, specialist, other_station, staff_of, login):
    batch = letters.letters_print(station=station, by=specialist.user, now=NOW)
    outsider = staff_of(Role.SPECIALIST, other_station)
    assert login(outsider).get(reverse("followup:letters_batch", args=[batch])).status_code == 404


def test_printing_needs_a_post(two_letters, specialist, login):
    assert login(specialist).get(reverse("followup:letters_print")).status_code == 405


@pytest.mark.parametrize("count", [3, 30])
def test_the_letters_page_takes_the_same_queries_for_3_or_30_letters(
    station, specialist, login, django_assert_max_num_queries, count, settings
):
    settings.PAGE_SIZE = 50
    for i in range(count):
        make_task(CustomerFactory(dealer=station, address=f"地址{i}"), channel=Channel.LETTER)
    send_due(NOW)
    client = login(specialist)
    client.get(LETTERS)
    with django_assert_max_num_queries(9):
        response = client.get(LETTERS)
    assert len(response.context["page"].object_list) == count
