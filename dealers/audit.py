"""The audit history of prices, consents, invoices and complaint levels, and
the rule that nothing a customer signed is ever deleted.

History is django-simple-history: a model declares `history = Audited(...)`
and every save writes a historical row with who and when. Two additions:

- **Only changes.** A save that changes no tracked field writes no row, so a
  ticket whose deadline moved (an untracked field) does not fill the audit
  list with "nothing changed". One query per update: the last row is read
  and compared, unless `update_fields` already shows nothing tracked moved.
- **Who.** The user is the one named explicitly on the instance
  (`_history_user`), else the actor of the service being run (`acting_as`),
  else the signed-in user of the request (HistoryRequestMiddleware). Services
  are called from views, tasks and tests alike; the actor makes the service's
  own `by` the author of every row it writes, requests or not.

Bulk writes (`bulk_create`, `bulk_update`, `QuerySet.update`) send no signals
and write no history: services that bulk-write audited rows use
`simple_history.utils.bulk_create_with_history` instead. The demo seed
(dealer_service.demo_history) bulk-loads a past year without history on
purpose: its rows were never changed by anyone, and the audit list starts
with the first real change (shown as "recorded" with the values then).
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable, Iterable, Iterator
from contextvars import ContextVar

from django.db import models
from django.db.models import ProtectedError
from simple_history.models import HistoricalRecords

_actor: ContextVar = ContextVar("audit_actor", default=None)


def _is_user(user) -> bool:
    return user is not None and getattr(user, "is_authenticated", False) and getattr(user, "pk", None) is not None


@contextlib.contextmanager
def acting_as(user) -> Iterator[None]:
    """History rows written inside are authored by `user` (when signed in:
    a customer's link decision has no user and keeps whatever the request says)."""
    token = _actor.set(user if _is_user(user) else _actor.get())
    try:
        yield
    finally:
        _actor.reset(token)


def records_actor(func: Callable) -> Callable:
    """Decorator for a service taking `by=`: its history rows name `by`."""

    @functools.wraps(func)
    def wrapped(*args, **kwargs):
        with acting_as(kwargs.get("by")):
            return func(*args, **kwargs)

    return wrapped


def current_actor():
    return _actor.get()


class Audited(HistoricalRecords):
    """HistoricalRecords that write a row only for a change of a tracked field
    and name the acting user (module docstring). `only` names the fields
    tracked when they are few (a station's prices among all its settings)."""

    def __init__(self, *args, only: Iterable[str] | None = None, **kwargs) -> None:
        self.only = tuple(only) if only else None
        super().__init__(*args, **kwargs)

    def finalize(self, sender, **kwargs) -> None:
        if self.only is not None and sender is self.cls:
            self.excluded_fields = [
                f.name for f in sender._meta.fields if f.name not in self.only and not f.primary_key
            ]
        super().finalize(sender, **kwargs)

    def get_history_user(self, instance):
        explicit = getattr(instance, "_history_user", None)
        if explicit is not None:
            return explicit
        actor = _actor.get()
        if actor is not None:
            return actor
        return super().get_history_user(instance)

    def post_save(self, instance, created, using=None, **kwargs):
        if created or kwargs.get("raw") or self._changed(instance, kwargs.get("update_fields")):
            super().post_save(instance, created, using=using, **kwargs)

    def _changed(self, instance, update_fields: Iterable[str] | None) -> bool:
        tracked = {f.attname: f for f in self.fields_included(instance)}
        if update_fields is not None:
            names = {instance._meta.get_field(name).attname for name in update_fields}
            if not names & tracked.keys():
                return False
        last = getattr(instance, self.manager_name).order_by("-history_date", "-history_id").first()
        if last is None:
            return True
        return any(getattr(last, name) != getattr(instance, name) for name in tracked)


# --- what a customer signed is never deleted -------------------------------------------


class SignedRecordError(ProtectedError, ValueError):
    """Deleting a record a customer signed or paid: refused. A ProtectedError
    (the admin and `on_delete` machinery know it) and a ValueError (what the
    consent record raised before)."""

    def __init__(self, objects: Iterable = ()) -> None:
        super().__init__("A record the customer signed or paid is never deleted.", set(objects))


class KeepSignedQuerySet(models.QuerySet):
    """A queryset whose delete() refuses the rows `signed()` selects (all rows
    by default), so `Model.objects.filter(...).delete()` cannot go around the
    model's own delete()."""

    def signed(self) -> models.QuerySet:
        return self

    def delete(self):
        signed = list(self.signed()[:10])
        if signed:
            raise SignedRecordError(signed)
        return super().delete()

    delete.queryset_only = True


class KeepSigned(models.Model):
    """Mixin for a model whose rows (or its `is_signed` rows) are never deleted."""

    class Meta:
        abstract = True

    @property
    def is_signed(self) -> bool:
        return True

    def delete(self, *args, **kwargs):
        if self.is_signed:
            raise SignedRecordError([self])
        return super().delete(*args, **kwargs)
