"""Per-request context and its DataLoaders.

The loaders are declared by the domains (``schema/<domain>/loaders.py``, built from the kinds in
``schema/batching.py``); ``Loaders`` only gathers them. A query over HTTP reads on one connection:
its loaders' batches and its pages (``Context.read()``) share the request's ``ReadSession``, opened by
the first read and closed when the operation ends (``SharedReads``). Mutations read on short
connections of their own (a field after a write must see it; ``fresh_loaders()`` drops the rows read
before). Over WebSocket the context lives as long as the connection, so subscriptions take new
loaders for every event they resolve (``event_loaders()``: shared by the subscriptions of one event,
each batch on its own short connection).
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from functools import cached_property

from sqlalchemy.ext.asyncio import AsyncConnection
from strawberry.extensions import SchemaExtension
from strawberry.types.graphql import OperationType

from schema.auth.loaders import AuthLoaders
from schema.batching import Reader, ReadSession
from schema.catalog.loaders import CatalogLoaders
from schema.finance.loaders import FinanceLoaders
from schema.integrations.external_ids import IntegrationsLoaders
from schema.inventory.loaders import InventoryLoaders
from schema.partners.loaders import PartnersLoaders
from schema.purchasing.loaders import PurchasingLoaders
from schema.sales.loaders import SalesLoaders
from server.auth.services import Principal, authenticate
from server.core.database import Database
from server.core.settings import Settings
from server.events.bus import EventTailer


class Loaders:
    """The request's DataLoaders, one set per domain (``schema/<domain>/loaders.py``), each created on
    first use: ``info.context.loaders.inventory.location.load(pk)``."""

    def __init__(self, db: Database, reader: Reader | None = None):
        self._db: Reader = db if reader is None else reader

    @cached_property
    def auth(self) -> AuthLoaders:
        return AuthLoaders(self._db)

    @cached_property
    def catalog(self) -> CatalogLoaders:
        return CatalogLoaders(self._db)

    @cached_property
    def partners(self) -> PartnersLoaders:
        return PartnersLoaders(self._db)

    @cached_property
    def inventory(self) -> InventoryLoaders:
        return InventoryLoaders(self._db)

    @cached_property
    def purchasing(self) -> PurchasingLoaders:
        return PurchasingLoaders(self._db)

    @cached_property
    def sales(self) -> SalesLoaders:
        return SalesLoaders(self._db)

    @cached_property
    def finance(self) -> FinanceLoaders:
        return FinanceLoaders(self._db)

    @cached_property
    def integrations(self) -> IntegrationsLoaders:
        return IntegrationsLoaders(self._db)


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
    #: the read connection the query's loaders and pages share (none over WebSocket)
    reads: ReadSession | None = None

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
        if self.reads is None and not self.over_websocket:
            self.reads = ReadSession(self.db)
        if self.loaders is None:
            self.loaders = Loaders(self.db, self.reads)

    def read(self) -> AbstractAsyncContextManager[AsyncConnection]:
        """A read connection: the query's shared one (``ReadSession``), else a short one of its own."""
        return self.reads.read() if self.reads is not None else self.db.read()

    def fresh_loaders(self) -> Loaders:
        self.loaders = Loaders(self.db, self.reads)
        return self.loaders

    def event_loaders(self, shared: dict) -> Loaders:
        """Fresh loaders for resolving one journal event, shared with every subscription of this
        process that resolves the same event (``shared`` is the event's ``JournalEvent.shared``): the
        first one reads the rows, the others reuse them. Loaders cache rows, never what a caller may
        see, so sharing them across callers is safe."""
        key = ("loaders", id(self.db))
        loaders = shared.get(key)
        if not isinstance(loaders, Loaders):
            loaders = shared[key] = Loaders(self.db)
        self.loaders = loaders
        return loaders


class SharedReads(SchemaExtension):
    """A query operation's reads share the context's ``ReadSession``, closed when the operation ends
    (its read transaction with it). Mutations and subscriptions read as before."""

    async def on_execute(self) -> AsyncIterator[None]:  # type: ignore[override]
        ctx = self.execution_context.context
        reads = getattr(ctx, "reads", None)
        share = False
        if isinstance(reads, ReadSession):
            try:
                share = self.execution_context.operation_type == OperationType.QUERY
            except Exception:  # no operation to run: nothing to share
                share = False
        if share:
            reads.active = True
        try:
            yield
        finally:
            if share:
                await reads.close()
