"""Supplier and customer actions. Both share one shape; suppliers add payment terms and bank details."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Table, select, update

from server.auth import scope
from server.auth.models import app_user
from server.auth.services import Principal
from server.core.audit import note_change
from server.core.clock import utcnow
from server.core.database import Database
from server.core.master_records import TextRules, create_record, set_active, update_record
from server.core.numbers import NumberError, money_to_fen, parse_rate
from server.partners.errors import PartnerError
from server.partners.models import customer, partner_address, supplier

PARTNER_TABLES = {"supplier": supplier, "customer": customer}
CLEAR = object()  # a value that sets the column to NULL


@dataclass
class PartnerInput:
    code: str | None = None
    name: str | None = None
    contact_name: str | None = None
    phone: str | None = None
    email: str | None = None
    address: str | None = None
    tax_id: str | None = None
    payment_terms_days: int | None = None
    # suppliers only
    currency: str | None = None
    bank_name: str | None = None
    bank_account: str | None = None
    # customers only
    credit_rating: str | None = None  # A/B/C/D
    credit_limit: str | None = None  # yuan; "" removes the limit (not checked), "0": no credit
    invoice_title: str | None = None
    invoice_type: str | None = None  # special 专票 | normal 普票
    discount: str | None = None  # default discount as a fraction, e.g. "0.05"
    salesperson: str | None = None  # username of the customer's salesperson
    salesperson_user_id: int | None = None  # resolved from ``salesperson``


SUPPLIER_ONLY = ("currency", "bank_name", "bank_account")
CUSTOMER_ONLY = ("credit_rating", "credit_limit", "invoice_title", "invoice_type", "discount", "salesperson")


def partner_values(data: PartnerInput, *, creating: bool, kind: str = "supplier") -> dict[str, Any]:
    rules = TextRules(PartnerError)
    t = _table(kind).c  # suppliers and customers share these columns
    values: dict[str, Any] = {
        "code": rules.code(data.code, max_len=t.code, required=creating) if creating or data.code is not None else None,
        "name": rules.text(data.name, "name", t.name, required=creating or data.name is not None),
        "contact_name": rules.text(data.contact_name, "contactName", t.contact_name),
        "phone": rules.text(data.phone, "phone", t.phone),
        "email": rules.text(data.email, "email", t.email),
        "address": rules.text(data.address, "address", t.address),
        "tax_id": rules.code(data.tax_id, "taxId", t.tax_id, required=False),
    }
    if values["email"] and "@" not in values["email"]:
        rules.add("INVALID_VALUE", "email", detail=values["email"])
    if data.payment_terms_days is not None and not 0 <= data.payment_terms_days <= 3650:
        rules.add("INVALID_VALUE", "paymentTermsDays", detail="0–3650")
    values["payment_terms_days"] = data.payment_terms_days
    wrong_kind = CUSTOMER_ONLY if kind == "supplier" else SUPPLIER_ONLY
    for name in wrong_kind:
        if getattr(data, name) is not None:
            rules.add("INVALID_VALUE", name, detail=f"{'customers' if kind == 'supplier' else 'suppliers'} only")
    if kind == "supplier":
        values["bank_name"] = rules.text(data.bank_name, "bankName", supplier.c.bank_name)
        values["bank_account"] = rules.code(data.bank_account, "bankAccount", supplier.c.bank_account, required=False)
        values["currency"] = rules.code(data.currency, "currency", supplier.c.currency, required=False)
        if values["currency"] is not None and (len(values["currency"]) != 3 or not values["currency"].isalpha()):
            rules.add("INVALID_VALUE", "currency", detail="ISO 4217, e.g. CNY")
        elif values["currency"]:
            values["currency"] = values["currency"].upper()
    else:
        _customer_values(data, rules, values)
    rules.raise_if_any()
    return {k: v for k, v in values.items() if v is not None}


def _customer_values(data: PartnerInput, rules: TextRules, values: dict) -> None:
    if data.credit_rating is not None:
        if data.credit_rating not in ("A", "B", "C", "D"):
            rules.add("INVALID_VALUE", "creditRating", detail="A | B | C | D")
        values["credit_rating"] = data.credit_rating
    if data.credit_limit is not None:
        if data.credit_limit.strip() == "":
            values["credit_limit_fen"] = CLEAR
        else:
            try:
                fen = money_to_fen(data.credit_limit)
            except NumberError:
                fen = -1
            if fen < 0:
                rules.add("INVALID_VALUE", "creditLimit", detail=data.credit_limit)
            values["credit_limit_fen"] = fen
    values["invoice_title"] = rules.text(data.invoice_title, "invoiceTitle", customer.c.invoice_title)
    if data.invoice_type is not None and data.invoice_type not in ("special", "normal"):
        rules.add("INVALID_VALUE", "invoiceType", detail="special | normal")
    values["invoice_type"] = data.invoice_type
    if data.discount is not None:
        try:
            values["discount_bp"] = parse_rate(data.discount)
        except NumberError:
            rules.add("INVALID_VALUE", "discount", detail=data.discount)
    values["salesperson_user_id"] = data.salesperson_user_id


def _table(kind: str) -> Table:
    return PARTNER_TABLES[kind]


async def _check_salesperson(db: Database, data: PartnerInput) -> None:
    """Resolve the salesperson's username to the user id stored on the customer."""
    if not data.salesperson:
        return
    async with db.read() as conn:
        user_id = (
            await conn.execute(select(app_user.c.id).where(app_user.c.username == data.salesperson.strip()))
        ).scalar()
    if user_id is None:
        raise PartnerError("NOT_FOUND", "salesperson", what="user")
    data.salesperson_user_id = user_id


async def do_create_partner(
    db: Database,
    kind: str,
    data: PartnerInput,
    *,
    idempotency_key: str | None = None,
    principal: Principal | None = None,
) -> int:
    """Create a supplier (``kind="supplier"``) or customer (``kind="customer"``)."""
    scope.require(principal, "partner.edit", PartnerError)
    await _check_salesperson(db, data)
    values = {k: v for k, v in partner_values(data, creating=True, kind=kind).items() if v is not CLEAR}
    values["created_at"] = utcnow()
    return await create_record(db, _table(kind), values, error_cls=PartnerError, idempotency_key=idempotency_key)


async def do_update_partner(
    db: Database, kind: str, partner_id: int, data: PartnerInput, *, principal: Principal | None = None
) -> None:
    scope.require(principal, "partner.edit", PartnerError)
    await _check_salesperson(db, data)
    values = partner_values(data, creating=False, kind=kind)
    clear = tuple(k for k, v in values.items() if v is CLEAR)
    await update_record(
        db,
        _table(kind),
        partner_id,
        {k: v for k, v in values.items() if v is not CLEAR},
        error_cls=PartnerError,
        what=kind,
        clear=clear,
    )


async def do_set_partner_active(
    db: Database, kind: str, partner_id: int, active: bool, *, principal: Principal | None = None
) -> None:
    scope.require(principal, "partner.edit", PartnerError)
    await set_active(db, _table(kind), partner_id, active, error_cls=PartnerError, what=kind)


ADDRESS_KINDS = ("ship_to", "bill_to", "office")


@dataclass
class AddressInput:
    kind: str  # ship_to | bill_to | office
    address: str
    contact_name: str = ""
    phone: str = ""
    is_default: bool = False


async def do_add_partner_address(
    db: Database, kind: str, partner_id: int, data: AddressInput, *, principal: Principal | None = None
) -> int:
    """Add a contact/address to a supplier or customer; a new default replaces the old one of its kind."""
    scope.require(principal, "partner.edit", PartnerError)
    rules = TextRules(PartnerError)
    if data.kind not in ADDRESS_KINDS:
        rules.add("INVALID_VALUE", "kind", detail=" | ".join(ADDRESS_KINDS))
    values: dict[str, Any] = {
        "address": rules.text(data.address, "address", partner_address.c.address, required=True),
        "contact_name": rules.text(data.contact_name, "contactName", partner_address.c.contact_name),
        "phone": rules.text(data.phone, "phone", partner_address.c.phone),
    }
    rules.raise_if_any()
    table = _table(kind)
    async with db.write() as conn:
        if (await conn.execute(select(table.c.id).where(table.c.id == partner_id))).first() is None:
            raise PartnerError("NOT_FOUND", "partnerId", what=kind)
        if data.is_default:
            await conn.execute(
                update(partner_address)
                .where(
                    partner_address.c.partner_kind == kind,
                    partner_address.c.partner_id == partner_id,
                    partner_address.c.kind == data.kind,
                )
                .values(is_default=False)
            )
        values |= {"partner_kind": kind, "partner_id": partner_id, "kind": data.kind, "is_default": data.is_default}
        address_id = (
            await conn.execute(partner_address.insert().values(**values).returning(partner_address.c.id))
        ).scalar_one()
        note_change(conn, f"partner_address:{address_id}", after=values)
    return address_id


async def do_set_partner_address_active(
    db: Database, address_id: int, active: bool, *, principal: Principal | None = None
) -> None:
    scope.require(principal, "partner.edit", PartnerError)
    await set_active(db, partner_address, address_id, active, error_cls=PartnerError, what="address")
