"""``jxc import products|suppliers|customers|warehouses|bins|opening FILE [--commit]`` and ``jxc export … FILE`` (CSV or XLSX by
the file's extension; ``--template``: the header and example rows). The CLI acts as the system."""

from __future__ import annotations

import asyncio
import sys
import unicodedata
from pathlib import Path

from server.cli.common import with_db

COMMANDS = ("import", "export")
KINDS = ("products", "suppliers", "customers", "warehouses", "bins")
IMPORT_KINDS = KINDS + ("opening",)  # opening balances are imported (posted), never exported


def add_parser(sub) -> None:
    imp = sub.add_parser(
        "import", help="import products, suppliers, customers or opening balances from a .csv or .xlsx (a dry run)"
    )
    imp.add_argument("what", choices=IMPORT_KINDS)
    imp.add_argument("file", help="a .csv (UTF-8 or GB18030) or .xlsx file")
    imp.add_argument("--commit", action="store_true", help="write the file (all of it, or nothing on any error)")
    exp = sub.add_parser("export", help="export products, suppliers or customers to a .csv or .xlsx")
    exp.add_argument("what", choices=IMPORT_KINDS)
    exp.add_argument("file", help="the .csv or .xlsx to write")
    exp.add_argument("--template", action="store_true", help="the header and example rows only")
    exp.add_argument("--chinese-header", action="store_true", help="Chinese column labels (编码, 名称, …)")


def _format(path: str) -> str | None:
    suffix = Path(path).suffix.lower().lstrip(".")
    return suffix if suffix in ("csv", "xlsx") else None


def run(args, settings) -> int:
    if args.command == "import":
        path = Path(args.file)
        if not path.is_file():
            print(f"no such file: {path}", file=sys.stderr)
            return 2
        report = asyncio.run(with_db(settings, lambda db: _import(db, args.what, path.read_bytes(), path.name, args)))
        print(render_report(report, commit=args.commit))
        return 0 if report.ok else 1
    fmt = _format(args.file)
    if fmt is None:
        print("the file must end in .csv or .xlsx", file=sys.stderr)
        return 2
    if args.what not in KINDS and not args.template:
        print("opening balances are imported, not exported: --template writes a blank file", file=sys.stderr)
        return 2
    if args.template:
        from server.imports.templates import template

        data = template(args.what, fmt, chinese_header=args.chinese_header)
    else:
        data = asyncio.run(with_db(settings, lambda db: _export(db, args.what, fmt, args.chinese_header)))
    Path(args.file).write_bytes(data)
    print(f"{args.what} → {args.file} ({len(data):,} bytes)")
    return 0


async def _import(db, what: str, data: bytes, filename: str, args):
    if what == "products":
        from server.imports.products import import_products

        return await import_products(db, data, filename, None, commit=args.commit)
    if what == "opening":
        from server.imports.opening import import_opening

        return await import_opening(db, data, filename, None, commit=args.commit)
    if what in ("warehouses", "bins"):
        from server.imports.warehouses import import_warehouses

        return await import_warehouses(db, what, data, filename, None, commit=args.commit)
    from server.imports.partners import import_partners

    return await import_partners(db, what, data, filename, None, commit=args.commit)


async def _export(db, what: str, fmt: str, chinese_header: bool) -> bytes:
    if what == "products":
        from server.imports.products import export_products

        return await export_products(db, fmt, None, chinese_header=chinese_header)
    if what in ("warehouses", "bins"):
        from server.imports.warehouses import export_warehouses

        return await export_warehouses(db, what, fmt, None, chinese_header=chinese_header)
    from server.imports.partners import export_partners

    return await export_partners(db, what, fmt, None, chinese_header=chinese_header)


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))


def render_report(report, *, commit: bool) -> str:
    """The counts, then every error as a table (row, column, code, 中文, English)."""
    lines = [
        f"{report.kind}: {report.rows} row(s) read 读取 · {report.created} to create 新增 · "
        f"{report.updated} to update 修改 · {report.unchanged} unchanged 不变 · {len(report.errors)} error(s) 错误"
    ]
    if report.errors:
        table = [("row 行", "column 列", "code", "错误", "error")]
        table += [(str(e.row), e.column or "", e.code, e.message_zh, e.message_en) for e in report.errors]
        widths = [max(_width(r[i]) for r in table) for i in range(4)]
        for r in table:
            lines.append("  ".join(_pad(r[i], widths[i]) for i in range(4)) + "  " + r[4])
        lines.append("nothing written 未写入任何数据" + ("" if commit else " (dry run 试运行)"))
    elif report.committed:
        lines.append("committed 已导入")
    else:
        lines.append("dry run: nothing written; run again with --commit to import 试运行：未写入，加 --commit 导入")
    return "\n".join(lines)
