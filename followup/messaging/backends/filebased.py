"""Writes one file per message under SMS_FILE_PATH (or `file_path`).

The file is named after the message's occurrence key, so a retry of the same
message replaces its file instead of adding a second one."""

from __future__ import annotations

import os
import re
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from followup.messaging.backends.base import BaseBackend, SendError
from followup.messaging.backends.console import as_text

_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]+")


def file_name(message) -> str:
    return _UNSAFE.sub("_", message.occurrence_key).strip("_") + ".txt"


class SmsBackend(BaseBackend):
    def __init__(self, *args, file_path: str | os.PathLike | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.file_path = Path(file_path or settings.SMS_FILE_PATH)
        if self.file_path.exists() and not self.file_path.is_dir():
            raise ImproperlyConfigured(f"SMS_FILE_PATH {self.file_path} exists and is not a directory.")

    def send(self, message) -> str:
        name = file_name(message)
        try:
            self.file_path.mkdir(parents=True, exist_ok=True)
            # Write beside, then rename: a reader polling the folder never sees half a message.
            partial = self.file_path / f".{name}.part"
            partial.write_text(as_text(message), encoding="utf-8")
            partial.replace(self.file_path / name)
        except OSError as error:
            raise SendError(f"cannot write {self.file_path / name}: {error}") from error
        return name
