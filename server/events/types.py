"""Every event of the journal: its name, its fields and their types — the one list of them.

Each event type is a frozen dataclass below (``EVENT_TYPES`` maps the name to the class). Business code
builds one and queues it with ``append_events``; ``flush_events`` stores it as JSON (``serialize_event``);
readers — the finance poster, the live subscriptions — get it back typed from ``parse_event(event_type,
payload)`` (``JournalEvent.data`` in ``server/events/bus.py``) instead of indexing dicts.

**The stored format is the one the journal always had**, so rows written before these classes read as
before, and new rows are byte for byte what the earlier dict-building code wrote:

* a JSON object, compact (``,`` and ``:``, no spaces), non-ASCII text as is, keys in field order;
* a field's key is its name, unless it says otherwise (``from``/``to`` of a status change, ``min``/``max``
  of ``stock.low``, ``date`` of ``money.applied``); dates are ``yyyy-mm-dd`` strings;
* a field without a default is always written (``null`` when it may be None, e.g. ``lot_id``); a field
  whose default is None is written only when it has a value (the details of ``auth.changed``, the extras
  of a status change) — except that each document type writes its own extras always, in its order
  (``DOCUMENT_FIELDS``: a goods receipt without an order has ``"order_id":null``).

Parsing is lenient where the old rows need it and strict where a reader would fail anyway: a key the class
does not know is ignored, a missing field with a default takes the default (an old status change without
``actor`` reads as ``""``), a missing required field or a value of the wrong type raises
``EventFormatError`` (a ``ValueError``: the finance poster sets such an event aside, see
``server/finance/poster.py``).
"""

from __future__ import annotations

import dataclasses
import json
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any, ClassVar

# ---- the names ------------------------------------------------------------------------------------------

STOCK_CHANGED = "stock.changed"
STOCK_LOW = "stock.low"
AVAILABLE_TO_SELL = "stock.available_to_sell"
COUNT_POSTED = "stock.count_posted"
DOCUMENT_STATUS_CHANGED = "document.status_changed"
MONEY_APPLIED = "money.applied"
LOT_EXPIRING = "lot.expiring"
SCAN_RECORDED = "scan.recorded"
AUTH_CHANGED = "auth.changed"
WEBHOOK_DISABLED = "webhook.disabled"


class EventFormatError(ValueError):
    """A stored payload does not fit its event type (or the type is unknown)."""


def _key(name: str) -> dict:
    """Field metadata: the field's JSON key when it differs from its name."""
    return {"key": name}


@dataclass(frozen=True)
class EventData:
    """Base of every journal event. ``event_type`` is the journal name; ``product_field`` names the field
    that fills the journal's ``product_id`` column (indexed, for per-product reads), if any."""

    event_type: ClassVar[str] = ""
    product_field: ClassVar[str | None] = None

    @property
    def journal_product_id(self) -> int | None:
        return getattr(self, self.product_field) if self.product_field else None

    def to_payload(self) -> dict[str, Any]:
        """The JSON object stored in ``event.payload`` (see the module docstring)."""
        out: dict[str, Any] = {}
        for f in _fields(type(self)):
            value = getattr(self, f.name)
            if value is None and f.optional:
                continue
            out[f.key] = f.dump(value)
        return out

    @classmethod
    def from_payload(cls, payload: Mapping[str, Any]):
        kwargs = {}
        for f in _fields(cls):
            if f.key in payload:
                kwargs[f.name] = f.load(payload[f.key], cls.event_type)
            elif f.required:
                raise EventFormatError(f"{cls.event_type}: missing field {f.key!r}")
        return cls(**kwargs)


# ---- stock --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StockChanged(EventData):
    """One side of a stock move (a move between two bins writes two): the level's change and new quantity
    (scaled integers), the move and the operation it belongs to. The finance poster books the operation."""

    event_type: ClassVar[str] = STOCK_CHANGED
    product_field: ClassVar[str | None] = "product_id"
    product_id: int
    location_id: int
    warehouse_id: int
    lot_id: int | None
    delta: int
    quantity: int
    move_id: int
    operation_id: int
    move_type: str


@dataclass(frozen=True)
class StockLow(EventData):
    """Available stock of a product in a warehouse fell below its reorder rule's minimum (once per crossing)."""

    event_type: ClassVar[str] = STOCK_LOW
    product_field: ClassVar[str | None] = "product_id"
    product_id: int
    warehouse_id: int
    available: int
    min_qty: int = field(metadata=_key("min"))
    max_qty: int = field(metadata=_key("max"))


@dataclass(frozen=True)
class AvailableToSell(EventData):
    """The figure a shop may sell of a product in a warehouse changed (server/inventory/availability.py):
    ``net`` = on hand in bins − reserved for sales orders − safety stock (scaled; may be negative, the
    figure to show a shop is ``max(net, 0)``), ``previous`` the net figure before. Written at most once per
    transaction and pair, only when ``net`` changed."""

    event_type: ClassVar[str] = AVAILABLE_TO_SELL
    product_field: ClassVar[str | None] = "product_id"
    product_id: int
    warehouse_id: int
    on_hand: int
    reserved: int
    safety: int
    net: int
    previous: int

    @property
    def available(self) -> int:
        return max(self.net, 0)

    @property
    def previous_available(self) -> int:
        return max(self.previous, 0)


@dataclass(frozen=True)
class CountPosted(EventData):
    """A blind stock count was approved and its differences posted (values in fen)."""

    event_type: ClassVar[str] = COUNT_POSTED
    count_id: int
    number: str
    warehouse_id: int
    gain_fen: int
    loss_fen: int


@dataclass(frozen=True)
class LotExpiring(EventData):
    """A lot in stock enters the expiry window (``jxc expiring``; once per lot)."""

    event_type: ClassVar[str] = LOT_EXPIRING
    product_field: ClassVar[str | None] = "product_id"
    lot_id: int
    product_id: int
    code: str
    expiry_date: date
    warehouse_id: int


# ---- documents and money ------------------------------------------------------------------------------

# the extras each document type writes with its status changes, always and in this order (the others
# write only the extras they have; see the module docstring)
DOCUMENT_FIELDS: dict[str, tuple[str, ...]] = {
    "purchase_order": ("warehouse_id",),
    "sales_order": ("warehouse_id",),
    "goods_receipt": ("inspection_number", "order_id", "warehouse_id"),
    "purchase_return": ("debit_note_id",),
    "shipment": ("warehouse_id", "order_id"),
    "sales_return": ("warehouse_id", "credit_note_id"),
    "transfer_order": ("warehouse_id",),
    "stock_count": ("warehouse_id",),
    "production_order": ("warehouse_id",),
    "supplier_payment": ("allocated_fen",),
    "customer_receipt": ("allocated_fen",),
}
_BASE_KEYS = ("doc_type", "id", "number", "from_status", "to_status", "actor")


@dataclass(frozen=True)
class DocumentStatusChanged(EventData):
    """A document changed status (a new one goes from ``""`` to its first status). ``doc_type`` is the
    document's table name. The extras are written by the document types named in ``DOCUMENT_FIELDS``;
    ``kind`` by a new sales invoice (``invoice`` | ``credit_note``) and a debit note (``debit_note``)."""

    event_type: ClassVar[str] = DOCUMENT_STATUS_CHANGED
    doc_type: str
    id: int
    number: str
    from_status: str = field(metadata=_key("from"))
    to_status: str = field(metadata=_key("to"))
    actor: str = ""
    warehouse_id: int | None = None
    order_id: int | None = None
    inspection_number: str | None = None
    debit_note_id: int | None = None
    credit_note_id: int | None = None
    allocated_fen: int | None = None  # a payment or customer receipt: what it settled when recorded
    kind: str | None = None

    def to_payload(self) -> dict[str, Any]:
        specs = {f.name: f for f in _fields(type(self))}
        carried = DOCUMENT_FIELDS.get(self.doc_type, ())
        out = {specs[name].key: getattr(self, name) for name in _BASE_KEYS}
        for name in carried:
            out[name] = getattr(self, name)
        for name, f in specs.items():
            if name not in _BASE_KEYS and name not in carried and getattr(self, name) is not None:
                out[f.key] = getattr(self, name)
        return out


@dataclass(frozen=True)
class MoneyApplied(EventData):
    """A prepayment (``side`` payable, ``money_id`` a supplier payment) or a customer advance (receivable, a
    customer receipt) used later to settle bills or invoices, effective ``on``; the poster books 1123 → 2202
    or 2203 → 1122. ``party_id`` is the supplier or customer, ``number`` the payment's or receipt's."""

    event_type: ClassVar[str] = MONEY_APPLIED
    side: str
    money_id: int
    party_id: int
    amount_fen: int
    on: date = field(metadata=_key("date"))
    number: str


# ---- scanning and sign-in -----------------------------------------------------------------------------


@dataclass(frozen=True)
class ScanRecorded(EventData):
    """A scan of a session was applied, with the answer the handheld showed."""

    event_type: ClassVar[str] = SCAN_RECORDED
    session_id: int
    scan_id: str
    message_zh: str
    message_en: str


@dataclass(frozen=True)
class AuthChanged(EventData):
    """Credentials were revoked or changed somewhere (``reason``: user.password, user.disable, logout,
    token.revoke); every server process drops its cached principals and re-checks open subscriptions."""

    event_type: ClassVar[str] = AUTH_CHANGED
    reason: str
    user_id: int | None = None
    token_id: int | None = None


# ---- integrations -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class WebhookDisabled(EventData):
    """A webhook endpoint failed for too long and was disabled (server/integrations/delivery.py); ``owner``
    is who registered it, to be alerted. Its events wait at its cursor until it is enabled again."""

    event_type: ClassVar[str] = WEBHOOK_DISABLED
    endpoint_id: int
    name: str
    url: str
    owner: str
    reason: str


EVENT_TYPES: dict[str, type[EventData]] = {
    cls.event_type: cls
    for cls in (
        StockChanged,
        StockLow,
        AvailableToSell,
        CountPosted,
        LotExpiring,
        DocumentStatusChanged,
        MoneyApplied,
        ScanRecorded,
        AuthChanged,
        WebhookDisabled,
    )
}


# ---- serialising and parsing ----------------------------------------------------------------------------


def serialize_event(ev: EventData) -> str:
    """The text stored in ``event.payload``."""
    return json.dumps(ev.to_payload(), separators=(",", ":"), ensure_ascii=False)


def parse_event(event_type: str, payload: Mapping[str, Any] | str) -> EventData:
    """The typed event of a journal row (``payload`` as stored, or already decoded)."""
    cls = EVENT_TYPES.get(event_type)
    if cls is None:
        raise EventFormatError(f"unknown event type {event_type!r}")
    if isinstance(payload, str):
        try:
            payload = json.loads(payload)
        except ValueError as exc:
            raise EventFormatError(f"{event_type}: payload is not JSON ({exc})") from None
    if not isinstance(payload, Mapping):
        raise EventFormatError(f"{event_type}: payload is not a JSON object")
    return cls.from_payload(payload)


# ---- field specs (computed once per class) -------------------------------------------------------------


@dataclass(frozen=True)
class _Field:
    name: str
    key: str
    types: tuple[type, ...]  # the accepted value types (without None)
    nullable: bool
    required: bool  # no default: always written, must be in the payload
    optional: bool  # default None: written only when not None

    def dump(self, value):
        return value.isoformat() if isinstance(value, date) else value

    def load(self, value, event_type: str):
        if value is None:
            if self.nullable:
                return None
        elif date in self.types:
            if isinstance(value, str):
                try:
                    return date.fromisoformat(value)
                except ValueError:
                    pass
        elif isinstance(value, self.types) and not (isinstance(value, bool) and bool not in self.types):
            return value
        raise EventFormatError(f"{event_type}: field {self.key!r} has {value!r}, not {self._expected()}")

    def _expected(self) -> str:
        names = " | ".join(t.__name__ for t in self.types)
        return f"{names} | None" if self.nullable else names


_SPECS: dict[type, tuple[_Field, ...]] = {}


def _fields(cls: type[EventData]) -> tuple[_Field, ...]:
    specs = _SPECS.get(cls)
    if specs is None:
        hints = typing.get_type_hints(cls)
        out = []
        for f in dataclasses.fields(cls):
            hint = hints[f.name]
            args = (
                typing.get_args(hint)
                if isinstance(hint, types.UnionType) or typing.get_origin(hint) is typing.Union
                else (hint,)
            )
            has_default = f.default is not dataclasses.MISSING or f.default_factory is not dataclasses.MISSING
            out.append(
                _Field(
                    f.name,
                    f.metadata.get("key", f.name),
                    tuple(a for a in args if a is not type(None)),
                    type(None) in args,
                    not has_default,
                    has_default and f.default is None,
                )
            )
        specs = _SPECS[cls] = tuple(out)
    return specs


__all__ = [
    "AUTH_CHANGED",
    "AVAILABLE_TO_SELL",
    "COUNT_POSTED",
    "DOCUMENT_FIELDS",
    "DOCUMENT_STATUS_CHANGED",
    "EVENT_TYPES",
    "LOT_EXPIRING",
    "MONEY_APPLIED",
    "SCAN_RECORDED",
    "STOCK_CHANGED",
    "STOCK_LOW",
    "WEBHOOK_DISABLED",
    "AuthChanged",
    "AvailableToSell",
    "CountPosted",
    "DocumentStatusChanged",
    "EventData",
    "EventFormatError",
    "LotExpiring",
    "MoneyApplied",
    "ScanRecorded",
    "StockChanged",
    "StockLow",
    "WebhookDisabled",
    "parse_event",
    "serialize_event",
]
