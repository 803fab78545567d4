"""Sales settings kept in ``app_setting`` (changed at run time by someone with ``sales.settings``).

At submission an order collects its approval steps:

* ``amount`` — total incl. VAT above a threshold: one step per exceeded threshold, by that role;
* ``discount`` — a line discount above ``max_discount``: a sales manager (``sales.order.approve``);
* ``credit`` — open receivables + unshipped approved orders + this order above the customer's credit
  limit, or credit rating D: a credit approval (``sales.credit.approve``), or a refusal with
  ``CREDIT_LIMIT_EXCEEDED`` when ``credit_mode`` is ``refuse``.

An order that triggers none is approved on submission when ``auto_approve`` is on (the default),
otherwise it needs one approval by anyone with ``sales.order.approve``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from decimal import Decimal

from server.auth.services import Principal
from server.core.audit import note_change
from server.core.business_settings import read_setting, write_setting
from server.core.database import Database
from server.core.numbers import NumberError, parse_decimal
from server.core.text_limits import check_length
from server.documents.actions import parse_thresholds
from server.sales.errors import SalesError
from server.sales.models import sales_invoice

KEY = "sales"


def _default_thresholds() -> list[dict]:
    return [{"above_fen": 10_000_000, "role": "sales_manager"}]


@dataclass
class SalesSettings:
    separation_of_duties: bool = True
    approval_thresholds: list[dict] = field(default_factory=_default_thresholds)
    max_discount: str = "0.10"
    credit_mode: str = "approve"  # approve | refuse
    auto_approve: bool = True
    auto_invoice: bool = False  # invoice every shipment as it is posted (自动生成销售发票)
    seller_name: str = ""  # printed on invoices (销售方名称)
    seller_tax_id: str = ""  # 销售方纳税人识别号

    def steps(self, total_fen: int, max_discount_bp: int, credit_problem: bool) -> list[dict]:
        steps = [
            {"reason": "amount", "role": t["role"], "permission": "sales.order.approve"}
            for t in sorted(self.approval_thresholds, key=lambda t: t["above_fen"])
            if total_fen > t["above_fen"]
        ]
        if max_discount_bp > int(Decimal(self.max_discount) * 10_000):
            steps.append({"reason": "discount", "role": "", "permission": "sales.order.approve"})
        if credit_problem:
            steps.append({"reason": "credit", "role": "", "permission": "sales.credit.approve"})
        if not steps and not self.auto_approve:
            steps.append({"reason": "order", "role": "", "permission": "sales.order.approve"})
        return steps


async def load_sales_settings(conn) -> SalesSettings:
    stored = await read_setting(conn, KEY, {})
    return SalesSettings(**{k: v for k, v in stored.items() if k in SalesSettings.__dataclass_fields__})


@dataclass
class SalesSettingsChange:
    separation_of_duties: bool | None = None
    approval_thresholds: list[tuple[str, str]] | None = None  # (amount in yuan, role code)
    max_discount: str | None = None
    credit_mode: str | None = None
    auto_approve: bool | None = None
    auto_invoice: bool | None = None
    seller_name: str | None = None
    seller_tax_id: str | None = None


async def do_change_sales_settings(
    db: Database, change: SalesSettingsChange, principal: Principal | None
) -> SalesSettings:
    from server.auth.models import role

    async with db.write() as conn:
        current = await load_sales_settings(conn)
        before = asdict(current)
        for name in ("separation_of_duties", "auto_approve", "auto_invoice"):
            if getattr(change, name) is not None:
                setattr(current, name, bool(getattr(change, name)))
        if change.max_discount is not None:
            try:
                d = parse_decimal(change.max_discount)
            except NumberError:
                d = Decimal(-1)
            if not 0 <= d <= 1:
                raise SalesError("INVALID_VALUE", "maxDiscount", detail=change.max_discount)
            current.max_discount = str(d)
        if change.credit_mode is not None:
            if change.credit_mode not in ("approve", "refuse"):
                raise SalesError("INVALID_VALUE", "creditMode", detail="approve | refuse")
            current.credit_mode = change.credit_mode
        for name in ("seller_name", "seller_tax_id"):  # copied onto every invoice: its columns' limits
            value = getattr(change, name)
            if value is not None:
                check_length(value.strip(), sales_invoice.c[name], SalesError, name)
                setattr(current, name, value.strip())
        if change.approval_thresholds is not None:
            codes = {r for (r,) in await conn.execute(role.select().with_only_columns(role.c.code))}
            current.approval_thresholds = parse_thresholds(SalesError, change.approval_thresholds, codes)
        after = asdict(current)
        await write_setting(conn, KEY, after, principal.label if principal else "system")
        note_change(conn, "setting:sales", before=before, after=after)
    return current
