"""The typed journal events (``server/events/types.py``): every event emitted anywhere in ``server/`` is
declared there (checked on the source with ``ast``), each round-trips through the stored JSON format
byte for byte, payloads as the journal already holds them still parse, a payload that does not fit is
refused (and set aside by the poster, passed over by the tailer), and the finance poster links a stock
operation to its document by id (with the documented fallback by number)."""

from __future__ import annotations

import ast
import json
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, update

from server.core import clock
from server.core.clock import utcnow
from server.events import types
from server.events.bus import JournalEvent, _matches
from server.events.journal import _build_append, last_sequence
from server.events.types import (
    DOCUMENT_FIELDS,
    EVENT_TYPES,
    AuthChanged,
    AvailableToSell,
    CountPosted,
    DocumentStatusChanged,
    EventData,
    EventFormatError,
    LotExpiring,
    MoneyApplied,
    ScanRecorded,
    StockChanged,
    StockLow,
    WebhookDisabled,
    parse_event,
    serialize_event,
)
from server.finance.models import poster_failure, voucher
from server.finance.poster import post_pending
from server.inventory.models import stock_operation
from server.inventory.services import StockLine, do_receive_stock
from server.partners.services import PartnerInput, do_create_partner
from server.purchasing.models import goods_receipt
from server.sales.models import shipment
from tests.finance_helpers import assert_books_clean, buy, sell, setup_books, vouchers_of
from tests.purchasing_helpers import make_purchasing_world

ROOT = Path(__file__).resolve().parent.parent
TODAY = clock.today()
EVENT_CLASSES = {
    cls.__name__: cls
    for cls in vars(types).values()
    if isinstance(cls, type) and issubclass(cls, EventData) and cls is not EventData
}


# ---- the source: every emitted event is declared ----------------------------------------------------------


def _modules():
    for top in ("server", "schema"):
        for path in sorted((ROOT / top).rglob("*.py")):
            yield path, ast.parse(path.read_text(encoding="utf-8"), str(path))


def _callee(node: ast.Call) -> str | None:
    f = node.func
    return f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else None


def test_every_event_emitted_in_server_is_declared_in_the_types_module():
    types_path = ROOT / "server" / "events" / "types.py"
    names = set(EVENT_TYPES)
    built: dict[str, list[str]] = {}
    problems = []
    for path, tree in _modules():
        where = path.relative_to(ROOT)
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.ClassDef)
                and path != types_path
                and any(
                    (b.id if isinstance(b, ast.Name) else getattr(b, "attr", "")) in set(EVENT_CLASSES) | {"EventData"}
                    for b in node.bases
                )
            ):
                problems.append(f"{where}:{node.lineno}: event class {node.name} outside server/events/types.py")
            if isinstance(node, (ast.Name, ast.Attribute, ast.alias)):
                name = (
                    node.id
                    if isinstance(node, ast.Name)
                    else node.attr
                    if isinstance(node, ast.Attribute)
                    else node.name
                )
                if name == "NewEvent":
                    problems.append(f"{where}:{node.lineno}: an untyped NewEvent")
            if (
                isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and node.value in names
                and path != types_path
            ):
                problems.append(
                    f"{where}:{node.lineno}: the event name {node.value!r} spelled out; import it "
                    f"from server/events/types.py"
                )
            if not isinstance(node, ast.Call):
                continue
            callee = _callee(node)
            if callee in EVENT_CLASSES:
                built.setdefault(callee, []).append(f"{where}:{node.lineno}")
            if callee == "append_events" and len(node.args) == 2 and isinstance(node.args[1], ast.List):
                for item in node.args[1].elts:
                    if not (isinstance(item, ast.Call) and _callee(item) in EVENT_CLASSES):
                        problems.append(
                            f"{where}:{node.lineno}: append_events with something that is not a typed event"
                        )
            if callee == "status_event":
                extras = {k.arg for k in node.keywords}
                unknown = extras - {f.name for f in DocumentStatusChanged.__dataclass_fields__.values()}
                if unknown:
                    problems.append(f"{where}:{node.lineno}: status_event with undeclared fields {unknown}")
                doc_type = node.args[1] if len(node.args) > 1 else None
                if (
                    isinstance(doc_type, ast.Constant)
                    and doc_type.value in DOCUMENT_FIELDS
                    and set(DOCUMENT_FIELDS[doc_type.value]) - extras  # always written: always given
                ):
                    problems.append(
                        f"{where}:{node.lineno}: {doc_type.value} status event without "
                        f"{set(DOCUMENT_FIELDS[doc_type.value]) - extras}"
                    )
    assert problems == []
    # every declared event type is emitted somewhere (status changes also through documents.actions.status_event)
    assert set(built) == set(EVENT_CLASSES), set(EVENT_CLASSES) - set(built)
    assert {cls.event_type for cls in EVENT_CLASSES.values()} == names
    assert all(EVENT_TYPES[cls.event_type] is cls for cls in EVENT_CLASSES.values())


def test_the_domain_modules_re_export_the_names():
    from server.auth import services
    from server.events import journal
    from server.inventory import counts, lots, reorder
    from server.scanning import sessions

    assert (journal.STOCK_CHANGED, journal.DOCUMENT_STATUS_CHANGED, journal.MONEY_APPLIED) == (
        "stock.changed",
        "document.status_changed",
        "money.applied",
    )
    assert (
        reorder.STOCK_LOW,
        lots.LOT_EXPIRING,
        counts.COUNT_POSTED,
        sessions.SCAN_RECORDED,
        services.AUTH_CHANGED,
    ) == ("stock.low", "lot.expiring", "stock.count_posted", "scan.recorded", "auth.changed")


# ---- the stored format: byte for byte what the journal holds --------------------------------------------

# (event, the payload text the journal has always stored for it)
SAMPLES = [
    (
        StockChanged(
            product_id=7,
            location_id=3,
            warehouse_id=1,
            lot_id=None,
            delta=2000000,
            quantity=5000000,
            move_id=41,
            operation_id=17,
            move_type="receipt",
        ),
        '{"product_id":7,"location_id":3,"warehouse_id":1,"lot_id":null,"delta":2000000,"quantity":5000000,'
        '"move_id":41,"operation_id":17,"move_type":"receipt"}',
    ),
    (
        StockChanged(
            product_id=7,
            location_id=3,
            warehouse_id=1,
            lot_id=9,
            delta=-1000000,
            quantity=0,
            move_id=42,
            operation_id=18,
            move_type="issue",
        ),
        '{"product_id":7,"location_id":3,"warehouse_id":1,"lot_id":9,"delta":-1000000,"quantity":0,"move_id":42,'
        '"operation_id":18,"move_type":"issue"}',
    ),
    (
        StockLow(product_id=7, warehouse_id=1, available=1000000, min_qty=5000000, max_qty=20000000),
        '{"product_id":7,"warehouse_id":1,"available":1000000,"min":5000000,"max":20000000}',
    ),
    (
        CountPosted(count_id=2, number="SC20260615-0001", warehouse_id=1, gain_fen=1200, loss_fen=-350),
        '{"count_id":2,"number":"SC20260615-0001","warehouse_id":1,"gain_fen":1200,"loss_fen":-350}',
    ),
    (
        LotExpiring(lot_id=4, product_id=7, code="L2026-06", expiry_date=date(2026, 7, 1), warehouse_id=1),
        '{"lot_id":4,"product_id":7,"code":"L2026-06","expiry_date":"2026-07-01","warehouse_id":1}',
    ),
    (
        MoneyApplied(
            side="payable", money_id=3, party_id=2, amount_fen=13560, on=date(2026, 6, 15), number="PAY20260615-0003"
        ),
        '{"side":"payable","money_id":3,"party_id":2,"amount_fen":13560,"date":"2026-06-15",'
        '"number":"PAY20260615-0003"}',
    ),
    (
        ScanRecorded(session_id=5, scan_id="gun7-0001", message_zh="牛奶 250ml: 2", message_en="Milk 250ml: 2"),
        '{"session_id":5,"scan_id":"gun7-0001","message_zh":"牛奶 250ml: 2","message_en":"Milk 250ml: 2"}',
    ),
    (AuthChanged(reason="logout"), '{"reason":"logout"}'),
    (AuthChanged(reason="user.disable", user_id=4), '{"reason":"user.disable","user_id":4}'),
    (AuthChanged(reason="token.revoke", token_id=2), '{"reason":"token.revoke","token_id":2}'),
    # status changes: the extras each document type writes, in its order (null included)
    (
        DocumentStatusChanged(
            doc_type="goods_receipt",
            id=1,
            number="GR20260615-0001",
            from_status="",
            to_status="posted",
            actor="user:cangguan",
            inspection_number="QC20260615-0001",
            order_id=None,
            warehouse_id=1,
        ),
        '{"doc_type":"goods_receipt","id":1,"number":"GR20260615-0001","from":"","to":"posted",'
        '"actor":"user:cangguan","inspection_number":"QC20260615-0001","order_id":null,"warehouse_id":1}',
    ),
    (
        DocumentStatusChanged(
            doc_type="shipment",
            id=2,
            number="SH20260615-0002",
            from_status="",
            to_status="posted",
            actor="user:cangguan",
            warehouse_id=1,
            order_id=6,
        ),
        '{"doc_type":"shipment","id":2,"number":"SH20260615-0002","from":"","to":"posted","actor":"user:cangguan",'
        '"warehouse_id":1,"order_id":6}',
    ),
    (
        DocumentStatusChanged(
            doc_type="sales_return",
            id=1,
            number="SR20260615-0001",
            from_status="",
            to_status="posted",
            actor="user:cangguan",
            warehouse_id=1,
            credit_note_id=None,
        ),
        '{"doc_type":"sales_return","id":1,"number":"SR20260615-0001","from":"","to":"posted",'
        '"actor":"user:cangguan","warehouse_id":1,"credit_note_id":null}',
    ),
    (
        DocumentStatusChanged(
            doc_type="purchase_return",
            id=1,
            number="PR20260615-0001",
            from_status="",
            to_status="posted",
            actor="user:cangguan",
            debit_note_id=4,
        ),
        '{"doc_type":"purchase_return","id":1,"number":"PR20260615-0001","from":"","to":"posted",'
        '"actor":"user:cangguan","debit_note_id":4}',
    ),
    (
        DocumentStatusChanged(
            doc_type="supplier_payment",
            id=3,
            number="PAY20260615-0003",
            from_status="",
            to_status="posted",
            actor="user:chuna",
            allocated_fen=0,
        ),
        '{"doc_type":"supplier_payment","id":3,"number":"PAY20260615-0003","from":"","to":"posted",'
        '"actor":"user:chuna","allocated_fen":0}',
    ),
    (
        DocumentStatusChanged(
            doc_type="sales_invoice",
            id=8,
            number="INV20260615-0008",
            from_status="",
            to_status="open",
            actor="user:kuaiji",
            kind="credit_note",
        ),
        '{"doc_type":"sales_invoice","id":8,"number":"INV20260615-0008","from":"","to":"open","actor":"user:kuaiji",'
        '"kind":"credit_note"}',
    ),
    (
        DocumentStatusChanged(
            doc_type="sales_invoice",
            id=8,
            number="INV20260615-0008",
            from_status="open",
            to_status="paid",
            actor="user:chuna",
        ),
        '{"doc_type":"sales_invoice","id":8,"number":"INV20260615-0008","from":"open","to":"paid",'
        '"actor":"user:chuna"}',
    ),
    (
        DocumentStatusChanged(
            doc_type="supplier_bill",
            id=4,
            number="DN20260615-0001",
            from_status="",
            to_status="open",
            actor="user:cangguan",
            kind="debit_note",
        ),
        '{"doc_type":"supplier_bill","id":4,"number":"DN20260615-0001","from":"","to":"open",'
        '"actor":"user:cangguan","kind":"debit_note"}',
    ),
    (
        DocumentStatusChanged(
            doc_type="purchase_order",
            id=9,
            number="PO20260615-0009",
            from_status="submitted",
            to_status="approved",
            actor="user:laozhang",
            warehouse_id=2,
        ),
        '{"doc_type":"purchase_order","id":9,"number":"PO20260615-0009","from":"submitted","to":"approved",'
        '"actor":"user:laozhang","warehouse_id":2}',
    ),
    (
        DocumentStatusChanged(
            doc_type="expense_bill",
            id=1,
            number="EX20260615-0001",
            from_status="submitted",
            to_status="approved",
            actor="user:zhuguan",
        ),
        '{"doc_type":"expense_bill","id":1,"number":"EX20260615-0001","from":"submitted","to":"approved",'
        '"actor":"user:zhuguan"}',
    ),
    (
        WebhookDisabled(
            endpoint_id=3, name="ERP", url="https://erp.example/hook", owner="user:admin", reason="HTTP 500"
        ),
        '{"endpoint_id":3,"name":"ERP","url":"https://erp.example/hook","owner":"user:admin","reason":"HTTP 500"}',
    ),
    (
        AvailableToSell(
            product_id=7, warehouse_id=1, on_hand=5000000, reserved=2000000, safety=4000000, net=-1000000, previous=0
        ),
        '{"product_id":7,"warehouse_id":1,"on_hand":5000000,"reserved":2000000,"safety":4000000,"net":-1000000,'
        '"previous":0}',
    ),
]


def test_the_samples_cover_every_event_type_and_document_type_with_extras():
    assert {type(ev) for ev, _ in SAMPLES} == set(EVENT_CLASSES.values())
    covered = {ev.doc_type for ev, _ in SAMPLES if isinstance(ev, DocumentStatusChanged)}
    assert {"goods_receipt", "shipment", "sales_return", "purchase_return", "supplier_payment"} <= covered


@pytest.mark.parametrize("ev, stored", SAMPLES, ids=[f"{type(e).__name__}-{i}" for i, (e, _) in enumerate(SAMPLES)])
def test_round_trip_byte_for_byte(ev, stored):
    assert serialize_event(ev) == stored
    assert parse_event(ev.event_type, stored) == ev
    assert parse_event(ev.event_type, json.loads(stored)) == ev  # as read_events hands it over
    assert serialize_event(parse_event(ev.event_type, stored)) == stored


def test_the_journal_product_column():
    assert [ev.journal_product_id for ev, _ in SAMPLES[:5]] == [7, 7, 7, None, 7]
    assert AuthChanged("logout").journal_product_id is None


def test_old_payloads_still_parse():
    # a status change as a writer before ``actor`` was always there, with a key no class knows
    old = parse_event(
        "document.status_changed",
        {"doc_type": "supplier_bill", "id": 3, "number": "BILL-3", "from": "", "to": "open", "legacy": 1},
    )
    assert old == DocumentStatusChanged("supplier_bill", 3, "BILL-3", "", "open", actor="")
    # a payment's status change without allocated_fen: the poster falls back to the payment row
    pay = parse_event(
        "document.status_changed",
        '{"doc_type":"supplier_payment","id":1,"number":"P1","from":"","to":"posted","actor":"x"}',
    )
    assert pay.allocated_fen is None and pay.actor == "x"
    # an auth event of the first kind, before it named a user or token
    assert parse_event("auth.changed", {"reason": "logout"}) == AuthChanged("logout")
    applied = parse_event(
        "money.applied",
        {"side": "receivable", "money_id": 2, "party_id": 1, "amount_fen": 500, "date": "2026-05-31", "number": "RC-2"},
    )
    assert applied.on == date(2026, 5, 31) and applied.side == "receivable"


@pytest.mark.parametrize(
    "event_type, payload, message",
    [
        ("stock.changed", {"product_id": 1}, "missing field 'location_id'"),
        ("stock.changed", dict(json.loads(SAMPLES[0][1]), delta="2"), "field 'delta' has '2'"),
        ("stock.changed", dict(json.loads(SAMPLES[0][1]), operation_id=True), "field 'operation_id' has True"),
        ("stock.changed", dict(json.loads(SAMPLES[0][1]), location_id=None), "field 'location_id' has None"),
        ("lot.expiring", dict(json.loads(SAMPLES[4][1]), expiry_date="31.12.2026"), "expiry_date"),
        ("money.applied", "[1, 2]", "not a JSON object"),
        ("money.applied", "{", "not JSON"),
        ("no.such_event", {}, "unknown event type"),
    ],
)
def test_payloads_that_do_not_fit_are_refused(event_type, payload, message):
    with pytest.raises(EventFormatError, match=message.replace("(", r"\(")):
        parse_event(event_type, payload)
    assert issubclass(EventFormatError, ValueError)  # the poster's "deterministic": set aside, never a stop


def test_the_tailer_passes_over_a_row_that_does_not_fit():
    bad = JournalEvent(5, "stock.changed", utcnow(), {"product_id": 1})
    good = JournalEvent(6, "stock.changed", utcnow(), json.loads(SAMPLES[0][1]))

    def predicate(ev):
        return ev.event_type == "stock.changed" and ev.data.warehouse_id == 1

    assert not _matches(predicate, bad)
    assert _matches(predicate, good) and good.data is good.data  # parsed once, shared


# ---- the poster reads typed events --------------------------------------------------------------------------


async def _append_raw(db, event_type: str, payload: str) -> int:
    async with db.write() as conn:
        await conn.execute(
            _build_append(None),
            {"b_type": event_type, "b_product_id": None, "b_payload": payload, "b_created_at": utcnow()},
        )
    async with db.read() as conn:
        return await last_sequence(conn)


async def test_a_row_that_does_not_fit_its_type_is_set_aside_and_the_poster_goes_on(db):
    await setup_books(db)
    pw = await make_purchasing_world(db)
    bad = await _append_raw(db, "stock.changed", '{"product_id":1,"move_type":"receipt"}')
    await _append_raw(db, "scan.recorded", '{"session_id":1}')  # books nothing: not even read
    res = await do_receive_stock(
        db, [StockLine(product_id=pw.widget, quantity="2", location_id=pw.w.a1, unit_cost="10.00")]
    )
    await post_pending(db)
    async with db.read() as conn:
        [failure] = (await conn.execute(select(poster_failure))).all()
        keys = list((await conn.execute(select(voucher.c.source_key))).scalars())
    assert (failure.seq, failure.event_type, failure.waiting_for) == (bad, "stock.changed", None)
    assert "EventFormatError" in failure.error and "missing field" in failure.error
    assert keys == [f"stock_operation:{res.operation_id}"]


async def test_a_shipment_voucher_links_its_shipment_by_id(db):
    await setup_books(db)
    pw = await make_purchasing_world(db)
    await do_receive_stock(db, [StockLine(product_id=pw.widget, quantity="10", location_id=pw.w.a1, unit_cost="10.00")])
    customer = await do_create_partner(db, "customer", PartnerInput(code="C900", name="华联超市"))
    ship_date = TODAY - timedelta(days=1)  # the voucher takes the shipment's date, not the operation's
    _so, sh, _inv = await sell(db, pw.w, customer, pw.widget, "2", "20.00", pw.w.a1, ship_date)
    async with db.write() as conn:
        op_id = (await conn.execute(select(shipment.c.operation_id).where(shipment.c.id == sh))).scalar_one()
        # the operation's reference no longer names the shipment: only the id links them
        await conn.execute(update(stock_operation).where(stock_operation.c.id == op_id).values(reference="MOVED"))
    [v] = await vouchers_of(db, "shipment")
    assert (v.source_key, v.source_id, v.document_date, v.source_number) == (
        f"stock_operation:{op_id}",
        sh,
        ship_date,
        "MOVED",
    )
    await assert_books_clean(db)


async def test_an_operation_no_document_links_to_falls_back_to_the_document_number(db):
    """The documented fallback: a goods receipt whose operation_id is not set (the column is nullable)
    is found by the operation's reference, its number — as before."""
    await setup_books(db)
    pw = await make_purchasing_world(db)
    _po, rc, _rl = await buy(db, pw, pw.widget, "5", "12.00", pw.w.a1, TODAY - timedelta(days=2))
    async with db.write() as conn:
        await conn.execute(update(goods_receipt).where(goods_receipt.c.id == rc).values(operation_id=None))
    [v] = await vouchers_of(db, "goods_receipt")
    assert (v.source_id, v.document_date) == (rc, TODAY - timedelta(days=2))
    await assert_books_clean(db)
