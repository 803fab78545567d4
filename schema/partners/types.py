"""Supplier and customer GraphQL types."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry.types import Info

from schema.auth.permissions import needs
from schema.integrations.external_ids import ExternalId, external_ids_field
from schema.relay import Node, to_global_id
from schema.scalars import Decimal_, Money
from server.auth import scope
from server.core.numbers import fen_to_decimal, rate_to_decimal


def _partner_fields(type_name: str, r) -> dict:
    return dict(
        id=to_global_id(type_name, r.id),
        code=r.code,
        name=r.name,
        contact_name=r.contact_name,
        phone=r.phone,
        email=r.email,
        address=r.address,
        tax_id=r.tax_id,
        active=r.active,
        created_at=r.created_at,
    )


@strawberry.type(description="A contact and address of a supplier or customer (ship-to, bill-to, office).")
class PartnerAddress:
    id: strawberry.ID
    kind: str
    contact_name: str
    phone: str
    address: str
    is_default: bool

    @classmethod
    def from_row(cls, r) -> PartnerAddress:
        return cls(
            id=to_global_id("PartnerAddress", r.id),
            kind=r.kind,
            contact_name=r.contact_name,
            phone=r.phone,
            address=r.address,
            is_default=r.is_default,
        )


CONTACT = "Contact data; needs partner.view (documents show a partner's code and name to everyone who may see them)."


def _contact(description: str = CONTACT):
    return strawberry.field(description=description, extensions=needs(scope.PARTNER_VIEW))


@strawberry.interface(description="Common fields of suppliers and customers.")
class Partner(Node):
    id: strawberry.ID
    code: str
    name: str
    contact_name: str | None = _contact()
    phone: str | None = _contact()
    email: str | None = _contact()
    address: str | None = _contact()
    tax_id: str | None = _contact("统一社会信用代码 / tax id; needs partner.view.")
    active: bool
    created_at: datetime


@strawberry.type(description="A supplier (供应商).")
class Supplier(Partner):
    payment_terms_days: int
    currency: str
    bank_name: str | None = _contact()
    bank_account: str | None = _contact()
    _pk: strawberry.Private[int]

    @classmethod
    def from_row(cls, r) -> Supplier:
        return cls(
            **_partner_fields("Supplier", r),
            payment_terms_days=r.payment_terms_days,
            currency=r.currency,
            bank_name=r.bank_name,
            bank_account=r.bank_account,
            _pk=r.id,
        )

    @strawberry.field(description="Contacts and addresses; needs partner.view.", extensions=needs(scope.PARTNER_VIEW))
    async def addresses(self, info: Info) -> list[PartnerAddress] | None:
        return [
            PartnerAddress.from_row(r) for r in await info.context.loaders.partners.supplier_addresses.load(self._pk)
        ]

    @strawberry.field(description="The ids other systems know this supplier by (upsertSupplier), by source.")
    async def external_ids(self, info: Info) -> list[ExternalId]:
        return await external_ids_field(info, "supplier", self._pk)


@strawberry.type(description="A customer (客户).")
class Customer(Partner):
    credit_rating: str | None = _contact("A/B/C/D; D always needs a credit approval. Needs partner.view.")
    credit_limit: Money | None = _contact("Null: not checked (or no partner.view); 0: no credit.")
    payment_terms_days: int
    invoice_title: str = strawberry.field(description="发票抬头")
    invoice_type: str = strawberry.field(description="special 专票 | normal 普票")
    discount: Decimal_ | None = _contact("Default discount on list prices. Needs partner.view.")
    _pk: strawberry.Private[int]

    @classmethod
    def from_row(cls, r) -> Customer:
        return cls(
            **_partner_fields("Customer", r),
            credit_rating=r.credit_rating,
            credit_limit=None if r.credit_limit_fen is None else Money(str(fen_to_decimal(r.credit_limit_fen))),
            payment_terms_days=r.payment_terms_days,
            invoice_title=r.invoice_title,
            invoice_type=r.invoice_type,
            discount=Decimal_(str(rate_to_decimal(r.discount_bp))),
            _pk=r.id,
        )

    @strawberry.field(
        description="Contacts and addresses (ship-to, bill-to); needs partner.view.",
        extensions=needs(scope.PARTNER_VIEW),
    )
    async def addresses(self, info: Info) -> list[PartnerAddress] | None:
        return [
            PartnerAddress.from_row(r) for r in await info.context.loaders.partners.customer_addresses.load(self._pk)
        ]

    @strawberry.field(description="The ids other systems know this customer by (upsertCustomer), by source.")
    async def external_ids(self, info: Info) -> list[ExternalId]:
        return await external_ids_field(info, "customer", self._pk)
