"""Opening-balance mutations: set the go-live date, post an opening entry. Rules in ``server.opening``;
this module maps IDs and inputs and returns payloads."""

from __future__ import annotations

from datetime import date

import strawberry
from sqlalchemy import select
from strawberry.types import Info

from schema.auth.permissions import needs
from schema.errors import OpeningError, run_action
from schema.finance.types import Voucher
from schema.opening.inputs import OpeningInput
from schema.opening.queries import OpeningStatus, opening_status
from schema.relay import decode_id
from server.finance.models import voucher
from server.opening import services
from server.opening.errors import OpeningError as DomainOpeningError
from server.opening.errors import OpeningErrorCode

CODES = OpeningErrorCode
PARTNER_TYPE = {"receivable": "Customer", "customer_advance": "Customer", "payable": "Supplier"}


def _pk(global_id, type_name: str, field: str, what: tuple[str, str]) -> int:
    value = decode_id(global_id, type_name)
    if value is None:
        raise DomainOpeningError("NOT_FOUND", field, what=what[0], what_en=what[1])
    return value


def _domain_input(data: OpeningInput) -> services.OpeningInput:
    """The API input with its global IDs decoded; a bad ID is ``NOT_FOUND`` on its field."""
    stock = [
        services.OpeningStock(
            product_id=_pk(s.product_id, "Product", f"stock.{i}.productId", ("商品", "Product")),
            location_id=_pk(s.location_id, "Location", f"stock.{i}.locationId", ("库位", "Location")),
            quantity=s.quantity,
            unit_cost=s.unit_cost,
            amount=s.amount,
            unit_id=None if s.unit_id is None else _pk(s.unit_id, "Unit", f"stock.{i}.unitId", ("单位", "Unit")),
            lot=s.lot,
            expiry_date=s.expiry_date,
        )
        for i, s in enumerate(data.stock)
    ]
    items = []
    for i, it in enumerate(data.items):
        kind = it.kind.value
        type_name = PARTNER_TYPE.get(kind, "Supplier")
        what = ("客户", "Customer") if type_name == "Customer" else ("供应商", "Supplier")
        items.append(
            services.OpeningItem(
                kind=kind,
                partner_id=_pk(it.partner_id, type_name, f"items.{i}.partnerId", what),
                number=it.number,
                document_date=it.document_date,
                amount=it.amount,
                due_date=it.due_date,
            )
        )
    accounts = [services.OpeningAccount(a.account_code, debit=a.debit, credit=a.credit) for a in data.accounts]
    return services.OpeningInput(stock=stock, items=items, accounts=accounts, memo=data.memo)


@strawberry.type
class GoLivePayload:
    opening: OpeningStatus | None
    errors: list[OpeningError]


@strawberry.type
class OpeningPayload:
    voucher: Voucher | None
    errors: list[OpeningError]


@strawberry.type
class OpeningMutation:
    @strawberry.mutation(
        description="启用日期: the day jxc's books begin; movable until an opening entry is posted.",
        extensions=needs("finance.admin"),
    )
    async def set_go_live_date(self, info: Info, date: date) -> GoLivePayload:
        _result, errors = await run_action(
            info, CODES, lambda: services.do_set_go_live_date(info.context.db, date, info.context.principal)
        )
        return GoLivePayload(opening=None if errors else await opening_status(info), errors=errors)

    @strawberry.mutation(
        description=(
            "期初建账: post opening stock, open items and account balances as one balanced entry dated the day "
            "before go-live; all or nothing, every problem listed. Allowed until the first period is closed."
        ),
        extensions=needs("finance.admin"),
    )
    async def post_opening_balances(self, info: Info, input: OpeningInput) -> OpeningPayload:
        async def action():
            return await services.do_post_opening(info.context.db, _domain_input(input), info.context.principal)

        vid, errors = await run_action(info, CODES, action)
        if vid is None:
            return OpeningPayload(voucher=None, errors=errors)
        async with info.context.db.read() as conn:
            row = (await conn.execute(select(voucher).where(voucher.c.id == vid))).first()
        return OpeningPayload(voucher=Voucher.from_row(row) if row else None, errors=errors)
