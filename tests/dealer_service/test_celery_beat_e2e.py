"""End to end on the real clock: a real Celery worker with its beat, on a real
Redis, sweeps a real database and delivers a due birthday SMS to the file
backend. Nothing is called in-process: beat ticks (every second here, set
through SWEEP_INTERVAL_SECONDS), the worker runs the sweep task, the sweep's
message step writes the file.

The worker sees the test's database: on PostgreSQL the test database itself
(transaction=True, so what the set-up writes is committed); on SQLite a file
database the test migrates. Skipped only where no Redis is reachable;
`.ci/run` sets REQUIRE_REDIS, which turns a skip into a failure."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

import pytest
import redis
from django.conf import settings
from django.db import connection

REDIS_URL = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/15"
BASE_DIR = Path(settings.BASE_DIR)
TIMEOUT = 90  # seconds: worker start-up, first beat tick, the sweep


def _redis_reachable() -> bool:
    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


pytestmark = [
    pytest.mark.redis,
    pytest.mark.skipif(not _redis_reachable(), reason=f"no Redis reachable at {REDIS_URL}"),
    pytest.mark.django_db(transaction=True),
]

# Run by `manage.py shell` in the worker's database: a station, a club member
# whose birthday greeting is due now, as the birthday rule would make it.
SEED = """
import datetime as dt
from django.utils import timezone
from customers.models import Customer
from dealers.models import Dealer, Role
from followup.models import Channel, ContactTask, Kind
station = Dealer.objects.create(code="e2e01", name="北京朝阳服务站", phone="010-88886666")
customer = Customer.objects.create(dealer=station, name="张伟", phone="13911112222")
now = timezone.now()
task = ContactTask.objects.create(
    kind=Kind.BIRTHDAY, dealer=station, customer=customer, channel=Channel.SMS, role=Role.SPECIALIST,
    due_from=now - dt.timedelta(minutes=5), due_until=now + dt.timedelta(hours=12),
    dedupe_key=f"birthday:e2e:{now.isoformat()}",
)
print(task.pk)
"""

REPORT = """
from followup.models import ContactTask, Message
print(list(Message.objects.values_list("status", "tries")), list(ContactTask.objects.values_list("status", "outcome")))
"""


def _database_url(tmp_path: Path) -> str:
    """A database the worker process can open and that this test owns."""
    db = connection.settings_dict
    if connection.vendor == "postgresql":
        auth = quote(db["USER"] or "")
        if db["PASSWORD"]:
            auth += ":" + quote(db["PASSWORD"])
        host = f"{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}"
        return f"postgres://{auth}@{host}/{db['NAME']}"
    return f"sqlite:///{tmp_path / 'e2e.sqlite3'}"


@pytest.fixture
def worker_env(tmp_path) -> dict[str, str]:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "dealer_service.settings_test",
        "DATABASE_URL": _database_url(tmp_path),
        "REDIS_URL": REDIS_URL,
        "CELERY_BROKER_URL": REDIS_URL,
        "CELERY_RESULT_BACKEND": REDIS_URL,
        "SMS_BACKEND": "file",
        "SMS_FILE_PATH": str(tmp_path / "sms"),
        "SWEEP_INTERVAL_SECONDS": "1",
        "CELERY_BEAT_SCHEDULE_FILENAME": str(tmp_path / "celerybeat-schedule"),
        "PYTHONUNBUFFERED": "1",
    }
    if connection.vendor != "postgresql":
        _manage(env, "migrate", "-v0")
    return env


def _manage(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout.strip()


@pytest.fixture
def worker(worker_env, tmp_path):
    """`celery worker -B`: the worker and its embedded beat, in their own
    process group so that stopping the test stops both."""
    log = tmp_path / "worker.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "dealer_service",
                "worker",
                "-B",
                "--pool=solo",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "--loglevel=INFO",
                "-s",
                str(tmp_path / "celerybeat-schedule"),
            ],
            cwd=BASE_DIR,
            env=worker_env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        yield process, log
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=5)


def _poll(condition, what: str, process, log: Path):
    """Poll `condition` until it returns something truthy; fail with the
    worker's log when the time is up or the worker died."""
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        if found := condition():
            return found
        if process.poll() is not None:
            pytest.fail(f"the worker exited ({process.returncode}) before {what}:\n{log.read_text()[-3000:]}")
        time.sleep(0.2)
    pytest.fail(f"no {what} within {TIMEOUT} s:\n{log.read_text()[-3000:]}")


def _sweeps_done(log: Path) -> int:
    return sum("sweep_task" in line and "succeeded" in line for line in log.read_text().splitlines())


def test_beat_and_worker_deliver_a_due_birthday_sms_once(worker_env, worker, tmp_path):
    process, log = worker
    _manage(worker_env, "shell", "--no-imports", "-c", SEED)
    outbox = tmp_path / "sms"
    files = _poll(lambda: list(outbox.glob("*.txt")) if outbox.is_dir() else [], "SMS file", process, log)
    text = files[0].read_text(encoding="utf-8")
    assert "To: 13911112222" in text
    assert "【北京朝阳服务站】尊敬的张伟先生/女士" in text
    assert "生日快乐" in text
    # Two more beat ticks swept the same database: still one message, one file.
    after = _sweeps_done(log)
    _poll(lambda: _sweeps_done(log) >= after + 2, "two more sweeps", process, log)
    assert len(list(outbox.glob("*.txt"))) == 1
    assert (
        _manage(worker_env, "shell", "--no-imports", "-c", REPORT).splitlines()[-1]
        == "[('sent', 1)] [('done', 'sent')]"
    )
