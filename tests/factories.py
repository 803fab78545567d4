"""Master data for tests, created through the real actions."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from server.catalog.services import AltUnitInput, BarcodeInput, ProductInput, do_create_product, do_create_unit
from server.inventory.warehouses import do_create_location, do_create_warehouse

_seq = itertools.count(1)


@dataclass
class World:
    pcs: int
    box: int
    kg: int
    wh1: int
    wh2: int
    a1: int
    a2: int
    b1: int


async def make_world(db) -> World:
    pcs = await do_create_unit(db, code="PCS", name="个", name_en="piece", precision=0)
    box = await do_create_unit(db, code="BOX12", name="箱", name_en="box of 12", precision=0)
    kg = await do_create_unit(db, code="KG", name="千克", name_en="kilogram", precision=3)
    wh1 = await do_create_warehouse(db, code="WH1", name="上海仓")
    wh2 = await do_create_warehouse(db, code="WH2", name="北京仓")
    a1 = await do_create_location(db, warehouse_id=wh1, code="WH1-A-01", name="A-01")
    a2 = await do_create_location(db, warehouse_id=wh1, code="WH1-A-02", name="A-02")
    b1 = await do_create_location(db, warehouse_id=wh2, code="WH2-B-01", name="B-01")
    return World(pcs, box, kg, wh1, wh2, a1, a2, b1)


async def make_product(
    db,
    world: World,
    *,
    unit: str = "pcs",
    tracking: str = "none",
    purchase_price: str = "10.00",
    barcodes: tuple[str, ...] = (),
) -> int:
    n = next(_seq)
    unit_id = getattr(world, unit)
    units = [AltUnitInput(unit_id=world.box, factor="12")] if unit == "pcs" else []
    return await do_create_product(
        db,
        ProductInput(
            sku=f"SKU-{n:05d}",
            name=f"测试商品 {n}",
            base_unit_id=unit_id,
            purchase_price=purchase_price,
            sale_price="20.00",
            tracking=tracking,
            units=units,
            barcodes=[BarcodeInput(code=c) for c in barcodes],
        ),
    )
