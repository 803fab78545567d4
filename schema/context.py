"""Per-request context and its DataLoaders.

The loaders are declared by the domains (``schema/<domain>/loaders.py``, built from the kinds in
``schema/batching.py``); ``Loaders`` only gathers them. Each DataLoader batch opens its own short read
connection, so sibling resolvers (which strawberry runs concurrently) never share a connection or
session. Over WebSocket the context lives as long as the connection, so subscriptions take new
loaders for every event they resolve (``event_loaders()``: shared by the subscriptions of one event).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from functools import cached_property

from schema.auth.loaders import AuthLoaders
from schema.catalog.loaders import CatalogLoaders
from schema.finance.loaders import FinanceLoaders
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

    def __init__(self, db: Database):
        self._db = db

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
