"""Import → export → import changes nothing (issue #19): for generated products, customers and
suppliers — odd texts (commas, quotes, line breaks, CJK, spaces around), optional cells, prices and
rates at their precision — the exported file imports again as all unchanged, in CSV and XLSX, and
exporting once more gives the same file."""

from __future__ import annotations

import asyncio
import csv
import io
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from server.catalog.services import do_create_category, do_create_unit
from server.core.database import Database
from server.imports.partners import export_partners, import_partners
from server.imports.products import export_products, import_products

# printable text as a spreadsheet holds it: no control characters, no leading/trailing spaces (the
# import strips them, so they cannot round-trip and are not meant to)
_CHARS = st.characters(
    codec="utf-8", categories=("L", "N", "P", "S", "Zs"), exclude_characters="\u2028\u2029\x85\ufeff"
)
_text = st.text(_CHARS, min_size=1, max_size=30).map(str.strip).filter(bool)
_code = st.text(st.sampled_from("ABCDEFGHJKMNPQRSTUVWXYZ0123456789-_."), min_size=1, max_size=12)
_money = st.decimals(min_value=0, max_value=Decimal("99999.99"), places=2).map(str)
_rate = st.sampled_from(["0", "0.03", "0.06", "0.09", "0.13"])


def _csv(header: list[str], rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows([header, *rows])
    return out.getvalue().encode()


products = st.lists(
    st.tuples(_code, _text, st.one_of(st.just(""), _text), st.sampled_from(["PCS", "KG"]), _money, _money, _rate),
    min_size=1,
    max_size=8,
    unique_by=lambda r: r[0],
)
partners = st.lists(
    st.tuples(_code, _text, st.one_of(st.just(""), _text), st.one_of(st.just(""), _text), st.integers(0, 365)),
    min_size=1,
    max_size=8,
    unique_by=lambda r: r[0],
)


async def _round_trip(url: str, product_rows, partner_rows) -> None:
    db = Database(url)
    try:
        await do_create_unit(db, code="PCS", name="个", precision=0)
        await do_create_unit(db, code="KG", name="千克", precision=3)
        await do_create_category(db, code="GEN", name="通用")
        header = ["sku", "name", "spec", "unit", "purchase_price", "sale_price", "vat_rate"]
        first = await import_products(db, _csv(header, [list(r) for r in product_rows]), "p.csv", commit=True)
        assert first.errors == [] and first.created == len(product_rows), first.errors
        for fmt in ("csv", "xlsx"):
            exported = await export_products(db, fmt)
            again = await import_products(db, exported, f"p.{fmt}", commit=True)
            assert (again.errors, again.created, again.updated) == ([], 0, 0), (fmt, again.errors)
            assert again.unchanged == len(product_rows)
        assert await export_products(db, "csv") == await export_products(db, "csv")

        for kind in ("customer", "supplier"):
            header = ["code", "name", "contact_name", "address", "payment_terms_days"]
            rows = [[c, n, contact, addr, str(days)] for c, n, contact, addr, days in partner_rows]
            first = await import_partners(db, kind, _csv(header, rows), "c.csv", commit=True)
            assert first.errors == [] and first.created == len(rows), first.errors
            for fmt in ("csv", "xlsx"):
                exported = await export_partners(db, kind, fmt)
                again = await import_partners(db, kind, exported, f"c.{fmt}", commit=True)
                assert (again.errors, again.created, again.updated) == ([], 0, 0), (kind, fmt, again.errors)
                assert again.unchanged == len(rows)
    finally:
        await db.dispose()


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(product_rows=products, partner_rows=partners)
def test_import_export_import_changes_nothing(test_databases, product_rows, partner_rows):
    url = test_databases.fresh_url()
    asyncio.run(test_databases.reset(url))
    asyncio.run(_round_trip(url, product_rows, partner_rows))
