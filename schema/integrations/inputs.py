"""Inputs of the webhook mutations and the decoding of the ids they carry."""

from __future__ import annotations

import strawberry

from schema.integrations.types import WebhookEventType
from schema.relay import decode_id
from server.integrations.endpoints import EndpointSpec


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
