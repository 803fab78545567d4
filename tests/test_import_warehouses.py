"""Import and export of warehouses and bins (issue #19, server/imports/warehouses.py): dry run, commit all
or nothing, matched by code, the same file twice changes nothing, export → import round-trips."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from server.imports.errors import DataImportError
from server.imports.templates import template
from server.imports.warehouses import export_warehouses, import_warehouses
from server.inventory.models import location, warehouse
from server.inventory.warehouses import do_create_location, do_create_warehouse, do_set_warehouse_active
from tests.purchasing_helpers import principal

WAREHOUSES = "code,name,address\nSH01,上海仓,上海市浦东新区\nBJ01,北京仓,\n"
BINS = (
    "warehouse,code,name,parent,sort_order\n"
    "SH01,SH01-A,A 区,,1\n"
    "SH01,SH01-A-01,A 区 1 排,SH01-A,2\n"
    "BJ01,BJ01-01,北京 1 号,,\n"
)


async def _count(db, table) -> int:
    async with db.read() as conn:
        return (await conn.execute(select(func.count()).select_from(table).where(True))).scalar_one()


async def _bins(db) -> dict[str, tuple]:
    async with db.read() as conn:
        rows = list(await conn.execute(select(location).where(location.c.kind == "bin")))
    code_of = {r.id: r.code for r in rows}
    return {r.code: (r.name, code_of.get(r.parent_id), r.sort_order) for r in rows}


async def test_warehouses_then_bins_dry_run_commit_and_again_unchanged(db):
    before = (await _count(db, warehouse), await _count(db, location))
    dry = await import_warehouses(db, "warehouses", WAREHOUSES.encode(), "w.csv")
    assert (dry.errors, dry.created, dry.committed) == ([], 2, False)
    assert (await _count(db, warehouse), await _count(db, location)) == before
    done = await import_warehouses(db, "warehouses", WAREHOUSES.encode(), "w.csv", commit=True)
    assert (done.errors, done.created, done.committed) == ([], 2, True)
    again = await import_warehouses(db, "warehouses", WAREHOUSES.encode(), "w.csv", commit=True)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)

    bins = await import_warehouses(db, "bins", BINS.encode(), "b.csv", commit=True)
    assert (bins.errors, bins.created) == ([], 3)
    assert await _bins(db) == {
        "SH01-A": ("A 区", None, 1),
        "SH01-A-01": ("A 区 1 排", "SH01-A", 2),
        "BJ01-01": ("北京 1 号", None, 0),
    }
    again = await import_warehouses(db, "bins", BINS.encode(), "b.csv", commit=True)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 3)
    renamed = BINS.replace("A 区 1 排,SH01-A,2", "A 区第 1 排,SH01-A,5")
    changed = await import_warehouses(db, "bins", renamed.encode(), "b.csv", commit=True)
    assert (changed.created, changed.updated, changed.unchanged) == (0, 1, 2)
    assert (await _bins(db))["SH01-A-01"] == ("A 区第 1 排", "SH01-A", 5)


async def test_every_error_of_every_row_and_nothing_written(db):
    await do_create_warehouse(db, code="SH01", name="上海仓")
    bj = await do_create_warehouse(db, code="BJ01", name="北京仓")
    await do_create_location(db, warehouse_id=bj, code="BJ01-01")
    bad = (
        "warehouse,code,name,parent,sort_order\n"
        "NOPE,X-1,,,\n"  # 2: unknown warehouse
        "SH01,has space,,,\n"  # 3: a code with a space
        "SH01,SH01-B,,BJ01-01,\n"  # 4: a parent in another warehouse
        "SH01,SH01-C,,,abc\n"  # 5: not a number
        "SH01,BJ01-01,,,\n"  # 6: an existing bin cannot move warehouse
        "SH01,SH01-D,,,\n"
        "SH01,SH01-D,,,\n"  # 8: the same code twice
        "SH01,SH01-E,,SH01-F,\n"  # 9: a parent only on a later row
        "SH01,SH01-F,,,\n"
    )
    before = await _count(db, location)
    report = await import_warehouses(db, "bins", bad.encode(), "b.csv", commit=True)
    assert [(e.row, e.column, e.code) for e in report.errors] == [
        (2, "warehouse", "NOT_FOUND"),
        (3, "code", "INVALID_VALUE"),
        (4, "parent", "INVALID_PARENT"),
        (5, "sort_order", "INVALID_VALUE"),
        (6, "warehouse", "INVALID_VALUE"),
        (8, "code", "DUPLICATE_ROW"),
        (9, "parent", "INVALID_PARENT"),
    ]
    assert not report.committed and await _count(db, location) == before
    assert report.errors[0].message_zh and report.errors[0].message_en


async def test_export_round_trips_and_a_restricted_keeper_may_not_import(db):
    await import_warehouses(db, "warehouses", WAREHOUSES.encode(), "w.csv", commit=True)
    await import_warehouses(db, "bins", BINS.encode(), "b.csv", commit=True)
    for kind in ("warehouses", "bins"):
        for fmt in ("csv", "xlsx"):
            data = await export_warehouses(db, kind, fmt)
            report = await import_warehouses(db, kind, data, f"x.{fmt}", commit=True)
            assert (report.errors, report.created, report.updated) == ([], 0, 0), (kind, fmt, report.errors)
    async with db.read() as conn:
        bj = (await conn.execute(select(warehouse.c.id).where(warehouse.c.code == "BJ01"))).scalar_one()
    await do_set_warehouse_active(db, bj, False)  # its bins stay in the export and import back unchanged
    report = await import_warehouses(db, "bins", await export_warehouses(db, "bins", "csv"), "b.csv", commit=True)
    assert (report.errors, report.unchanged) == ([], 3)
    new_bin = "warehouse,code\nBJ01,BJ01-99\n"  # but no new bin in an archived warehouse
    assert [e.code for e in (await import_warehouses(db, "bins", new_bin.encode(), "n.csv")).errors] == ["INACTIVE"]
    assert (
        (await export_warehouses(db, "bins", "csv", chinese_header=True))
        .decode("utf-8-sig")
        .startswith("仓库,编码,名称,上级库位,排序")
    )
    async with db.read() as conn:
        sh = (await conn.execute(select(warehouse.c.id).where(warehouse.c.code == "SH01"))).scalar_one()
    keeper = principal("warehouse_keeper", 60, warehouses=frozenset({sh}))
    with pytest.raises(DataImportError):
        await import_warehouses(db, "bins", BINS.encode(), "b.csv", keeper, commit=True)
    viewer = principal("viewer", 61)
    with pytest.raises(DataImportError):
        await import_warehouses(db, "warehouses", WAREHOUSES.encode(), "w.csv", viewer)


@pytest.mark.parametrize("kind", ["warehouses", "bins"])
async def test_templates_import_cleanly(db, kind):
    if kind == "bins":
        await do_create_warehouse(db, code="SH01", name="上海仓")
    for fmt in ("csv", "xlsx"):
        report = await import_warehouses(db, kind, template(kind, fmt), f"t.{fmt}")
        assert report.errors == [] and report.created == 2, report.errors


def test_cli_imports_and_exports_warehouses_and_bins(test_databases, tmp_path, monkeypatch, capsys):
    import asyncio

    from server.cli import main as cli_main

    url = test_databases.fresh_url()
    asyncio.run(test_databases.reset(url))
    monkeypatch.setenv("DATABASE_URL", url)
    (tmp_path / "w.csv").write_text(WAREHOUSES, encoding="utf-8")
    (tmp_path / "b.csv").write_text(BINS, encoding="utf-8")
    assert cli_main(["import", "bins", str(tmp_path / "b.csv")]) == 1  # no warehouses yet
    assert "NOT_FOUND" in capsys.readouterr().out
    assert cli_main(["import", "warehouses", str(tmp_path / "w.csv"), "--commit"]) == 0
    assert cli_main(["import", "bins", str(tmp_path / "b.csv"), "--commit"]) == 0
    out = tmp_path / "bins.xlsx"
    assert cli_main(["export", "bins", str(out)]) == 0
    capsys.readouterr()
    assert cli_main(["import", "bins", str(out), "--commit"]) == 0
    assert "3 unchanged" in capsys.readouterr().out
