"""Service campaigns: a target segment notified in batches."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

# The campaign batch rule(s) the sweep runs (followup.rules.RULES includes these).
RULES: list[Callable[[dt.datetime], int]] = []
