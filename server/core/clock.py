"""The one clock of jxc: every "now" and "today" in the domain comes from here.

* ``utcnow()`` is an aware UTC timestamp (stored times, expiries, leases).
* ``today()`` is the business date: the calendar day of ``utcnow()`` in the business time zone
  (``JXC_TIMEZONE``, e.g. ``Asia/Shanghai``; the machine's local zone when unset). Document dates,
  periods, due dates and expiry windows default to it.

The clock runs with the system clock unless it is *set*: ``set_clock(instant)`` makes it read
``instant`` now and tick on from there (a server started with ``JXC_CLOCK=2026-12-31T23:59:00+08:00``
does the same). Tests set it explicitly, so no test depends on the real date; production never
sets it.
"""

from __future__ import annotations

import os
import time
from datetime import UTC, date, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo

_offset = timedelta(0)  # set clock minus system clock
_zone: tzinfo | None = None  # None: the machine's local zone


def _system_now() -> datetime:
    return datetime.fromtimestamp(time.time(), UTC)


def utcnow() -> datetime:
    """Now, as an aware UTC datetime."""
    return _system_now() + _offset


def business_zone() -> tzinfo:
    return _zone or datetime.now().astimezone().tzinfo or UTC


def local_now() -> datetime:
    """Now in the business time zone."""
    return utcnow().astimezone(business_zone())


def today() -> date:
    """The business date."""
    return local_now().date()


def set_clock(instant: datetime | None) -> None:
    """Make the clock read ``instant`` now and tick on from it; ``None`` returns to the system clock."""
    global _offset
    if instant is None:
        _offset = timedelta(0)
        return
    if instant.tzinfo is None:
        instant = instant.replace(tzinfo=business_zone())
    _offset = instant - _system_now()


def set_zone(name: str | None) -> None:
    """The business time zone by IANA name (``None``: the machine's local zone)."""
    global _zone
    _zone = ZoneInfo(name) if name else None


def configure_from_env(env=os.environ) -> None:
    """Apply ``JXC_TIMEZONE`` and ``JXC_CLOCK`` (an ISO instant, for test servers and rehearsals)
    where they are set; what is not set stays as it is."""
    if env.get("JXC_TIMEZONE"):
        set_zone(env["JXC_TIMEZONE"])
    if env.get("JXC_CLOCK"):
        set_clock(datetime.fromisoformat(env["JXC_CLOCK"]))


def business_date(instant: datetime) -> date:
    """The business date of a stored timestamp (a move at 00:30 in Beijing is dated that day, not the
    UTC day before)."""
    return instant.astimezone(business_zone()).date()


def start_of(on: date) -> datetime:
    """The first instant of the business date ``on``, aware."""
    return datetime.combine(on, datetime.min.time(), tzinfo=business_zone())


def end_of(on: date) -> datetime:
    """The first instant after the business date ``on``, aware."""
    return start_of(on + timedelta(days=1))
