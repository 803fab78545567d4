"""How far ahead a business date may lie (业务日期): today plus a horizon that the company sets
(business setting ``business_dates.future_days``, default 0 — nothing dated after today).

Every dated action checks its date here before it writes anything: a receipt typed as 2031 instead
of 2021 is refused (``DATE_IN_FUTURE``) instead of opening period 203103. A date in the past is
always allowed (last week's paperwork); one in a closed month is booked in the first open month
(``server/finance/ledger.py``). Only a date after today costs a read (of the setting).
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy.ext.asyncio import AsyncConnection

from server.core import clock
from server.core.business_settings import read_setting
from server.core.errors import DomainError

FUTURE_DAYS_KEY = "business_dates.future_days"
MAX_FUTURE_DAYS = 366


async def latest_business_date(conn: AsyncConnection) -> date:
    """The last day a business date may be: today + the company's horizon."""
    days = int(await read_setting(conn, FUTURE_DAYS_KEY, 0))
    return clock.today() + timedelta(days=days)


async def business_day(conn: AsyncConnection, on: date | None, error_cls: type[DomainError], field: str) -> date:
    """``on``, or today when none is given; refused with ``DATE_IN_FUTURE`` on ``field`` beyond the horizon."""
    today = clock.today()
    if on is None:
        return today
    if on > today:
        latest = await latest_business_date(conn)
        if on > latest:
            raise error_cls("DATE_IN_FUTURE", field, latest=latest.isoformat())
    return on
