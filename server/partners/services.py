"""Supplier and customer actions. Both share one shape for now; later issues extend each."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Table

from server.database import Database
from server.db_types import utcnow
from server.errors import PartnerError
from server.masterdata import TextRules, create_record, set_active, update_record
from server.partners.models import customer, supplier

PARTNER_TABLES = {"supplier": supplier, "customer": customer}


@dataclass
class PartnerInput:
    code: str | None = None
    name: str | None = None
    contact_name: str | None = None
    phone: str | None = None
    email: str | None = None
    address: str | None = None
    tax_id: str | None = None


def _values(data: PartnerInput, *, creating: bool) -> dict:
    rules = TextRules(PartnerError)
    values = {
        "code": rules.code(data.code, required=creating) if creating or data.code is not None else None,
        "name": rules.text(data.name, "name", 200, required=creating or data.name is not None),
        "contact_name": rules.text(data.contact_name, "contactName", 64),
        "phone": rules.text(data.phone, "phone", 32),
        "email": rules.text(data.email, "email", 128),
        "address": rules.text(data.address, "address", 300),
        "tax_id": rules.code(data.tax_id, "taxId", 32, required=False),
    }
    if values["email"] and "@" not in values["email"]:
        rules.fail("INVALID_VALUE", "email", detail=values["email"])
    rules.raise_if_failed()
    return {k: v for k, v in values.items() if v is not None}


def _table(kind: str) -> Table:
    return PARTNER_TABLES[kind]


async def do_create_partner(db: Database, kind: str, data: PartnerInput, *, idempotency_key: str | None = None) -> int:
    """Create a supplier (``kind="supplier"``) or customer (``kind="customer"``)."""
    values = _values(data, creating=True)
    values["created_at"] = utcnow()
    return await create_record(db, _table(kind), values, error_cls=PartnerError, idempotency_key=idempotency_key)


async def do_update_partner(db: Database, kind: str, partner_id: int, data: PartnerInput) -> None:
    await update_record(db, _table(kind), partner_id, _values(data, creating=False), error_cls=PartnerError, what=kind)


async def do_set_partner_active(db: Database, kind: str, partner_id: int, active: bool) -> None:
    await set_active(db, _table(kind), partner_id, active, error_cls=PartnerError, what=kind)
