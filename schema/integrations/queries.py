"""The endpoints and their delivery log; records by external id."""

from __future__ import annotations

import strawberry
from sqlalchemy import select
from strawberry.types import Info

from schema.auth.permissions import caller_can, needs
from schema.integrations.external_ids import ExternalEntityType, ExternalRecord, SourceArg
from schema.integrations.inputs import endpoint_pk
from schema.integrations.types import WebhookDelivery, WebhookEndpoint, WebhookOutcome
from schema.relay import Connection, decode_id, paginate, to_global_id
from server.core import clock
from server.integrations import external_ids
from server.integrations.errors import IntegrationError as IntegrationErrorCls
from server.integrations.models import webhook_delivery, webhook_endpoint

#: entity type -> its node type and the permission that reads it
_NODES = {
    "product": ("Product", "catalog.view"),
    "customer": ("Customer", "partner.view"),
    "supplier": ("Supplier", "partner.view"),
    "sales_order": ("SalesOrder", "sales.view"),
}


@strawberry.type
class IntegrationsQuery:
    @strawberry.field(
        description=(
            "The record (its global ID) a source (e.g. shop:taobao) knows as externalId; null when it knows "
            "none so, the source or id is not one, or the caller may not read that type (catalog.view for "
            "products, partner.view for customers and suppliers, sales.view for sales orders)."
        ),
        extensions=needs("catalog.view", "partner.view", "sales.view"),
    )
    async def by_external_id(
        self,
        info: Info,
        source_: SourceArg,
        entity_type: ExternalEntityType,
        external_id: str,
    ) -> ExternalRecord | None:
        type_name, permission = _NODES[entity_type.value]
        if not caller_can(info, permission):
            return None  # what the caller may not read, it may not learn the id of either
        try:
            pk = await external_ids.find_by_external_id(info.context.db, source_, entity_type.value, external_id)
        except IntegrationErrorCls:
            return None
        if pk is None:
            return None
        return ExternalRecord(
            id=strawberry.ID(to_global_id(type_name, pk)),
            entity_type=entity_type,
            source=source_,
            external_id=external_id,
        )

    @strawberry.field(description="The registered webhook endpoints.", extensions=needs("webhook.manage"))
    async def webhook_endpoints(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[WebhookEndpoint]:
        now = clock.utcnow()
        return await paginate(
            info,
            select(webhook_endpoint).order_by(webhook_endpoint.c.id),
            lambda r: WebhookEndpoint.from_row(r, now),
            first=first,
            after=after,
        )

    @strawberry.field(description="One webhook endpoint by id.", extensions=needs("webhook.manage"))
    async def webhook_endpoint(self, info: Info, id: strawberry.ID) -> WebhookEndpoint | None:
        async with info.context.db.read() as conn:
            row = (await conn.execute(select(webhook_endpoint).where(webhook_endpoint.c.id == endpoint_pk(id)))).first()
        return WebhookEndpoint.from_row(row, clock.utcnow()) if row else None

    @strawberry.field(
        description=(
            "The delivery log, newest first: every attempt with its status code and time. `sequence` "
            "keeps the attempts at one journal event (a replay's are listed again)."
        ),
        extensions=needs("webhook.manage"),
    )
    async def webhook_deliveries(
        self,
        info: Info,
        endpoint_id: strawberry.ID | None = None,
        outcome: WebhookOutcome | None = None,
        sequence: int | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[WebhookDelivery]:
        q = select(webhook_delivery)
        if endpoint_id is not None:
            q = q.where(webhook_delivery.c.endpoint_id == (decode_id(endpoint_id, "WebhookEndpoint") or 0))
        if outcome is not None:
            q = q.where(webhook_delivery.c.outcome == outcome.value)
        if sequence is not None:
            q = q.where(webhook_delivery.c.seq == sequence)
        return await paginate(
            info,
            q.order_by(webhook_delivery.c.id.desc()),
            WebhookDelivery.from_row,
            first=first,
            after=after,
            keyset=(webhook_delivery.c.id, True),
        )
