"""Automation, job and ABC-split mutations and their payloads."""

from __future__ import annotations

import json

import strawberry
from sqlalchemy import select
from strawberry.types import Info

from schema.auth.permissions import needs
from schema.enums import AutomationName, JobName
from schema.errors import InventoryError, PurchasingError, run_action
from schema.scalars import Decimal_
from server.automation import auto_po, jobs
from server.automation.models import job
from server.inventory import abc
from server.inventory.errors import InventoryErrorCode
from server.purchasing.errors import PurchasingError as DomainPurchasingError
from server.purchasing.errors import PurchasingErrorCode


@strawberry.type
class AutomationPayload:
    ok: bool
    result: str | None
    errors: list[PurchasingError]


@strawberry.type
class AbcSplitPayload:
    ok: bool
    errors: list[InventoryError]


@strawberry.type
class ReportsMutation:
    @strawberry.mutation(
        description="Switch an automation on or off (auto_purchase_orders).", extensions=needs("automation.manage")
    )
    async def set_automation(self, info: Info, name: AutomationName, enabled: bool) -> AutomationPayload:
        _r, errors = await run_action(
            info,
            PurchasingErrorCode,
            lambda: auto_po.do_set_automation(info.context.db, name.value, enabled, info.context.principal),
        )
        return AutomationPayload(ok=not errors, result=None, errors=errors)

    @strawberry.mutation(
        description="Run a scheduled job now (once, even with several servers).", extensions=needs("automation.manage")
    )
    async def run_job(self, info: Info, name: JobName) -> AutomationPayload:
        name = name.value
        if name not in jobs.JOBS:

            async def unknown():
                raise DomainPurchasingError("INVALID_VALUE", "name", detail=" | ".join(jobs.JOBS))

            _r, errors = await run_action(info, PurchasingErrorCode, unknown)
            return AutomationPayload(ok=False, result=None, errors=errors)
        await jobs.ensure_jobs(info.context.db)
        ran = await jobs.run_job(info.context.db, name, jobs.process_name(), force=True)
        async with info.context.db.read() as conn:
            row = (await conn.execute(select(job).where(job.c.name == name))).one()
        return AutomationPayload(
            ok=ran,
            result=json.dumps({"ran": ran, "status": row.last_status, "result": row.last_result}, ensure_ascii=False),
            errors=[],
        )

    @strawberry.mutation(
        description="ABC split: shares of the items in classes A and B.", extensions=needs("stock.count.approve")
    )
    async def set_abc_split(self, info: Info, a: Decimal_, b: Decimal_) -> AbcSplitPayload:
        _r, errors = await run_action(
            info, InventoryErrorCode, lambda: abc.do_set_abc_split(info.context.db, a, b, info.context.principal)
        )
        return AbcSplitPayload(ok=not errors, errors=errors)
