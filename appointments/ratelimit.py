"""A small fixed-window rate limiter on Django's cache, for the public pages.

Each call to `allow()` counts one attempt; it returns False once more than
`limit` attempts fell into the current window. Identifiers (phone numbers)
are hashed so that no personal data ends up in cache keys.
"""

from __future__ import annotations

import hashlib
import time

from django.core.cache import cache
from django.http import HttpRequest


def _key(scope: str, ident: str, window: int, now: float) -> str:
    digest = hashlib.sha256(ident.encode()).hexdigest()[:32]
    return f"ratelimit:{scope}:{digest}:{int(now // window)}"


def allow(scope: str, ident: str, *, limit: int, window: int, now: float | None = None) -> bool:
    """Count one attempt of `ident` in `scope`; False when over the limit."""
    key = _key(scope, ident, window, time.time() if now is None else now)
    cache.add(key, 0, timeout=window)
    try:
        count = cache.incr(key)
    except ValueError:  # evicted between add and incr
        cache.set(key, 1, timeout=window)
        count = 1
    return count <= limit


def client_ip(request: HttpRequest) -> str:
    """The peer address. X-Forwarded-For is not read: a client can write
    anything there; behind a proxy, let it set REMOTE_ADDR."""
    return request.META.get("REMOTE_ADDR") or "unknown"
