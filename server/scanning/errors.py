"""Scanning errors: barcodes, labels, scan sessions and batches.

Barcodes are checked by the catalog's GS1 rules; completing a session posts through the purchasing
receipts, the sales shipments and the inventory transfers and counts, and passes their errors on
(``ScanningError.from_inventory``): scanning calls catalog, inventory, purchasing and sales.

Each code is declared here with its messages (Chinese, English); ``ScanningErrorCode`` — and so
the API's ``ScanningErrorCode`` enum — is built from this declaration (``server/core/errors.py``)."""

from __future__ import annotations

from server.catalog.errors import CATALOG
from server.core.errors import DomainError, error_vocabulary
from server.inventory.errors import INVENTORY
from server.purchasing.errors import PURCHASING
from server.sales.errors import SALES

SCANNING = error_vocabulary(
    "Scanning",
    {
        "UNKNOWN_BARCODE": (
            "系统里没有这个条码：{code}。请检查商品或库位标签。",
            "Unknown barcode {code}: check the product or bin label.",
        ),
        "WRONG_PRODUCT": ("{product} 不在单据 {document} 上，请放回。", "{product} is not on {document}: put it back."),
        "WRONG_LOCATION": ("库位 {location} 不在本次作业范围内。", "Location {location} is not part of this job."),
        "LOCATION_REQUIRED": ("请先扫描库位条码。", "Scan a bin label first."),
        "SERIAL_ALREADY_SCANNED": ("序列号 {serial} 已经扫过。", "Serial {serial} was already scanned."),
        "EXPIRED_LOT": ("批次 {lot} 已过期（{expiry}），请隔离。", "Lot {lot} expired on {expiry}: set it aside."),
        "NOTHING_SCANNED": ("还没有扫描任何商品。", "Nothing has been scanned yet."),
        # labels (server/scanning/labels.py): the symbol at its minimum X-dimension is larger than the label
        "LABEL_TOO_SMALL": (
            "{what} 放不进 {layout}（{size} mm）标签：按 {dpi} dpi 打印至少需要 {needed} mm。请换大一号的标签或二维码。",
            "{what} does not fit the {layout} label ({size} mm): printed at {dpi} dpi it needs at least "
            "{needed} mm. Use a larger label or a 2-D code.",
        ),
        # what a code says that the warehouse cannot take
        "INVALID_DATE": (
            "条码中的日期无效：({ai}) {value} 不是有效的 YYMMDD 日期。",
            "Invalid date in the barcode: ({ai}) {value} is not a valid YYMMDD date.",
        ),
        "UNKNOWN_PACK": (
            "箱码 {gtin}（包装指示符 {indicator}）没有登记：请先把它连同包装单位登记为{item}的条码。",
            "Case code {gtin} (packaging indicator {indicator}) is not registered: add it with its pack unit "
            "to the barcodes of {item_en} first.",
        ),
        "SERIAL_NOT_TRACKED": (
            "{product} 按批次管理，不按序列号管理：这个条码带有序列号 (21) {serial}，请扫描只带批次 (10) 的标签。",
            "{product} is tracked by lot, not by serial: this code carries serial (21) {serial}; "
            "scan a label with the lot (10) only.",
        ),
        # what completion would refuse, refused at the scan
        "NOT_IN_BIN": (
            "库位 {location} 没有这么多 {product}{lot}：在库 {on_hand}，本次作业已扫 {scanned}，这次 {requested}。",
            "Bin {location} does not hold that much {product}{lot}: {on_hand} on hand, {scanned} already "
            "scanned in this session, {requested} now.",
        ),
        "SERIAL_NOT_IN_BIN": ("序列号 {serial} 不在库位 {location}。", "Serial {serial} is not in bin {location}."),
        "SERIAL_ALREADY_IN_STOCK": (
            "序列号 {serial} 已在库（库位 {location}），不能再次收货。",
            "Serial {serial} is already in stock (bin {location}): it cannot be received again.",
        ),
        "LOT_EXPIRY_MISMATCH": (
            "批次 {lot} 的有效期是 {known}，这个条码写的是 {expiry}：一个批次只有一个有效期。",
            "Lot {lot} expires on {known}, but this code says {expiry}: a lot has one expiry date.",
        ),
        # completion refused after all (the stock changed after the scans): the scans it concerns
        "STOCK_MOVED": (
            "扫描 {scans}：{product} 在库位 {location} 扫描后被移动，现在可用 {available}，需要 {requested}。",
            "Scans {scans}: {product} in bin {location} moved after it was scanned: {available} available now, "
            "{requested} needed.",
        ),
        "SERIAL_RECEIVED_MEANWHILE": (
            "扫描 {scans}：序列号 {serial} 在扫描后已被其他单据收货入库。",
            "Scans {scans}: serial {serial} was received into stock by another document after it was scanned.",
        ),
        "SCANS_REFUSED": ("扫描 {scans}：{reason}", "Scans {scans}: {reason_en}"),
    },
    shared=(
        "INVALID_STATUS",
        "TOO_MANY_DECIMALS",
    ),
    calls=(CATALOG, INVENTORY, PURCHASING, SALES),
)

ScanningErrorCode = SCANNING.codes


class ScanningError(DomainError):
    """A scan that was not understood, or a session that cannot go on."""

    vocabulary = SCANNING
