"""Supplier and customer queries."""

from __future__ import annotations

import strawberry
from sqlalchemy import or_, select
from strawberry.types import Info

from schema.auth.permissions import needs
from schema.partners.inputs import PartnerFilter
from schema.partners.types import Customer, Supplier
from schema.relay import Connection, paginate
from server.core.sql import like_pattern
from server.partners.models import customer, supplier


def _query(table, f: PartnerFilter | None):
    q = select(table).order_by(table.c.code, table.c.id)
    if f and f.text:
        like = like_pattern(f.text.strip())
        q = q.where(or_(*(c.ilike(like, escape="\\") for c in (table.c.code, table.c.name, table.c.contact_name))))
    if f and f.active is not None:
        q = q.where(table.c.active == f.active)
    return q


@strawberry.type
class PartnersQuery:
    @strawberry.field(extensions=needs("partner.view"))
    async def suppliers(
        self, info: Info, filter: PartnerFilter | None = None, first: int | None = None, after: str | None = None
    ) -> Connection[Supplier]:
        return await paginate(info, _query(supplier, filter), Supplier.from_row, first=first, after=after)

    @strawberry.field(extensions=needs("partner.view"))
    async def customers(
        self, info: Info, filter: PartnerFilter | None = None, first: int | None = None, after: str | None = None
    ) -> Connection[Customer]:
        return await paginate(info, _query(customer, filter), Customer.from_row, first=first, after=after)
