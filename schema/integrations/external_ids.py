"""External ids in the API: the ``ExternalId`` type, the batched loaders behind ``externalIds`` on
products, customers, suppliers and sales orders, the upsert outcome (server/integrations/external_ids.py),
and the platform's side of an order taken by order intake (server/integrations/order_intake.py).

Imported by the catalog's, the partners' and the sales types, so it imports none of them."""

from __future__ import annotations

import enum
from datetime import datetime
from functools import cached_property
from typing import Annotated

import strawberry
from sqlalchemy import select
from strawberry.dataloader import DataLoader
from strawberry.types import Info

from schema.batching import DomainLoaders, Reader
from schema.enums import options_enum
from server.integrations.external_ids import ExternalRef, external_ids_of
from server.integrations.models import EXTERNAL_ENTITY_TYPES, sales_order_intake
from server.sales.models import sales_order

ExternalEntityType = options_enum(
    "ExternalEntityType",
    EXTERNAL_ENTITY_TYPES,
    "What an external id names: a product, customer, supplier or sales order.",
)


#: the ``source`` argument (a Python parameter named ``source`` would clash with strawberry's extensions)
SourceArg = Annotated[
    str, strawberry.argument(name="source", description="The other system, e.g. shop:taobao: 1–64 of [a-z0-9:._-].")
]


@strawberry.enum(description="What an upsert by external id did.")
class UpsertOutcome(enum.Enum):
    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"


@strawberry.type(description="The id another system (its source, e.g. shop:taobao) knows a record by.")
class ExternalId:
    source: str
    external_id: str

    @classmethod
    def of(cls, ref: ExternalRef) -> ExternalId:
        return cls(source=ref.source, external_id=ref.external_id)


@strawberry.type(description="The record a source knows by an external id: its global ID (for `node`).")
class ExternalRecord:
    id: strawberry.ID
    entity_type: ExternalEntityType  # type: ignore[valid-type]
    source: str
    external_id: str


@strawberry.type(description="The platform's side of an order taken from a shop or an ERP (`intakeSalesOrder`).")
class PlatformOrder:
    source: str
    external_order_id: str = strawberry.field(description="The platform's order number.")
    platform_status: str = strawberry.field(description="The platform's own status, as it last sent it.")
    platform_status_at: datetime
    consignee_name: str
    consignee_phone: str
    ship_address: str
    hold_code: str | None = strawberry.field(
        description="Why the order waits as a draft (INSUFFICIENT_STOCK, CREDIT_LIMIT_EXCEEDED); null once submitted."
    )
    received_at: datetime

    @classmethod
    def from_row(cls, r) -> PlatformOrder:
        return cls(
            source=r.source,
            external_order_id=r.external_order_id,
            platform_status=r.platform_status,
            platform_status_at=r.platform_status_at,
            consignee_name=r.consignee_name,
            consignee_phone=r.consignee_phone,
            ship_address=r.ship_address,
            hold_code=(r.hold_code or None) if r.status == "draft" else None,  # a submitted order waits no more
            received_at=r.received_at,
        )


def _external_ids(db: Reader, entity_type: str) -> DataLoader[int, list[ExternalRef]]:
    async def load(entity_ids: list[int]):
        async with db.read() as conn:
            found = await external_ids_of(conn, entity_type, entity_ids)
        return [found.get(i, []) for i in entity_ids]

    return DataLoader(load_fn=load)


class IntegrationsLoaders(DomainLoaders):
    """The external ids of products, customers, suppliers and sales orders, and the platform side of
    orders: one statement per type and batch."""

    @cached_property
    def product_external_ids(self) -> DataLoader[int, list[ExternalRef]]:
        return _external_ids(self.db, "product")

    @cached_property
    def customer_external_ids(self) -> DataLoader[int, list[ExternalRef]]:
        return _external_ids(self.db, "customer")

    @cached_property
    def supplier_external_ids(self) -> DataLoader[int, list[ExternalRef]]:
        return _external_ids(self.db, "supplier")

    @cached_property
    def sales_order_external_ids(self) -> DataLoader[int, list[ExternalRef]]:
        return _external_ids(self.db, "sales_order")

    @cached_property
    def platform_orders(self) -> DataLoader[int, PlatformOrder | None]:
        async def load(order_ids: list[int]):
            async with self.db.read() as conn:
                rows = await conn.execute(
                    select(sales_order_intake, sales_order.c.status)
                    .join(sales_order, sales_order.c.id == sales_order_intake.c.order_id)
                    .where(sales_order_intake.c.order_id.in_(set(order_ids)))
                )
                found = {r.order_id: PlatformOrder.from_row(r) for r in rows}
            return [found.get(i) for i in order_ids]

        return DataLoader(load_fn=load)


async def external_ids_field(info: Info, entity_type: str, pk: int) -> list[ExternalId]:
    """The resolver body of ``externalIds`` on a product, customer, supplier or sales order."""
    loader = getattr(info.context.loaders.integrations, f"{entity_type}_external_ids")
    return [ExternalId.of(r) for r in await loader.load(pk)]
