"""Data housekeeping (``jxc housekeeping``, the ``housekeeping`` job): deletes rows that grow without
bound and that nothing needs any more.

* sign-in sessions that expired or were ended (logout, new password) more than a day ago — they
  authenticate nobody; API tokens, revoked or not, stay (an administrator's record);
* idempotency keys older than ``JXC_IDEMPOTENCY_DAYS`` (default 90): a retry that late would be a
  new request anyway; stock operations keep their key on the operation row, which is never deleted;
* webhook delivery-log rows older than ``JXC_WEBHOOK_LOG_DAYS`` (default 30).

The event journal, the stock ledger, vouchers, documents and the audit log are never touched: the
books and the ledger are built from them (the journal and the ledger refuse ``DELETE`` anyway).
A dry run counts what would go and deletes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete, func, or_, select
from sqlalchemy.sql.elements import ColumnElement

from server.auth.models import auth_token
from server.core.clock import utcnow
from server.core.database import Database
from server.core.idempotency import idempotency_key
from server.integrations.config import load_config
from server.integrations.models import webhook_delivery

SESSION_GRACE = timedelta(days=1)


@dataclass(frozen=True)
class Rule:
    name: str  # the key in the summary
    zh: str
    en: str


RULES = (
    Rule("sessions", "已过期或已结束的登录会话", "expired or ended sign-in sessions"),
    Rule("idempotency_keys", "过期的幂等键", "idempotency keys past their window"),
    Rule("webhook_deliveries", "过期的 Webhook 投递日志", "old webhook delivery-log rows"),
)


def _targets(idempotency_days: int):
    now = utcnow()
    gone = now - SESSION_GRACE
    sessions: ColumnElement[bool] = (auth_token.c.kind == "session") & or_(
        auth_token.c.expires_at < gone, auth_token.c.revoked_at < gone
    )
    return {
        "sessions": (auth_token, sessions),
        "idempotency_keys": (idempotency_key, idempotency_key.c.created_at < now - timedelta(days=idempotency_days)),
        "webhook_deliveries": (webhook_delivery, webhook_delivery.c.at < now - timedelta(days=load_config().log_days)),
    }


async def housekeeping(db: Database, *, idempotency_days: int = 90, dry_run: bool = False) -> dict[str, int]:
    """Rows deleted (or, in a dry run, that would be) per rule, in one transaction."""
    targets = _targets(idempotency_days)
    counts: dict[str, int] = {}
    if dry_run:
        async with db.read() as conn:
            for name, (table, where) in targets.items():
                counts[name] = (await conn.execute(select(func.count()).select_from(table).where(where))).scalar_one()
        return counts
    async with db.write() as conn:
        for name, (table, where) in targets.items():
            counts[name] = (await conn.execute(delete(table).where(where))).rowcount
    return counts
