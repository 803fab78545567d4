"""Supplier and customer actions. Both share one shape; suppliers add payment terms and bank details."""

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
    # suppliers only
    payment_terms_days: int | None = None
    currency: str | None = None
    bank_name: str | None = None
    bank_account: str | None = None


SUPPLIER_ONLY = ("payment_terms_days", "currency", "bank_name", "bank_account")


def _values(data: PartnerInput, *, creating: bool, kind: str = "supplier") -> dict:
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
    if kind == "supplier":
        values["bank_name"] = rules.text(data.bank_name, "bankName", 100)
        values["bank_account"] = rules.code(data.bank_account, "bankAccount", 64, required=False)
        values["currency"] = rules.code(data.currency, "currency", 3, required=False)
        if values["currency"] is not None and (len(values["currency"]) != 3 or not values["currency"].isalpha()):
            rules.fail("INVALID_VALUE", "currency", detail="ISO 4217, e.g. CNY")
        elif values["currency"]:
            values["currency"] = values["currency"].upper()
        if data.payment_terms_days is not None and not 0 <= data.payment_terms_days <= 3650:
            rules.fail("INVALID_VALUE", "paymentTermsDays", detail="0–3650")
        values["payment_terms_days"] = data.payment_terms_days
    else:
        for name in SUPPLIER_ONLY:
            if getattr(data, name) is not None:
                rules.fail("INVALID_VALUE", name, detail="suppliers only")
    rules.raise_if_failed()
    return {k: v for k, v in values.items() if v is not None}


def _table(kind: str) -> Table:
    return PARTNER_TABLES[kind]


async def do_create_partner(db: Database, kind: str, data: PartnerInput, *, idempotency_key: str | None = None) -> int:
    """Create a supplier (``kind="supplier"``) or customer (``kind="customer"``)."""
    values = _values(data, creating=True, kind=kind)
    values["created_at"] = utcnow()
    return await create_record(db, _table(kind), values, error_cls=PartnerError, idempotency_key=idempotency_key)


async def do_update_partner(db: Database, kind: str, partner_id: int, data: PartnerInput) -> None:
    await update_record(db, _table(kind), partner_id, _values(data, creating=False, kind=kind), error_cls=PartnerError, what=kind)


async def do_set_partner_active(db: Database, kind: str, partner_id: int, active: bool) -> None:
    await set_active(db, _table(kind), partner_id, active, error_cls=PartnerError, what=kind)
