"""Keeping the dashboard's reads in Django's cache.

The page costs some fifty aggregated queries over the station's history; a
manager who reloads it, or a wall screen showing it, should not pay them
each time. Two parts are kept apart:

- the live reads (the 14-day load, the overdue lists, complaints open now),
  under the station and its *data generation*: a random token per station
  (and one for all stations), replaced after every save or delete of a
  record the dashboard reads (the signals below), so the to-do lists show a
  change at the next load; a minute at most for writes that bypass the
  signals (queryset updates, bulk inserts);
- the period's reads (figures of the period and the one before, the tables
  and the twelve months of trends), under the station and the period only:
  a minute for a period that is running or ended less than SETTLING ago
  (its callbacks and appointments still move with the clock), an hour for a
  settled period, which is history. They do not follow the generation: at a
  busy station something is saved every few seconds (a clock press, a
  task), and re-reading a year of history after each would make every load
  a cold one. The page says when its figures were read.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from typing import Any

from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import post_delete, post_save

from dashboard import selectors
from dashboard.periods import Period
from dealers.models import Dealer

LIVE_SECONDS = 60
SETTLED_SECONDS = 60 * 60
# A period's figures still change with the clock for a while after it ends
# (callbacks are due up to a week after a delivery, no-shows are marked the
# day after): until then it is kept like a running one.
SETTLING = dt.timedelta(days=14)
# Bump when a figure's definition changes: the kept reads of the old one are ignored.
SCHEMA = 1
# The apps whose records the dashboard reads.
WATCHED_APPS = frozenset({"appointments", "complaints", "dealers", "followup", "reception", "workshop"})
ALL_STATIONS = "all"

log = logging.getLogger(__name__)


def _generation_key(station_id: int | str) -> str:
    return f"dashboard:generation:{station_id}"


def _quietly(call, default=None):
    """A cache operation; a cache that is down must fail neither a page nor
    a write: the page is then read afresh, the write leaves the kept reads to
    their time limits."""
    try:
        return call()
    except Exception:
        log.warning("dashboard cache unavailable", exc_info=True)
        return default


def generation(station_id: int | str) -> str:
    """The station's current data generation (made on first use; a fresh
    one, matching nothing kept, when the cache does not answer)."""
    key = _generation_key(station_id)
    token = _quietly(lambda: cache.get(key))
    if token is None:
        _quietly(lambda: cache.add(key, uuid.uuid4().hex, None))
        token = _quietly(lambda: cache.get(key)) or uuid.uuid4().hex
    return token


def bump(station_id: int | str) -> None:
    """A new generation: what was kept for the station is no longer read."""
    _quietly(lambda: cache.set(_generation_key(station_id), uuid.uuid4().hex, None))


def station_of(instance) -> int | None:
    """The station a record belongs to, from its own field or a parent
    already loaded with it (never a query: this runs on every save)."""
    station_id = getattr(instance, "dealer_id", None)
    if station_id:
        return station_id
    for field in instance._meta.concrete_fields:
        if field.many_to_one and field.is_cached(instance):
            parent = field.get_cached_value(instance)
            parent_station = getattr(parent, "dealer_id", None) if parent is not None else None
            if parent_station:
                return parent_station
    return None


def on_change(sender, instance, **kwargs) -> None:
    if sender._meta.app_label not in WATCHED_APPS:
        return
    target = station_of(instance) or ALL_STATIONS
    bump(target)
    # Again once committed: a read made meanwhile saw the data before the
    # change and may have been kept under the generation made above.
    transaction.on_commit(lambda: bump(target))


def connect() -> None:
    post_save.connect(on_change, dispatch_uid="dashboard.cache.save")
    post_delete.connect(on_change, dispatch_uid="dashboard.cache.delete")


def is_settled(period: Period, now: dt.datetime) -> bool:
    return period.window.end + SETTLING <= now


def _kept(key: str, seconds: int, read) -> dict[str, Any]:
    found = _quietly(lambda: cache.get(key))
    if found is None:
        found = read()
        _quietly(lambda: cache.set(key, found, seconds))
    return found


def dashboard_context(station: Dealer, period: Period, now: dt.datetime) -> dict[str, Any]:
    """selectors.dashboard_context, with the reads kept as the module says;
    `as_of` is when the oldest of them was read (the page shows it)."""
    base = f"dashboard:v{SCHEMA}:{station.pk}:{station.time_zone}"
    generations = f"{generation(ALL_STATIONS)}:{generation(station.pk)}"
    settled = is_settled(period, now)
    reads = _kept(
        f"{base}:period:{period.kind}:{period.first:%Y%m%d}:{period.last:%Y%m%d}",
        SETTLED_SECONDS if settled else LIVE_SECONDS,
        lambda: {"at": now, "data": selectors.period_reads(station, period, now)},
    )
    live = _kept(
        f"{base}:{generations}:live", LIVE_SECONDS, lambda: {"at": now, "data": selectors.live_reads(station, now)}
    )
    context = selectors.assemble(station, period, now, reads["data"], live["data"])
    context["as_of"] = min(live["at"], now) if settled else min(reads["at"], live["at"])
    context["settled"] = settled
    return context
