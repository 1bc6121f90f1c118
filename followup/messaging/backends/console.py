"""Writes each message to the console: the default for development."""

from __future__ import annotations

import sys
import threading

from followup.messaging.backends.base import BaseBackend


def as_text(message) -> str:
    """The message as a person would read it, with the key that makes it unique."""
    lines = [f"Channel: {message.channel}", f"To: {message.to}"]
    if message.subject:
        lines.append(f"Subject: {message.subject}")
    lines.append(f"Key: {message.occurrence_key}")
    return "\n".join(lines) + "\n\n" + message.body + "\n"


class SmsBackend(BaseBackend):
    def __init__(self, *args, stream=None, **kwargs) -> None:
        self.stream = stream or sys.stdout
        self._lock = threading.RLock()
        super().__init__(*args, **kwargs)

    def send(self, message) -> str:
        with self._lock:
            self.stream.write(as_text(message))
            self.stream.write("-" * 79 + "\n")
            self.stream.flush()
        return ""
