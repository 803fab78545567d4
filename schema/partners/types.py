"""Supplier and customer GraphQL types."""

from __future__ import annotations

from datetime import datetime

import strawberry

from schema.relay import Node, to_global_id


def _partner_fields(type_name: str, r) -> dict:
    return dict(
        id=to_global_id(type_name, r.id), code=r.code, name=r.name, contact_name=r.contact_name, phone=r.phone,
        email=r.email, address=r.address, tax_id=r.tax_id, active=r.active, created_at=r.created_at,
    )


@strawberry.interface(description="Common fields of suppliers and customers.")
class Partner(Node):
    id: strawberry.ID
    code: str
    name: str
    contact_name: str
    phone: str
    email: str
    address: str
    tax_id: str = strawberry.field(description="统一社会信用代码 / tax id")
    active: bool
    created_at: datetime


@strawberry.type(description="A supplier (供应商).")
class Supplier(Partner):
    payment_terms_days: int
    currency: str
    bank_name: str
    bank_account: str

    @classmethod
    def from_row(cls, r) -> Supplier:
        return cls(**_partner_fields("Supplier", r), payment_terms_days=r.payment_terms_days, currency=r.currency,
                   bank_name=r.bank_name, bank_account=r.bank_account)


@strawberry.type(description="A customer (客户).")
class Customer(Partner):
    @classmethod
    def from_row(cls, r) -> Customer:
        return cls(**_partner_fields("Customer", r))
