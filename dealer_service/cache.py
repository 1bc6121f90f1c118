"""Django's Redis cache, forgiving when Redis is away.

In production the cache shares Redis with the broker. Nothing the cache
holds is the only copy (rate-limit counters, throttles, dashboard figures
that can be computed again), so an outage must not turn pages into errors:
each call answers as if the key were absent, after short socket timeouts,
and logs a warning. Rate limits fail open for the outage's length — a
customer's booking matters more than a counter.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any

from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)

UNREACHABLE = (RedisConnectionError, RedisTimeoutError)


def _forgiving(method: Callable[..., Any], fallback: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(method)
    def call(self: RedisCacheClient, *args: Any, **kwargs: Any) -> Any:
        try:
            return method(self, *args, **kwargs)
        except UNREACHABLE as error:
            logger.warning("cache unreachable, %s answered as a miss: %s", method.__name__, error)
            return fallback(*args, **kwargs)

    return call


class ForgivingRedisCacheClient(RedisCacheClient):
    add = _forgiving(RedisCacheClient.add, lambda key, value, timeout: False)
    get = _forgiving(RedisCacheClient.get, lambda key, default: default)
    set = _forgiving(RedisCacheClient.set, lambda key, value, timeout: None)
    touch = _forgiving(RedisCacheClient.touch, lambda key, timeout: False)
    delete = _forgiving(RedisCacheClient.delete, lambda key: False)
    get_many = _forgiving(RedisCacheClient.get_many, lambda keys: {})
    has_key = _forgiving(RedisCacheClient.has_key, lambda key: False)
    incr = _forgiving(RedisCacheClient.incr, lambda key, delta: delta)
    set_many = _forgiving(RedisCacheClient.set_many, lambda data, timeout: [])
    delete_many = _forgiving(RedisCacheClient.delete_many, lambda keys: None)
    clear = _forgiving(RedisCacheClient.clear, lambda: None)


class ForgivingRedisCache(RedisCache):
    def __init__(self, server: str, params: dict) -> None:
        super().__init__(server, params)
        self._class = ForgivingRedisCacheClient
