"""An HTTP SMS gateway: one JSON POST per message (urllib, no extra client).

Request: POST SMS_GATEWAY_URL with `Authorization: Bearer SMS_GATEWAY_TOKEN`
and {"to", "text", "reference"} where reference is the occurrence key, so a
gateway that de-duplicates can drop a retried copy. Reply: 2xx JSON with the
provider's message id in "id" (or "message_id"). Anything else is a SendError
whose text says what the gateway answered."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from followup.messaging.backends.base import BaseBackend, SendError


class SmsBackend(BaseBackend):
    def __init__(self, *args, url: str | None = None, token: str | None = None, timeout: float | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.url = url or settings.SMS_GATEWAY_URL
        self.token = settings.SMS_GATEWAY_TOKEN if token is None else token
        self.timeout = timeout or settings.SMS_GATEWAY_TIMEOUT
        if not self.url:
            raise ImproperlyConfigured("The SMS gateway backend needs SMS_GATEWAY_URL.")

    def send(self, message) -> str:
        payload = {"to": message.to, "text": message.body, "reference": message.occurrence_key}
        request = urllib.request.Request(
            self.url,
            data=json.dumps(payload, ensure_ascii=False).encode(),
            headers={"Content-Type": "application/json; charset=utf-8", "Accept": "application/json"},
            method="POST",
        )
        if self.token:
            request.add_header("Authorization", f"Bearer {self.token}")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                body = response.read()
        except urllib.error.HTTPError as error:
            detail = error.read()[:200].decode(errors="replace")
            raise SendError(f"gateway answered {error.code}: {detail}".strip()) from error
        except (TimeoutError, urllib.error.URLError, OSError) as error:
            reason = getattr(error, "reason", error)
            raise SendError(f"gateway unreachable: {reason}") from error
        try:
            reply = json.loads(body)
        except ValueError as error:
            raise SendError(f"gateway reply is not JSON: {body[:100]!r}") from error
        provider_id = (reply.get("id") or reply.get("message_id")) if isinstance(reply, dict) else None
        if not provider_id:
            raise SendError(f"gateway reply has no message id: {body[:100].decode(errors='replace')}")
        return str(provider_id)[:100]
