"""Inputs of the webhook mutations and of order intake, and the decoding of the ids they carry."""

from __future__ import annotations

from datetime import date

import strawberry

from schema.integrations.types import WebhookEventType
from schema.relay import decode_id
from schema.scalars import Decimal_, Quantity
from server.integrations.endpoints import EndpointSpec
from server.integrations.order_intake import IntakeLine, OrderIntake


def endpoint_pk(global_id: str) -> int:
    """The key of a ``WebhookEndpoint`` id; 0 (found by nobody: ``NOT_FOUND``) when malformed."""
    return decode_id(global_id, "WebhookEndpoint") or 0


def _pks(ids: list[strawberry.ID] | None, type_name: str) -> list[int] | None:
    return None if ids is None else [decode_id(i, type_name) or 0 for i in ids]


@strawberry.input(description="A receiver of the event journal.")
class CreateWebhookEndpointInput:
    name: str
    url: str = strawberry.field(description="http:// or https://; receives a POST per event.")
    event_types: list[WebhookEventType]  # type: ignore[valid-type]
    warehouse_ids: list[strawberry.ID] = strawberry.field(default_factory=list)
    category_ids: list[strawberry.ID] = strawberry.field(default_factory=list)
    secret: str | None = strawberry.field(
        default=None, description="`whsec_` + Base64 of 24–64 bytes; generated when not given."
    )

    def spec(self) -> EndpointSpec:
        return EndpointSpec(
            name=self.name,
            url=self.url,
            event_types=[t.value for t in self.event_types],
            warehouses=_pks(self.warehouse_ids, "Warehouse"),
            categories=_pks(self.category_ids, "Category"),
            secret=self.secret,
        )


@strawberry.input(description="What changes; a field left out stays as it is.")
class UpdateWebhookEndpointInput:
    id: strawberry.ID
    name: str | None = None
    url: str | None = None
    event_types: list[WebhookEventType] | None = None  # type: ignore[valid-type]
    warehouse_ids: list[strawberry.ID] | None = None
    category_ids: list[strawberry.ID] | None = None

    def spec(self) -> EndpointSpec:
        return EndpointSpec(
            name=self.name,
            url=self.url,
            event_types=None if self.event_types is None else [t.value for t in self.event_types],
            warehouses=_pks(self.warehouse_ids, "Warehouse"),
            categories=_pks(self.category_ids, "Category"),
        )


def _pk(global_id: strawberry.ID | None, type_name: str) -> int | None:
    """The key of a global id; 0 (found by nobody: ``NOT_FOUND`` on its field) when malformed."""
    return None if global_id is None else decode_id(global_id, type_name) or 0


@strawberry.input(description="One line of a platform's order: the product by exactly one of its three names.")
class OrderIntakeLineInput:
    quantity: Quantity
    product_id: strawberry.ID | None = None
    product_external_id: str | None = strawberry.field(
        default=None, description="The source's id of the product (as sent to `upsertProduct`)."
    )
    sku: str | None = None
    unit_id: strawberry.ID | None = strawberry.field(default=None, description="Default: the product's base unit.")
    unit_price: Decimal_ | None = strawberry.field(
        default=None, description="Per unit, incl. VAT when the order is; default: the product's sale price."
    )
    discount: Decimal_ | None = strawberry.field(default=None, description='e.g. "0.05"; default: none.')
    vat_rate: Decimal_ | None = strawberry.field(default=None, description="Default: the product's rate.")


@strawberry.input(description="A platform's order (docs/integrations.md, order intake).")
class OrderIntakeInput:
    external_order_id: str = strawberry.field(description="The platform's order number: one sales order per number.")
    warehouse_id: strawberry.ID
    lines: list[OrderIntakeLineInput]
    customer_id: strawberry.ID | None = None
    customer_external_id: str | None = strawberry.field(
        default=None, description="The source's id of the buyer (as sent to `upsertCustomer`); or customerId."
    )
    prices_include_vat: bool = strawberry.field(default=True, description="Shop prices usually include VAT.")
    order_date: date | None = None
    platform_status: str = strawberry.field(default="", description="The platform's own status, kept as sent.")
    consignee_name: str = ""
    consignee_phone: str = ""
    ship_address: str = ""
    note: str = ""

    def intake(self, source: str) -> OrderIntake:
        return OrderIntake(
            source=source,
            external_order_id=self.external_order_id,
            warehouse_id=_pk(self.warehouse_id, "Warehouse") or 0,
            customer_id=_pk(self.customer_id, "Customer"),
            customer_external_id=self.customer_external_id,
            prices_include_vat=self.prices_include_vat,
            order_date=self.order_date,
            platform_status=self.platform_status,
            consignee_name=self.consignee_name,
            consignee_phone=self.consignee_phone,
            ship_address=self.ship_address,
            note=self.note,
            lines=[
                IntakeLine(
                    quantity=ln.quantity,
                    product_id=_pk(ln.product_id, "Product"),
                    product_external_id=ln.product_external_id,
                    sku=ln.sku,
                    unit_id=_pk(ln.unit_id, "Unit"),
                    unit_price=ln.unit_price,
                    discount=ln.discount,
                    vat_rate=ln.vat_rate,
                )
                for ln in self.lines
            ],
        )
