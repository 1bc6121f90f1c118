"""Running the same code from several threads at one moment, for the
PostgreSQL concurrency tests: each thread has its own connection, and a
barrier releases them together so the database decides who wins."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection, connections

# The marks of a test that needs several real connections.
POSTGRES_ONLY = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL (set DATABASE_URL)"),
]


def run_at_once(target: Callable[..., Any], *args: Any, times: int) -> list:
    """`target(*args)` from `times` threads released together; what each
    returned, or the exception it raised, in the order they finished."""
    barrier = threading.Barrier(times)
    outcomes: list = []

    def one() -> None:
        try:
            barrier.wait()
            outcomes.append(target(*args))
        except Exception as error:
            outcomes.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=one) for _ in range(times)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes
