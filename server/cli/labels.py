"""``jxc labels products|locations``: barcode label sheets as a PDF."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from server.cli.common import with_db

COMMANDS = ("labels",)


def add_parser(sub) -> None:
    labels = sub.add_parser("labels", help="print barcode labels to a PDF (products or bins)")
    labels.add_argument("what", choices=["products", "locations"])
    labels.add_argument("--kind", default="ean13", help="products: ean13 | code128 | gs1_128 | qr")
    labels.add_argument("--layout", default="a4_3x8", help="a4_3x8 | 50x30")
    labels.add_argument("--warehouse", help="locations: only this warehouse (code)")
    labels.add_argument("-o", "--output", required=True)


def run(args, settings) -> int:
    count = asyncio.run(with_db(settings, lambda db: _labels(db, args)))
    print(f"{count} label(s) → {args.output}")
    return 0


async def _labels(db, args) -> int:
    """All active products (or bins) on label sheets, with a progress bar on stderr."""
    from sqlalchemy import select

    from server.catalog.models import product
    from server.inventory.models import location, warehouse
    from server.scanning import labels

    async with db.read() as conn:
        if args.what == "products":
            ids = [r.id for r in await conn.execute(select(product.c.id).where(product.c.active).order_by(product.c.sku))]
        else:
            q = select(location.c.id).join(warehouse, warehouse.c.id == location.c.warehouse_id).where(
                location.c.active, location.c.kind == "bin").order_by(location.c.code)
            if args.warehouse:
                q = q.where(warehouse.c.code == args.warehouse)
            ids = [r.id for r in await conn.execute(q)]
        items = []
        for n, pk in enumerate(ids, start=1):
            if args.what == "products":
                try:
                    items.append(await labels.product_label(conn, pk, args.kind))
                except Exception as exc:  # a product without a GTIN gets no EAN label: say so, go on
                    print(f"\nskipped product {pk}: {exc}", file=sys.stderr)
            else:
                items.append(await labels.location_label(conn, pk))
            done = n * 30 // max(len(ids), 1)
            print(f"\r[{'#' * done}{'.' * (30 - done)}] {n}/{len(ids)}", end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)
    Path(args.output).write_bytes(labels.labels_pdf(items, args.layout))
    return len(items)
