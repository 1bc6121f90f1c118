"""The interface every message backend has, in the style of Django's e-mail
backends (django.core.mail.backends.base): open once, send many, close."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from followup.models import Message


class SendError(Exception):
    """The backend could not hand the message over; the text says why and is
    kept on the message (Message.error) for the person who follows up."""


class BaseBackend:
    """Subclasses implement `send`. A backend may hold a connection between
    `open` and `close`; the sweep opens one per run and channel."""

    def __init__(self, fail_silently: bool = False, **kwargs) -> None:
        self.fail_silently = fail_silently

    def open(self) -> None:
        """Open a connection, where the backend has one."""

    def close(self) -> None:
        """Close the connection opened by `open`."""

    def __enter__(self) -> BaseBackend:
        self.open()
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def send(self, message: Message) -> str:
        """Hand one message over; return the provider's id for it (may be
        empty) or raise SendError with a reason a person can act on."""
        raise NotImplementedError("subclasses of BaseBackend must implement send()")
