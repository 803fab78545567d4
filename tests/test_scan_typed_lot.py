"""Lots and expiry dates typed on the device (issue #18): a plain EAN on a lot-tracked product is
refused with LOT_REQUIRED until the worker types the lot; the typed lot and expiry reach the receipt;
they fill what a label lacks and never override what it carries; a typed lot is GS1 text (set 82,
1–20 characters); a batch takes them per scan."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from server.catalog.services import BarcodeInput, ProductInput, do_create_product
from server.core import clock
from server.inventory.models import lot, stock_level
from tests.purchasing_helpers import make_purchasing_world
from tests.scan_gql import Handheld
from tests.test_scan_refusals import purchase_order_for

pytestmark = pytest.mark.dates

LOT_EAN = "9521234000013"

SCAN = """mutation($s: ID!, $c: String!, $k: String!, $lot: String, $exp: Date) {
  scan(sessionId: $s, code: $c, scanId: $k, lot: $lot, expiryDate: $exp) {
    answer { ok message } errors { field code message } } }"""

BATCH = """mutation($s: ID!, $scans: [ScanItemInput!]!) {
  scanBatch(sessionId: $s, scans: $scans) {
    results { scanId answer { ok } errors { field code message } } errors { code } } }"""


async def _lot_product(db, pw) -> int:
    return await do_create_product(
        db,
        ProductInput(
            sku="LOT-T",
            name="手输批次",
            base_unit_id=pw.w.pcs,
            tracking="lot",
            purchase_price="3",
            barcodes=[BarcodeInput(code=LOT_EAN)],
        ),
    )


async def _typed(gun: Handheld, code: str, lot_code: str | None = None, expiry=None) -> tuple[dict | None, list]:
    variables = {"s": gun.session, "c": code, "k": gun.next_id(), "lot": lot_code}
    variables["exp"] = expiry.isoformat() if expiry else None
    body = (await gun.call(SCAN, variables))["scan"]
    return body["answer"], body["errors"]


async def test_a_typed_lot_and_expiry_complete_a_plain_ean(gql):
    db = gql.db
    pw = await make_purchasing_world(db)
    item = await _lot_product(db, pw)
    expiry = clock.today() + timedelta(days=90)
    gun = Handheld(gql)
    await gun.start("RECEIVE", await purchase_order_for(db, pw, (item, "10")), "WH1-A-01")

    answer, errors = await _typed(gun, LOT_EAN)
    assert answer is None and [e["code"] for e in errors] == ["LOT_REQUIRED"]
    answer, errors = await _typed(gun, LOT_EAN, "B-2026-11", expiry)
    assert errors == [] and answer["ok"], errors
    answer, errors = await _typed(gun, LOT_EAN, "B-2026-11")  # the same lot again: its expiry is on file
    assert errors == [] and answer["ok"], errors
    number, errors = await gun.complete()
    assert number and errors == []

    async with db.read() as conn:
        row = (await conn.execute(select(lot.c.code, lot.c.expiry_date).where(lot.c.product_id == item))).one()
        held = (
            await conn.execute(
                select(stock_level.c.qty).join(lot, lot.c.id == stock_level.c.lot_id).where(lot.c.product_id == item)
            )
        ).scalar_one()
    assert (row.code, row.expiry_date) == ("B-2026-11", expiry)
    assert held == 2 * 10**6


async def test_typed_values_never_override_the_label_and_are_gs1_text(gql):
    db = gql.db
    pw = await make_purchasing_world(db)
    item = await _lot_product(db, pw)
    soon = clock.today() + timedelta(days=30)
    labelled = f"]C1010{LOT_EAN}17{soon:%y%m%d}10L-1"
    gun = Handheld(gql)
    await gun.start("RECEIVE", await purchase_order_for(db, pw, (item, "10")), "WH1-A-01")

    _, errors = await _typed(gun, labelled, "L-2")
    assert [(e["field"], e["code"]) for e in errors] == [("lot", "INVALID_VALUE")]
    assert "L-1" in errors[0]["message"]
    _, errors = await _typed(gun, labelled, None, soon + timedelta(days=1))
    assert [(e["field"], e["code"]) for e in errors] == [("expiryDate", "INVALID_VALUE")]
    answer, errors = await _typed(gun, labelled, "L-1", soon)  # the same as the label: fine
    assert errors == [] and answer["ok"]

    for bad in ("X" * 21, "A#1", "批号"):
        _, errors = await _typed(gun, LOT_EAN, bad)
        assert [(e["field"], e["code"]) for e in errors] == [("lot", "INVALID_VALUE")], bad
    _, errors = await _typed(gun, "WH1-A-01", "L-1")  # a bin has no lot
    assert [(e["field"], e["code"]) for e in errors] == [("lot", "INVALID_VALUE")]

    body = (
        await gun.call(
            BATCH,
            {
                "s": gun.session,
                "scans": [
                    {"code": LOT_EAN, "scanId": gun.next_id(), "lot": "L-1"},
                    {"code": LOT_EAN, "scanId": gun.next_id(), "lot": "X" * 21},
                ],
            },
        )
    )["scanBatch"]
    first, second = body["results"]
    assert first["answer"]["ok"] and first["errors"] == []
    assert [(e["field"], e["code"]) for e in second["errors"]] == [("scans.1.lot", "INVALID_VALUE")]
    number, errors = await gun.complete()
    assert number and errors == []
    async with db.read() as conn:
        assert (
            await conn.execute(
                select(stock_level.c.qty).join(lot, lot.c.id == stock_level.c.lot_id).where(lot.c.code == "L-1")
            )
        ).scalar_one() == 2 * 10**6
