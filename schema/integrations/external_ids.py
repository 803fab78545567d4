"""External ids in the API: the ``ExternalId`` type, the batched loaders behind ``externalIds`` on
products, customers and suppliers, and the upsert outcome (server/integrations/external_ids.py).

Imported by the catalog's and the partners' types, so it imports none of them."""

from __future__ import annotations

import enum
from functools import cached_property
from typing import Annotated

import strawberry
from strawberry.dataloader import DataLoader
from strawberry.types import Info

from schema.batching import DomainLoaders, Reader
from schema.enums import options_enum
from server.integrations.external_ids import ExternalRef, external_ids_of
from server.integrations.models import EXTERNAL_ENTITY_TYPES

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


def _external_ids(db: Reader, entity_type: str) -> DataLoader[int, list[ExternalRef]]:
    async def load(entity_ids: list[int]):
        async with db.read() as conn:
            found = await external_ids_of(conn, entity_type, entity_ids)
        return [found.get(i, []) for i in entity_ids]

    return DataLoader(load_fn=load)


class IntegrationsLoaders(DomainLoaders):
    """The external ids of products, customers and suppliers: one statement per type and batch."""

    @cached_property
    def product_external_ids(self) -> DataLoader[int, list[ExternalRef]]:
        return _external_ids(self.db, "product")

    @cached_property
    def customer_external_ids(self) -> DataLoader[int, list[ExternalRef]]:
        return _external_ids(self.db, "customer")

    @cached_property
    def supplier_external_ids(self) -> DataLoader[int, list[ExternalRef]]:
        return _external_ids(self.db, "supplier")


async def external_ids_field(info: Info, entity_type: str, pk: int) -> list[ExternalId]:
    """The resolver body of ``externalIds`` on a product, customer or supplier."""
    loader = getattr(info.context.loaders.integrations, f"{entity_type}_external_ids")
    return [ExternalId.of(r) for r in await loader.load(pk)]
