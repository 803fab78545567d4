"""The partners' DataLoaders: suppliers, customers and their (active) addresses."""

from __future__ import annotations

from collections import defaultdict
from functools import cached_property

from sqlalchemy import select
from strawberry.dataloader import DataLoader

from schema.batching import ById, Children, DomainLoaders, Reader, by_id
from server.partners.models import customer, partner_address, supplier


def _addresses(db: Reader, kind: str) -> Children:
    async def load(partner_ids: list[int]):
        groups = defaultdict(list)
        async with db.read() as conn:
            rows = await conn.execute(
                select(partner_address)
                .where(
                    partner_address.c.partner_kind == kind,
                    partner_address.c.partner_id.in_(set(partner_ids)),
                    partner_address.c.active,
                )
                .order_by(partner_address.c.kind, partner_address.c.is_default.desc(), partner_address.c.id)
            )
            for r in rows:
                groups[r.partner_id].append(r)
        return [groups.get(i, []) for i in partner_ids]

    return DataLoader(load_fn=load)


class PartnersLoaders(DomainLoaders):
    @cached_property
    def supplier(self) -> ById:
        return by_id(self.db, supplier)

    @cached_property
    def customer(self) -> ById:
        return by_id(self.db, customer)

    @cached_property
    def supplier_addresses(self) -> Children:
        return _addresses(self.db, "supplier")

    @cached_property
    def customer_addresses(self) -> Children:
        return _addresses(self.db, "customer")
