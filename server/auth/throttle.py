"""Sign-in throttling per client address, in front of the per-account lock.

A client address that failed too many sign-ins within a moving window (``JXC_LOGIN_THROTTLE``,
default ``20/15 minutes``, any usernames) is refused at once with ``TOO_MANY_ATTEMPTS``: its
attempts neither reach the password check (no argon2 work for a flood) nor count towards any
account's lock. The windows are kept in memory by the ``limits`` library, per server process:
``jxc serve --workers N`` allows up to N times the limit, and a restart forgets them (the
per-account locks are in the database and survive).
"""

from __future__ import annotations

import math
import time

from limits import RateLimitItem, parse
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

DEFAULT_LIMIT = "20/15 minutes"
_NAMESPACE = "jxc-sign-in"

_storage = MemoryStorage()
_limiter = MovingWindowRateLimiter(_storage)
_limit: RateLimitItem = parse(DEFAULT_LIMIT)


def configure(limit: str | None) -> None:
    """Set the window, e.g. ``"20/15 minutes"`` or ``"5/minute"`` (``limits`` notation)."""
    global _limit
    _limit = parse(limit or DEFAULT_LIMIT)


def allowed(client: str) -> bool:
    return _limiter.test(_limit, _NAMESPACE, client)


def failed(client: str) -> None:
    _limiter.hit(_limit, _NAMESPACE, client)


def retry_after_minutes(client: str) -> int:
    reset_at, _remaining = _limiter.get_window_stats(_limit, _NAMESPACE, client)
    return max(1, math.ceil((reset_at - time.time()) / 60))  # limits keeps real time


def reset() -> None:
    """Forget every window (tests)."""
    _storage.reset()
