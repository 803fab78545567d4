"""Scanning errors: barcodes, labels, scan sessions and batches.

Barcodes are checked by the catalog's GS1 rules; completing a session posts through the purchasing
receipts, the sales shipments and the inventory transfers and counts, and passes their errors on
(``ScanningError.from_inventory``): scanning calls catalog, inventory, purchasing and sales.

Each code is declared here with its messages (Chinese, English); ``ScanningErrorCode`` — and so
the API's ``ScanningErrorCode`` enum — is built from this declaration (``server/errors.py``)."""

from __future__ import annotations

from server.catalog.errors import CATALOG
from server.errors import DomainError, error_vocabulary
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
    },
    shared=(
        "INVALID_STATUS", "TOO_MANY_DECIMALS",
    ),
    calls=(CATALOG, INVENTORY, PURCHASING, SALES),
)

ScanningErrorCode = SCANNING.codes


class ScanningError(DomainError):
    """A scan that was not understood, or a session that cannot go on."""

    vocabulary = SCANNING
