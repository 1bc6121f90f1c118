"""Message backends, chosen by settings like Django's EMAIL_BACKEND.

SMS: settings.SMS_BACKEND, a short name (console, file, locmem, gateway) or a
dotted path to a class. E-mail: always the adapter over django.core.mail, so
EMAIL_BACKEND decides (SMTP in production). Letters have no backend: they are
printed in batches from the letters page (followup.messaging.letters)."""

from __future__ import annotations

from django.conf import settings
from django.utils.module_loading import import_string

from followup.messaging.backends.base import BaseBackend, SendError
from followup.models import Channel

ALIASES = {
    "console": "followup.messaging.backends.console.SmsBackend",
    "file": "followup.messaging.backends.filebased.SmsBackend",
    "locmem": "followup.messaging.backends.locmem.SmsBackend",
    "gateway": "followup.messaging.backends.gateway.SmsBackend",
}
EMAIL = "followup.messaging.backends.email.EmailBackend"

# The channels that a backend sends by itself (letters wait for the printer).
SENT_BY_BACKEND = (Channel.SMS, Channel.EMAIL)


def get_backend(channel: str, backend: str | None = None, **kwargs) -> BaseBackend:
    """An instance of the backend that sends `channel`, like get_connection()."""
    if channel == Channel.SMS:
        path = backend or settings.SMS_BACKEND
    elif channel == Channel.EMAIL:
        path = backend or EMAIL
    else:
        raise ValueError(f"no backend sends {channel!r} messages")
    return import_string(ALIASES.get(path, path))(**kwargs)


__all__ = ["ALIASES", "SENT_BY_BACKEND", "BaseBackend", "SendError", "get_backend"]
