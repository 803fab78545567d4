"""The endpoints and their delivery log."""

from __future__ import annotations

import strawberry
from sqlalchemy import select
from strawberry.types import Info

from schema.auth.permissions import needs
from schema.integrations.inputs import endpoint_pk
from schema.integrations.types import WebhookDelivery, WebhookEndpoint, WebhookOutcome
from schema.relay import Connection, decode_id, paginate
from server.core import clock
from server.integrations.models import webhook_delivery, webhook_endpoint


@strawberry.type
class IntegrationsQuery:
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
