"""Supplier scorecards computed from the receipts that really happened, and a weighted ranking of
the suppliers of a product (供应商选择).

Over a period (receipt dates ``start``–``end`` inclusive):

* on-time rate: receipt lines of order lines with an expected date that arrived on or before it;
* acceptance rate: accepted ÷ received, weighted by value at the order price (so that kilograms and
  pieces can be summed);
* average lead time: days from order date to receipt date, over receipts against orders;
* price index: what the supplier charged for its products ÷ what the same quantities cost at the
  average price of all suppliers of those products in the period (1 = average, < 1 = cheaper).

Ranking score = Σ weight × component ÷ Σ weight over the components a supplier has data for, with
components in 0…1: on-time rate, acceptance rate, shortest lead time ÷ its lead time, lowest price ÷
its price (price from the price list valid at ``end``, else its average receipt price).
All arithmetic is Decimal or integer; results are rounded to 4 decimals.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from server.partners.models import supplier
from server.purchasing.common import value_fen
from server.purchasing.models import (
    goods_receipt,
    goods_receipt_line,
    preferred_supplier,
    purchase_order,
    supplier_price,
)
from server.purchasing.prices import valid_on
from server.purchasing.settings import load_purchase_settings

FOUR = Decimal("0.0001")


def _ratio(num, den) -> Decimal | None:
    return (Decimal(num) / Decimal(den)).quantize(FOUR) if den else None


@dataclass
class Scorecard:
    supplier_id: int
    receipts: int
    lines: int
    on_time_rate: Decimal | None
    acceptance_rate: Decimal | None
    average_lead_time_days: Decimal | None
    price_index: Decimal | None


async def _lines(conn: AsyncConnection, start: date, end: date, product_id: int | None = None):
    q = (
        select(
            goods_receipt.c.supplier_id,
            goods_receipt.c.id.label("receipt_id"),
            goods_receipt.c.receipt_date,
            purchase_order.c.order_date,
            goods_receipt_line.c.product_id,
            goods_receipt_line.c.received_qty,
            goods_receipt_line.c.accepted_qty,
            goods_receipt_line.c.unit_price_micro,
            goods_receipt_line.c.unit_factor,
            goods_receipt_line.c.on_time,
        )
        .join(goods_receipt, goods_receipt.c.id == goods_receipt_line.c.receipt_id)
        .outerjoin(purchase_order, purchase_order.c.id == goods_receipt.c.order_id)
        .where(goods_receipt.c.receipt_date >= start, goods_receipt.c.receipt_date <= end)
    )
    if product_id is not None:
        q = q.where(goods_receipt_line.c.product_id == product_id)
    return (await conn.execute(q)).all()


def _cards(rows) -> dict[int, Scorecard]:
    by_supplier = defaultdict(list)
    market_value: dict[int, int] = defaultdict(int)
    market_qty: dict[int, int] = defaultdict(int)
    for r in rows:
        by_supplier[r.supplier_id].append(r)
        market_value[r.product_id] += value_fen(r.received_qty, r.unit_price_micro, r.unit_factor)
        market_qty[r.product_id] += r.received_qty
    cards = {}
    for sid, lines in by_supplier.items():
        timed = [r.on_time for r in lines if r.on_time is not None]
        received = sum(value_fen(r.received_qty, r.unit_price_micro, r.unit_factor) for r in lines)
        accepted = sum(value_fen(r.accepted_qty, r.unit_price_micro, r.unit_factor) for r in lines)
        leads = {r.receipt_id: (r.receipt_date - r.order_date).days for r in lines if r.order_date is not None}
        paid = Decimal(received)
        at_market = sum(
            Decimal(r.received_qty) * market_value[r.product_id] / market_qty[r.product_id]
            for r in lines
            if market_qty[r.product_id]
        )
        cards[sid] = Scorecard(
            supplier_id=sid,
            receipts=len({r.receipt_id for r in lines}),
            lines=len(lines),
            on_time_rate=_ratio(sum(timed), len(timed)),
            acceptance_rate=_ratio(accepted, received),
            average_lead_time_days=_ratio(sum(leads.values()), len(leads)),
            price_index=(paid / at_market).quantize(FOUR) if at_market else None,
        )
    return cards


async def supplier_scorecard(conn: AsyncConnection, supplier_id: int, start: date, end: date) -> Scorecard:
    card = _cards(await _lines(conn, start, end)).get(supplier_id)
    return card or Scorecard(supplier_id, 0, 0, None, None, None, None)


@dataclass
class Ranking:
    supplier_id: int
    score: Decimal
    scorecard: Scorecard
    unit_price_micro: int | None  # per base unit: price list at ``end``, else average receipt price
    lead_time_days: Decimal | None
    preferred: bool


async def rank_suppliers(
    conn: AsyncConnection, product_id: int, start: date, end: date, weights: dict | None = None
) -> list[Ranking]:
    """The suppliers of ``product_id`` (a valid price or a receipt in the period), best first."""
    settings = await load_purchase_settings(conn)
    w = {k: Decimal(v) for k, v in (weights or settings.scorecard_weights).items()}
    rows = await _lines(conn, start, end)
    cards = _cards(rows)
    listed = {
        r.supplier_id: r
        for r in await conn.execute(
            select(supplier_price)
            .where(supplier_price.c.product_id == product_id, valid_on(end))
            .order_by(supplier_price.c.valid_from, supplier_price.c.id)
        )
    }
    received: defaultdict[int, list[int]] = defaultdict(lambda: [0, 0])  # supplier → [qty, value fen]
    for r in rows:
        if r.product_id == product_id:
            received[r.supplier_id][0] += r.received_qty
            received[r.supplier_id][1] += value_fen(r.received_qty, r.unit_price_micro, r.unit_factor)
    active = {sid for (sid,) in await conn.execute(select(supplier.c.id).where(supplier.c.active))}
    candidates = sorted((set(listed) | set(received)) & active)
    preferred = (
        await conn.execute(
            select(preferred_supplier.c.supplier_id).where(preferred_supplier.c.product_id == product_id)
        )
    ).scalar()
    prices, leads = {}, {}
    for sid in candidates:
        if sid in listed:
            prices[sid] = listed[sid].unit_price_micro
        elif received[sid][0]:  # fen per scaled qty → micro-yuan per base unit
            prices[sid] = received[sid][1] * 10_000 * 10**6 // received[sid][0]
        card = cards.get(sid)
        if card and card.average_lead_time_days is not None:
            leads[sid] = card.average_lead_time_days
        elif sid in listed:
            leads[sid] = Decimal(listed[sid].lead_time_days)
    best_price = min((p for p in prices.values() if p > 0), default=None)
    best_lead = min((d for d in leads.values()), default=None)
    out = []
    for sid in candidates:
        card = cards.get(sid) or Scorecard(sid, 0, 0, None, None, None, None)
        parts = {"on_time": card.on_time_rate, "acceptance": card.acceptance_rate}
        lead = leads.get(sid)
        if lead is not None and best_lead is not None:
            parts["lead_time"] = Decimal(1) if lead <= 0 else min(Decimal(1), max(best_lead, Decimal(0)) / lead)
        price = prices.get(sid)
        if price is not None and best_price is not None:
            parts["price"] = Decimal(1) if price <= 0 else Decimal(best_price) / Decimal(price)
        used = {k: v for k, v in parts.items() if v is not None and w.get(k, 0) > 0}
        total_w = sum(w[k] for k in used)
        score = (sum(w[k] * v for k, v in used.items()) / total_w).quantize(FOUR) if total_w else Decimal(0)
        out.append(Ranking(sid, score, card, price, lead, sid == preferred))
    out.sort(key=lambda r: (-r.score, not r.preferred, r.supplier_id))
    return out
