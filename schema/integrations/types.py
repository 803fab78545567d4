"""Webhook endpoints and their delivery log."""

from __future__ import annotations

import enum
import json
from datetime import datetime

import strawberry

from schema.enums import options_enum
from schema.relay import to_global_id
from server.integrations.payloads import KINDS

WebhookEventType = options_enum(
    "WebhookEventType",
    KINDS,
    "What an endpoint subscribes to: stock changes, low stock, available to sell, stock counts, expiring lots, the status of "
    "every document or only of shipments, invoices and bills, payments and receipts, and endpoints disabled "
    "for failing (docs/integrations.md lists the payload of each).",
)


@strawberry.enum(description="Whether an attempt was answered with 2xx.")
class WebhookOutcome(enum.Enum):
    DELIVERED = "delivered"
    FAILED = "failed"


@strawberry.type(description="One HTTP attempt: an event (or a test ping) sent to an endpoint.")
class WebhookDelivery:
    id: strawberry.ID
    endpoint_id: strawberry.ID
    sequence: int | None = strawberry.field(description="The journal event; null for a test ping.")
    message_id: str = strawberry.field(description="The `webhook-id` header (`evt_<sequence>`, or a ping's id).")
    event_type: str
    attempt: int = strawberry.field(description="1 for the first attempt at this event, then 2, 3 …")
    at: datetime
    status_code: int | None = strawberry.field(description="null: no answer (timeout, connection refused).")
    duration_ms: int
    outcome: WebhookOutcome
    error: str
    sender: str = strawberry.field(description="The worker process that sent it (host:pid).")

    @classmethod
    def from_row(cls, r) -> WebhookDelivery:
        return cls(
            id=to_global_id("WebhookDelivery", r.id),
            endpoint_id=to_global_id("WebhookEndpoint", r.endpoint_id),
            sequence=r.seq,
            message_id=r.message_id,
            event_type=r.event_type,
            attempt=r.attempt,
            at=r.at,
            status_code=r.status_code,
            duration_ms=r.duration_ms,
            outcome=WebhookOutcome(r.outcome),
            error=r.error,
            sender=r.sender,
        )


@strawberry.type(description="A registered receiver of the event journal (its secret is never shown again).")
class WebhookEndpoint:
    id: strawberry.ID
    name: str
    url: str
    event_types: list[WebhookEventType]  # type: ignore[valid-type]
    warehouse_ids: list[strawberry.ID] = strawberry.field(description="Only events of these; empty: every warehouse.")
    category_ids: list[strawberry.ID] = strawberry.field(
        description="Only events of products in these categories (with their sub-categories); empty: every product."
    )
    enabled: bool
    disabled_reason: str
    disabled_at: datetime | None
    owner: str = strawberry.field(description="Who registered it; alerted by a `webhook.disabled` event.")
    created_at: datetime
    updated_at: datetime
    cursor: int = strawberry.field(description="Every journal event up to this sequence number is done with.")
    attempt: int = strawberry.field(description="Failed attempts at the next event (0: not failing).")
    next_attempt_at: datetime | None
    failing_since: datetime | None
    last_success_at: datetime | None
    previous_secret_expires_at: datetime | None = strawberry.field(
        description="Until then the rotated-out secret still signs beside the new one."
    )
    sending: bool = strawberry.field(description="A worker holds the endpoint's lease right now.")

    @classmethod
    def from_row(cls, r, now: datetime) -> WebhookEndpoint:
        previous = r.previous_secret_until if r.previous_secret and r.previous_secret_until else None
        return cls(
            id=to_global_id("WebhookEndpoint", r.id),
            name=r.name,
            url=r.url,
            event_types=[WebhookEventType(v) for v in json.loads(r.event_types) if v in KINDS],
            warehouse_ids=[to_global_id("Warehouse", pk) for pk in json.loads(r.warehouse_ids)],
            category_ids=[to_global_id("Category", pk) for pk in json.loads(r.category_ids)],
            enabled=r.enabled,
            disabled_reason=r.disabled_reason,
            disabled_at=r.disabled_at,
            owner=r.owner,
            created_at=r.created_at,
            updated_at=r.updated_at,
            cursor=r.cursor,
            attempt=r.attempt,
            next_attempt_at=r.next_attempt_at,
            failing_since=r.failing_since,
            last_success_at=r.last_success_at,
            previous_secret_expires_at=previous if previous and previous > now else None,
            sending=bool(r.lease_until is not None and r.lease_until > now),
        )
