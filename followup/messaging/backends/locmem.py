"""Keeps sent messages in the module-level `outbox` list: for tests, like
Django's locmem e-mail backend (`django.core.mail.outbox`)."""

from __future__ import annotations

import copy

from followup.messaging.backends.base import BaseBackend

outbox: list = []


class SmsBackend(BaseBackend):
    def send(self, message) -> str:
        outbox.append(copy.copy(message))
        return f"locmem-{len(outbox)}"
