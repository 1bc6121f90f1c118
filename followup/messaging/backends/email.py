"""E-mail to customers through Django's mail framework (EMAIL_BACKEND: SMTP
in production, console in development, locmem in tests)."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.core.mail.message import make_msgid

from followup.messaging.backends.base import BaseBackend, SendError


class EmailBackend(BaseBackend):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.connection = get_connection(fail_silently=False)

    def open(self) -> None:
        self.connection.open()

    def close(self) -> None:
        self.connection.close()

    def send(self, message) -> str:
        message_id = make_msgid(domain=settings.DEFAULT_FROM_EMAIL.rpartition("@")[2] or None)
        email = EmailMessage(
            subject=message.subject,
            body=message.body,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[message.to],
            headers={"Message-ID": message_id},
            connection=self.connection,
        )
        try:
            sent = email.send()
        except Exception as error:  # smtplib, socket and SSL errors alike
            raise SendError(f"e-mail not sent: {error}") from error
        if not sent:
            raise SendError("e-mail not sent: the mail backend accepted nothing")
        return message_id.strip("<>")[:100]
