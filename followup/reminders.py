"""Reminder rules (SPEC.md "Reminders", 主动预约): one small function per
trigger, each making the contact tasks that should exist at `now`."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

# In the order the sweep runs them (followup.rules.RULES includes these).
RULES: list[Callable[[dt.datetime], int]] = []
