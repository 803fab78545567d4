"""Automatic purchase orders (自动生成采购订单): the reorder suggestions (below minimum, up to the
maximum, net of what is on order, rounded to the supplier's MOQ and pack size) become purchase
orders grouped by preferred supplier and warehouse, created by the system and submitted into the
normal approval flow. Switched on or off per business (``automation.auto_purchase_orders``); every
run is logged. Products without a preferred supplier are listed in the log, not ordered.

Runs from the job scheduler (hourly, and as soon as a ``stock.low`` event arrives); the scheduler's
lease makes sure only one process runs it at a time, and orders already submitted count as on order,
so a second run orders nothing twice."""

from __future__ import annotations

import json
from collections import defaultdict

from sqlalchemy import select

from server.auth import scope
from server.auth.services import Principal
from server.automation.models import automation_log
from server.catalog.models import product, unit
from server.core.audit import note_change
from server.core.business_settings import read_setting, write_setting
from server.core.clock import utcnow
from server.core.database import Database
from server.core.errors import DomainError
from server.core.numbers import scaled_to_decimal
from server.documents.actions import actor_label
from server.purchasing.errors import PurchasingError
from server.purchasing.orders import OrderInput, OrderLineInput, do_create_purchase_order, do_submit_purchase_order
from server.purchasing.replenishment import reorder_suggestions

AUTOMATIONS = {"auto_purchase_orders": ("自动补货下单", "Automatic purchase orders")}


async def automation_enabled(conn, name: str) -> bool:
    return bool((await read_setting(conn, f"automation.{name}", {"enabled": False}))["enabled"])


async def do_set_automation(db: Database, name: str, enabled: bool, principal: Principal | None) -> None:
    scope.require(principal, "automation.manage", PurchasingError)
    if name not in AUTOMATIONS:
        raise PurchasingError("INVALID_VALUE", "name", detail=" | ".join(AUTOMATIONS))
    async with db.write() as conn:
        before = await automation_enabled(conn, name)
        await write_setting(conn, f"automation.{name}", {"enabled": enabled}, actor_label(principal))
        note_change(conn, f"automation:{name}", before={"enabled": before}, after={"enabled": enabled})


async def do_auto_purchase_orders(db: Database, *, trigger: str = "schedule") -> dict:
    """Create and submit the purchase orders the reorder rules ask for; returns the run's summary."""
    async with db.read() as conn:
        if not await automation_enabled(conn, "auto_purchase_orders"):
            return {"skipped": "disabled"}
        suggestions = await reorder_suggestions(conn)
        precision = dict(
            (
                await conn.execute(
                    select(product.c.id, unit.c.precision).join(unit, unit.c.id == product.c.base_unit_id)
                )
            ).all()
        )
    groups: dict[tuple[int, int], list] = defaultdict(list)
    unassigned = []
    for s in suggestions:
        if s.supplier_id is None:
            unassigned.append(s.product_id)
        else:
            groups[(s.supplier_id, s.warehouse_id)].append(s)
    created, failed = [], []
    for (supplier_id, warehouse_id), items in sorted(groups.items()):
        lines = [
            OrderLineInput(s.product_id, str(scaled_to_decimal(s.quantity, precision.get(s.product_id, 3))))
            for s in sorted(items, key=lambda s: s.product_id)
        ]
        try:  # one supplier that cannot be ordered from (archived, …) must not stop the others
            order_id = await do_create_purchase_order(
                db, OrderInput(supplier_id, warehouse_id, lines, note="自动补货 automatic reorder"), None
            )
            await do_submit_purchase_order(db, order_id, None)
        except DomainError as exc:
            failed.append(
                {
                    "supplier_id": supplier_id,
                    "warehouse_id": warehouse_id,
                    "errors": [f"{d.code}: {d.message('zh')} / {d.message('en')}" for d in exc.details],
                }
            )
            continue
        created.append(
            {
                "order_id": order_id,
                "supplier_id": supplier_id,
                "warehouse_id": warehouse_id,
                "lines": [{"product_id": s.product_id, "quantity": s.quantity} for s in items],
            }
        )
    summary = {"orders": created, "without_supplier": unassigned, "failed": failed}
    async with db.write() as conn:
        await conn.execute(
            automation_log.insert().values(
                automation="auto_purchase_orders", at=utcnow(), trigger=trigger, summary=json.dumps(summary)
            )
        )
    return summary
