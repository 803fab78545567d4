"""Per-request context and DataLoaders.

Each DataLoader batch opens its own short read connection, so sibling resolvers (which strawberry
runs concurrently) never share a connection or session. Over WebSocket the context lives as long as
the connection, so subscriptions call ``fresh_loaders()`` for every event they resolve.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import Table, func, select
from strawberry.dataloader import DataLoader

from server.catalog.models import barcode, category, product, product_unit, unit
from server.auth.models import role, role_permission, user_role
from server.auth.services import Principal, authenticate
from server.database import Database
from server.events.bus import EventTailer
from server.finance.models import voucher_line
from server.inventory.models import (
    location,
    lot,
    production_order_line,
    stock_count_line,
    stock_move,
    stock_operation,
    transfer_order_line,
    warehouse,
)
from server.partners.models import customer, partner_address, supplier
from server.purchasing.models import (
    goods_receipt,
    goods_receipt_line,
    payment_allocation,
    purchase_order,
    purchase_order_history,
    purchase_order_line,
    supplier_bill,
    supplier_bill_line,
)
from server.sales.models import (
    sales_invoice,
    sales_invoice_line,
    sales_order,
    sales_order_history,
    sales_order_line,
    shipment,
    shipment_line,
)
from server.settings import Settings


def _by_id(db: Database, table: Table) -> DataLoader:
    async def load(ids: list[int]):
        async with db.read() as conn:
            rows = {r.id: r for r in await conn.execute(select(table).where(table.c.id.in_(set(ids))))}
        return [rows.get(i) for i in ids]

    return DataLoader(load_fn=load)


def _many(db: Database, table: Table, key: str, order_by) -> DataLoader:
    async def load(keys: list[int]):
        groups = defaultdict(list)
        async with db.read() as conn:
            for r in await conn.execute(select(table).where(table.c[key].in_(set(keys))).order_by(order_by)):
                groups[r._mapping[key]].append(r)
        return [groups.get(k, []) for k in keys]

    return DataLoader(load_fn=load)


def child_pages(db: Database, table: Table, key: str, order_by, where=None) -> DataLoader:
    """Pages of the children of many parents in one statement per page window: keys are
    ``(parent_id, offset, limit)``; ``ROW_NUMBER() OVER (PARTITION BY parent ORDER BY …)`` cuts each
    parent's page in SQL (SQLite ≥ 3.25 and PostgreSQL), so a list of parents never costs a query each
    and a parent with thousands of children never reads them all."""
    async def load(keys: list[tuple[int, int, int]]):
        windows = defaultdict(set)
        for parent, start, limit in keys:
            windows[(start, limit)].add(parent)
        pages = {}
        async with db.read() as conn:
            for (start, limit), parents in windows.items():
                rn = func.row_number().over(partition_by=table.c[key], order_by=order_by).label("rn")
                inner = select(table, rn).where(table.c[key].in_(parents))
                if where is not None:
                    inner = inner.where(where)
                sub = inner.subquery()
                rows = await conn.execute(select(sub).where(sub.c.rn > start, sub.c.rn <= start + limit)
                                          .order_by(sub.c[key], sub.c.rn))
                for r in rows:
                    pages.setdefault((r._mapping[key], start, limit), []).append(r)
        return [pages.get(k, []) for k in keys]

    return DataLoader(load_fn=load)


def child_counts(db: Database, table: Table, key: str, where=None) -> DataLoader:
    async def load(parents: list[int]):
        q = select(table.c[key], func.count()).where(table.c[key].in_(set(parents)))
        if where is not None:
            q = q.where(where)
        async with db.read() as conn:
            counts = dict((await conn.execute(q.group_by(table.c[key]))).all())
        return [counts.get(p, 0) for p in parents]

    return DataLoader(load_fn=load)


def _addresses(kind: str):
    def factory(db: Database) -> DataLoader:
        async def load(partner_ids: list[int]):
            groups = defaultdict(list)
            async with db.read() as conn:
                rows = await conn.execute(select(partner_address).where(
                    partner_address.c.partner_kind == kind, partner_address.c.partner_id.in_(set(partner_ids)),
                    partner_address.c.active).order_by(partner_address.c.kind, partner_address.c.is_default.desc(),
                                                       partner_address.c.id))
                for r in rows:
                    groups[r.partner_id].append(r)
            return [groups.get(i, []) for i in partner_ids]

        return DataLoader(load_fn=load)

    return factory


def _roles_by_user(db: Database) -> DataLoader:
    async def load(user_ids: list[int]):
        groups = defaultdict(list)
        async with db.read() as conn:
            rows = await conn.execute(select(user_role.c.user_id, role.c.code).join(role, role.c.id == user_role.c.role_id)
                                      .where(user_role.c.user_id.in_(set(user_ids))).order_by(role.c.code))
            for user_id, code in rows:
                groups[user_id].append(code)
        return [groups.get(u, []) for u in user_ids]

    return DataLoader(load_fn=load)


_LOADERS = {
    "unit": lambda db: _by_id(db, unit),
    "category": lambda db: _by_id(db, category),
    "product": lambda db: _by_id(db, product),
    "warehouse": lambda db: _by_id(db, warehouse),
    "location": lambda db: _by_id(db, location),
    "lot": lambda db: _by_id(db, lot),
    "supplier": lambda db: _by_id(db, supplier),
    "customer": lambda db: _by_id(db, customer),
    "operation": lambda db: _by_id(db, stock_operation),
    "move": lambda db: _by_id(db, stock_move),
    "product_units": lambda db: _many(db, product_unit, "product_id", product_unit.c.id),
    "barcodes": lambda db: _many(db, barcode, "product_id", barcode.c.id),
    "child_categories": lambda db: _many(db, category, "parent_id", category.c.code),
    "role_permissions": lambda db: _many(db, role_permission, "role_id", role_permission.c.permission),
    "roles_by_user": _roles_by_user,
    "purchase_order": lambda db: _by_id(db, purchase_order),
    "receipt": lambda db: _by_id(db, goods_receipt),
    "bill": lambda db: _by_id(db, supplier_bill),
    "po_lines": lambda db: _many(db, purchase_order_line, "order_id", purchase_order_line.c.line_no),
    "po_history": lambda db: _many(db, purchase_order_history, "order_id", purchase_order_history.c.id),
    "receipt_lines": lambda db: _many(db, goods_receipt_line, "receipt_id", goods_receipt_line.c.line_no),
    "bill_lines": lambda db: _many(db, supplier_bill_line, "bill_id", supplier_bill_line.c.line_no),
    "allocations_by_payment": lambda db: _many(db, payment_allocation, "payment_id", payment_allocation.c.id),
    "voucher_lines": lambda db: _many(db, voucher_line, "voucher_id", voucher_line.c.line_no),
    "supplier_addresses": _addresses("supplier"),
    "customer_addresses": _addresses("customer"),
    "sales_order": lambda db: _by_id(db, sales_order),
    "shipment": lambda db: _by_id(db, shipment),
    "sales_invoice": lambda db: _by_id(db, sales_invoice),
    "so_lines": lambda db: _many(db, sales_order_line, "order_id", sales_order_line.c.line_no),
    "so_history": lambda db: _many(db, sales_order_history, "order_id", sales_order_history.c.id),
    "shipment_lines": lambda db: _many(db, shipment_line, "shipment_id", shipment_line.c.line_no),
    "invoice_lines": lambda db: _many(db, sales_invoice_line, "invoice_id", sales_invoice_line.c.line_no),
    "transfer_lines": lambda db: _many(db, transfer_order_line, "transfer_id", transfer_order_line.c.line_no),
    "count_lines": lambda db: _many(db, stock_count_line, "count_id", stock_count_line.c.id),
    "production_lines": lambda db: _many(db, production_order_line, "order_id", production_order_line.c.id),
}


class Loaders:
    """The request's DataLoaders, each created on first use (most requests need two or three)."""

    def __init__(self, db: Database):
        self._db = db
        # the moves a mutation of this request just posted, by operation: its payload needs no read-back
        self.posted_moves: dict[int, list] = {}

    def custom(self, name: str, factory) -> DataLoader:
        """A loader made by ``factory(db)`` once per request under ``name`` (e.g. pages filtered for the
        caller's warehouses, which are the same for the whole request)."""
        loader = self.__dict__.get(name)
        if loader is None:
            loader = self.__dict__[name] = factory(self._db)
        return loader

    def __getattr__(self, name: str) -> DataLoader:
        try:
            factory = _LOADERS[name]
        except KeyError:
            raise AttributeError(name) from None
        loader = factory(self._db)
        setattr(self, name, loader)
        return loader


def language(accept_language: str | None, default: str) -> str:
    """``en`` when the client prefers English, otherwise Chinese (zh-CN)."""
    header = (accept_language or "").strip().lower()
    if not header:
        return default
    first = header.split(",")[0].split(";")[0].strip()
    return "en" if first.startswith("en") else "zh-CN"


@dataclass
class Context:
    db: Database
    settings: Settings
    tailer: EventTailer | None
    lang: str = "zh-CN"
    request_id: str = field(default_factory=lambda: uuid.uuid4().hex[:16])
    request: object = None
    response: object = None
    connection_params: dict | None = None
    principal: Principal | None = None
    token: str | None = None
    loaders: Loaders = None  # type: ignore[assignment]

    @property
    def actor(self) -> str:
        return self.principal.label if self.principal else ""

    @property
    def client_address(self) -> str:
        """The caller's address (from the proxy's forwarded headers where uvicorn trusts the proxy)."""
        client = getattr(self.request, "client", None)
        return client.host if client and client.host else ""

    @property
    def over_websocket(self) -> bool:
        return getattr(self.request, "scope", {}).get("type") == "websocket"

    async def sign_in(self, token: str | None) -> None:
        self.token = token
        self.principal = await authenticate(self.db, token)

    def __post_init__(self):
        if self.loaders is None:
            self.loaders = Loaders(self.db)

    def fresh_loaders(self) -> Loaders:
        self.loaders = Loaders(self.db)
        return self.loaders
