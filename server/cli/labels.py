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
    labels.add_argument("--kind", default="ean13", help="products: ean13 | code128 | gs1_128 | qr | datamatrix")
    labels.add_argument("--layout", default="a4_3x8", help="a4_3x8 | 50x30 | 60x40 | 100x50")
    labels.add_argument(
        "--dpi",
        type=int,
        choices=(203, 300, 600),
        help="the printer's resolution (default: 300 for A4 sheets, 203 for label rolls)",
    )
    labels.add_argument("--warehouse", help="locations: only this warehouse (code)")
    labels.add_argument("-o", "--output", required=True, help="a .pdf, or a .zpl for a label printer")


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
    from server.scanning.errors import ScanningError

    async with db.read() as conn:
        if args.what == "products":
            ids = [
                r.id for r in await conn.execute(select(product.c.id).where(product.c.active).order_by(product.c.sku))
            ]
        else:
            q = (
                select(location.c.id)
                .join(warehouse, warehouse.c.id == location.c.warehouse_id)
                .where(location.c.active, location.c.kind == "bin")
                .order_by(location.c.code)
            )
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
    layout = labels.LAYOUTS.get(args.layout)
    if layout is not None:  # a label that does not fit the layout is named and left out, the rest print
        dpi = args.dpi or (203 if args.output.lower().endswith(".zpl") else layout.default_dpi)
        fitting = []
        for item in items:
            try:
                labels.plan(item, layout, dpi)
                fitting.append(item)
            except ScanningError as exc:
                print(f"skipped {item.title}: {exc.details[0].message('en')}", file=sys.stderr)
        items[:] = fitting
    if args.output.lower().endswith(".zpl"):
        from server.scanning import zpl

        Path(args.output).write_text(zpl.labels_zpl(items, args.layout, args.dpi or 203), encoding="utf-8")
    else:
        Path(args.output).write_bytes(labels.labels_pdf(items, args.layout, args.dpi))
    return len(items)
