"""Registering and operating webhook endpoints (``webhook.manage``); upserting products, customers and
suppliers by the ids other systems know them by (the permission that creates each)."""

from __future__ import annotations

import strawberry
from sqlalchemy import select
from strawberry.types import Info

from schema.auth.permissions import needs
from schema.catalog.inputs import ProductInput
from schema.catalog.mutations import _BadId
from schema.catalog.mutations import _to_domain as product_input
from schema.catalog.types import Product, product_from_id
from schema.errors import IntegrationError, invalid_id, run_action, to_payload_errors
from schema.integrations.external_ids import SourceArg, UpsertOutcome
from schema.integrations.inputs import (
    CreateWebhookEndpointInput,
    OrderIntakeInput,
    UpdateWebhookEndpointInput,
    endpoint_pk,
)
from schema.integrations.types import WebhookDelivery, WebhookEndpoint
from schema.partners.inputs import PartnerInput
from schema.partners.mutations import _domain as partner_input
from schema.partners.types import Customer, Supplier
from schema.sales.types import SalesOrder
from server.core import clock
from server.integrations import endpoints, external_ids, order_intake
from server.integrations.errors import IntegrationErrorCode
from server.integrations.models import webhook_delivery, webhook_endpoint


@strawberry.type
class WebhookEndpointPayload:
    endpoint: WebhookEndpoint | None
    errors: list[IntegrationError]


@strawberry.type
class WebhookSecretPayload:
    endpoint: WebhookEndpoint | None
    secret: str | None = strawberry.field(description="The signing secret (`whsec_…`); shown only this once.")
    errors: list[IntegrationError]


@strawberry.type
class DeleteWebhookEndpointPayload:
    ok: bool
    errors: list[IntegrationError]


@strawberry.type
class WebhookPingPayload:
    delivery: WebhookDelivery | None = strawberry.field(description="The attempt: status code, time, error.")
    errors: list[IntegrationError]


async def _endpoint(info: Info, pk: int | None) -> WebhookEndpoint | None:
    if not pk:
        return None
    async with info.context.db.read() as conn:
        row = (await conn.execute(select(webhook_endpoint).where(webhook_endpoint.c.id == pk))).first()
    return WebhookEndpoint.from_row(row, clock.utcnow()) if row else None


async def _run(info: Info, pk: int, action) -> WebhookEndpointPayload:
    _r, errors = await run_action(info, IntegrationErrorCode, action)
    return WebhookEndpointPayload(endpoint=None if errors else await _endpoint(info, pk), errors=errors)


@strawberry.type
class UpsertProductPayload:
    product: Product | None
    outcome: UpsertOutcome | None = strawberry.field(description="Null when refused (see errors).")
    errors: list[IntegrationError]


@strawberry.type
class UpsertCustomerPayload:
    customer: Customer | None
    outcome: UpsertOutcome | None = strawberry.field(description="Null when refused (see errors).")
    errors: list[IntegrationError]


@strawberry.type
class UpsertSupplierPayload:
    supplier: Supplier | None
    outcome: UpsertOutcome | None = strawberry.field(description="Null when refused (see errors).")
    errors: list[IntegrationError]


@strawberry.type
class IntakeSalesOrderPayload:
    order: SalesOrder | None
    outcome: UpsertOutcome | None = strawberry.field(
        description="CREATED the first time; UPDATED when the platform's status changed or a held draft was "
        "submitted now; UNCHANGED for a resend. Null when refused (see errors)."
    )
    hold: list[IntegrationError] = strawberry.field(
        description="Why the order was taken but waits as a draft (not enough stock to reserve, the credit "
        "limit); empty once it is submitted. Resending the order tries again."
    )
    errors: list[IntegrationError]


async def _upsert_partner(info: Info, kind: str, source: str, external_id: str, input: PartnerInput):
    action = external_ids.do_upsert_customer if kind == "customer" else external_ids.do_upsert_supplier
    result, errors = await run_action(
        info,
        IntegrationErrorCode,
        lambda: action(info.context.db, source, external_id, partner_input(input), info.context.principal),
    )
    payload = UpsertCustomerPayload if kind == "customer" else UpsertSupplierPayload
    if errors or result is None:
        return payload(**{kind: None, "outcome": None, "errors": errors})
    node_type = Customer if kind == "customer" else Supplier
    row = await getattr(info.context.loaders.partners, kind).load(result[0])
    return payload(**{kind: node_type.from_row(row), "outcome": UpsertOutcome(result[1]), "errors": []})


_UPSERT = (
    "Idempotent: the same input again changes nothing (UNCHANGED: no audit entry, no event). An unknown "
    "external id links the record with the same {key} if it has none from this source yet, else creates one."
)


@strawberry.type
class IntegrationsMutation:
    @strawberry.mutation(
        description="Create or update the product a source (e.g. shop:taobao) knows as externalId. "
        + _UPSERT.format(key="SKU"),
        extensions=needs("catalog.edit"),
    )
    async def upsert_product(
        self,
        info: Info,
        source_: SourceArg,
        external_id: str,
        input: ProductInput,
    ) -> UpsertProductPayload:
        try:
            data = product_input(input)
        except _BadId as bad:
            return UpsertProductPayload(
                product=None,
                outcome=None,
                errors=invalid_id(IntegrationErrorCode, bad.field, bad.what, info.context.lang),
            )
        result, errors = await run_action(
            info,
            IntegrationErrorCode,
            lambda: external_ids.do_upsert_product(info.context.db, source_, external_id, data, info.context.principal),
        )
        if errors or result is None:
            return UpsertProductPayload(product=None, outcome=None, errors=errors)
        return UpsertProductPayload(
            product=await product_from_id(info, result[0]), outcome=UpsertOutcome(result[1]), errors=[]
        )

    @strawberry.mutation(
        description="Create or update the customer a source knows as externalId. " + _UPSERT.format(key="code"),
        extensions=needs("partner.edit"),
    )
    async def upsert_customer(
        self,
        info: Info,
        source_: SourceArg,
        external_id: str,
        input: PartnerInput,
    ) -> UpsertCustomerPayload:
        return await _upsert_partner(info, "customer", source_, external_id, input)

    @strawberry.mutation(
        description="Create or update the supplier a source knows as externalId. " + _UPSERT.format(key="code"),
        extensions=needs("partner.edit"),
    )
    async def upsert_supplier(
        self,
        info: Info,
        source_: SourceArg,
        external_id: str,
        input: PartnerInput,
    ) -> UpsertSupplierPayload:
        return await _upsert_partner(info, "supplier", source_, external_id, input)

    @strawberry.mutation(
        description="Take a shop's or an ERP's order as a sales order, exactly once per platform order number "
        "however often it is sent; it is submitted as a clerk would (approval rules, stock reserved on "
        "approval). A resend changes only the platform's status (docs/integrations.md).",
        extensions=needs("sales.order.edit"),
    )
    async def intake_sales_order(
        self, info: Info, source_: SourceArg, input: OrderIntakeInput
    ) -> IntakeSalesOrderPayload:
        result, errors = await run_action(
            info,
            IntegrationErrorCode,
            lambda: order_intake.do_intake_sales_order(info.context.db, input.intake(source_), info.context.principal),
        )
        if errors or result is None:
            return IntakeSalesOrderPayload(order=None, outcome=None, hold=[], errors=errors)
        row = await info.context.loaders.sales.sales_order.load(result.order_id)
        hold = [] if result.hold is None else to_payload_errors(result.hold, IntegrationErrorCode, info.context.lang)
        return IntakeSalesOrderPayload(
            order=SalesOrder.from_row(row), outcome=UpsertOutcome(result.outcome), hold=hold, errors=[]
        )

    @strawberry.mutation(
        description=(
            "Register a webhook endpoint; it receives the events that happen from now on (signed, "
            "docs/integrations.md). The secret is in the payload, and only there."
        ),
        extensions=needs("webhook.manage"),
    )
    async def create_webhook_endpoint(self, info: Info, input: CreateWebhookEndpointInput) -> WebhookSecretPayload:
        result, errors = await run_action(
            info,
            IntegrationErrorCode,
            lambda: endpoints.do_create_webhook_endpoint(info.context.db, input.spec(), info.context.principal),
        )
        if errors or result is None:
            return WebhookSecretPayload(endpoint=None, secret=None, errors=errors)
        return WebhookSecretPayload(endpoint=await _endpoint(info, result[0]), secret=result[1], errors=[])

    @strawberry.mutation(
        description="Change an endpoint's name, URL, events or filters.", extensions=needs("webhook.manage")
    )
    async def update_webhook_endpoint(self, info: Info, input: UpdateWebhookEndpointInput) -> WebhookEndpointPayload:
        pk = endpoint_pk(input.id)
        return await _run(
            info,
            pk,
            lambda: endpoints.do_update_webhook_endpoint(info.context.db, pk, input.spec(), info.context.principal),
        )

    @strawberry.mutation(
        description=(
            "Disable an endpoint (nothing is sent to it) or enable it again: it resumes where it stopped, "
            "unless `skipMissed` starts it at the end of the journal."
        ),
        extensions=needs("webhook.manage"),
    )
    async def set_webhook_endpoint_enabled(
        self, info: Info, id: strawberry.ID, enabled: bool, skip_missed: bool = False
    ) -> WebhookEndpointPayload:
        pk = endpoint_pk(id)
        return await _run(
            info,
            pk,
            lambda: endpoints.do_set_webhook_endpoint_enabled(
                info.context.db, pk, enabled, info.context.principal, skip_missed=skip_missed
            ),
        )

    @strawberry.mutation(description="Remove an endpoint and its delivery log.", extensions=needs("webhook.manage"))
    async def delete_webhook_endpoint(self, info: Info, id: strawberry.ID) -> DeleteWebhookEndpointPayload:
        pk = endpoint_pk(id)
        _r, errors = await run_action(
            info,
            IntegrationErrorCode,
            lambda: endpoints.do_delete_webhook_endpoint(info.context.db, pk, info.context.principal),
        )
        return DeleteWebhookEndpointPayload(ok=not errors, errors=errors)

    @strawberry.mutation(
        description=(
            "A new signing secret; the old one keeps signing beside it for `graceHours` (each request then "
            "carries both signatures), so receivers can switch without losing a message."
        ),
        extensions=needs("webhook.manage"),
    )
    async def rotate_webhook_secret(
        self, info: Info, id: strawberry.ID, grace_hours: int = 24, secret: str | None = None
    ) -> WebhookSecretPayload:
        pk = endpoint_pk(id)
        result, errors = await run_action(
            info,
            IntegrationErrorCode,
            lambda: endpoints.do_rotate_webhook_secret(
                info.context.db, pk, info.context.principal, grace_hours=grace_hours, secret=secret
            ),
        )
        if errors:
            return WebhookSecretPayload(endpoint=None, secret=None, errors=errors)
        return WebhookSecretPayload(endpoint=await _endpoint(info, pk), secret=result, errors=[])

    @strawberry.mutation(
        description=(
            "Send the endpoint's events again from journal sequence `fromSequence` on, in order and with "
            "their original ids."
        ),
        extensions=needs("webhook.manage"),
    )
    async def replay_webhook_endpoint(
        self, info: Info, id: strawberry.ID, from_sequence: int
    ) -> WebhookEndpointPayload:
        pk = endpoint_pk(id)
        return await _run(
            info,
            pk,
            lambda: endpoints.do_replay_webhook_endpoint(info.context.db, pk, from_sequence, info.context.principal),
        )

    @strawberry.mutation(
        description="Send a signed `webhook.ping` now and return the attempt (waits at most the delivery timeout).",
        extensions=needs("webhook.manage"),
    )
    async def ping_webhook_endpoint(self, info: Info, id: strawberry.ID) -> WebhookPingPayload:
        pk = endpoint_pk(id)
        result, errors = await run_action(
            info,
            IntegrationErrorCode,
            lambda: endpoints.do_ping_webhook_endpoint(info.context.db, pk, info.context.principal),
        )
        if errors:
            return WebhookPingPayload(delivery=None, errors=errors)
        async with info.context.db.read() as conn:
            row = (await conn.execute(select(webhook_delivery).where(webhook_delivery.c.id == result))).first()
        return WebhookPingPayload(delivery=WebhookDelivery.from_row(row) if row else None, errors=[])
