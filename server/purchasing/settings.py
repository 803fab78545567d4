"""Purchasing settings kept in ``app_setting`` so that an administrator can change them at run time.

Approval thresholds: an order whose total incl. VAT is *above* a threshold needs an approval by a
user holding that threshold's role, one step per exceeded threshold, in ascending order and by
different people; an order under every threshold needs one approval by anyone with
``purchase.order.approve``. An administrator (role ``admin``) may approve any step.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from decimal import Decimal

from server.auth.services import Principal
from server.core.audit import note_change
from server.core.business_settings import read_setting, write_setting
from server.core.database import Database
from server.core.numbers import NumberError, parse_decimal
from server.documents.actions import parse_thresholds
from server.purchasing.errors import PurchasingError

KEY = "purchasing"


def _default_thresholds() -> list[dict]:
    return [{"above_fen": 5_000_000, "role": "purchase_manager"}, {"above_fen": 20_000_000, "role": "admin"}]


def _default_weights() -> dict:
    return {"on_time": "0.3", "acceptance": "0.3", "lead_time": "0.2", "price": "0.2"}


@dataclass
class PurchaseSettings:
    separation_of_duties: bool = True  # the creator of a document cannot approve it
    approval_thresholds: list[dict] = field(default_factory=_default_thresholds)
    over_receipt_tolerance: str = "0"  # fraction of the ordered quantity, e.g. "0.05"
    allow_receipt_without_order: bool = False
    match_price_tolerance: str = "0.01"  # three-way match: fraction of the order price
    match_qty_tolerance: str = "0"  # three-way match: fraction of the received quantity
    scorecard_weights: dict = field(default_factory=_default_weights)

    def tolerance(self, name: str) -> Decimal:
        return Decimal(getattr(self, name))

    def approval_roles(self, total_fen: int) -> list[str]:
        """The approval steps an order of ``total_fen`` needs ("" = anyone who may approve)."""
        roles = [
            t["role"]
            for t in sorted(self.approval_thresholds, key=lambda t: t["above_fen"])
            if total_fen > t["above_fen"]
        ]
        return roles or [""]


async def load_purchase_settings(conn) -> PurchaseSettings:
    stored = await read_setting(conn, KEY, {})
    known = {k: v for k, v in stored.items() if k in PurchaseSettings.__dataclass_fields__}
    return PurchaseSettings(**known)


def _fraction(value: str, field_name: str) -> str:
    try:
        d = parse_decimal(value)
    except NumberError:
        raise PurchasingError("INVALID_VALUE", field_name, detail=str(value)) from None
    if d < 0 or d > 10:
        raise PurchasingError("INVALID_VALUE", field_name, detail=str(value))
    return str(d)


@dataclass
class PurchaseSettingsChange:
    separation_of_duties: bool | None = None
    approval_thresholds: list[tuple[str, str]] | None = None  # (amount in yuan, role code)
    over_receipt_tolerance: str | None = None
    allow_receipt_without_order: bool | None = None
    match_price_tolerance: str | None = None
    match_qty_tolerance: str | None = None
    scorecard_weights: dict | None = None


async def do_change_purchase_settings(
    db: Database, change: PurchaseSettingsChange, principal: Principal | None
) -> PurchaseSettings:
    from server.auth.models import role

    async with db.write() as conn:
        current = await load_purchase_settings(conn)
        before = asdict(current)
        for name in ("separation_of_duties", "allow_receipt_without_order"):
            if getattr(change, name) is not None:
                setattr(current, name, bool(getattr(change, name)))
        for name in ("over_receipt_tolerance", "match_price_tolerance", "match_qty_tolerance"):
            if getattr(change, name) is not None:
                setattr(current, name, _fraction(getattr(change, name), name))
        if change.approval_thresholds is not None:
            codes = {r for (r,) in await conn.execute(role.select().with_only_columns(role.c.code))}
            current.approval_thresholds = parse_thresholds(PurchasingError, change.approval_thresholds, codes)
        if change.scorecard_weights is not None:
            weights = {}
            for name in ("on_time", "acceptance", "lead_time", "price"):
                weights[name] = _fraction(change.scorecard_weights.get(name, "0"), f"scorecardWeights.{name}")
            if sum(Decimal(w) for w in weights.values()) <= 0:
                raise PurchasingError("INVALID_VALUE", "scorecardWeights", detail="all weights are zero")
            current.scorecard_weights = weights
        after = asdict(current)
        await write_setting(conn, KEY, after, principal.label if principal else "system")
        note_change(conn, "setting:purchasing", before=before, after=after)
    return current
