"""Inventory errors: warehouses and locations, the stock primitives, transfers, counts, production and
reorder rules.

Each code is declared here with its messages (Chinese, English); ``InventoryErrorCode`` — and so
the API's ``InventoryErrorCode`` enum — is built from this declaration (``server/core/errors.py``)."""

from __future__ import annotations

from server.core.errors import DomainError, error_vocabulary

INVENTORY = error_vocabulary(
    "Inventory",
    {
        "INSUFFICIENT_STOCK": (
            "第 {line} 行库存不足：可用 {available}，需要 {requested}。",
            "Line {line}: insufficient stock: {available} available, {requested} requested.",
        ),
        "LOT_REQUIRED": (
            "该商品按批次/序列号管理，必须填写批次。",
            "This product is lot/serial tracked: a lot is required.",
        ),
        "LOT_NOT_ALLOWED": ("该商品不按批次管理，不能填写批次。", "This product is not lot tracked: no lot allowed."),
        "SERIAL_QUANTITY": (
            "序列号商品每个序列号数量必须为 1。",
            "A serial-tracked product moves in units of 1 per serial.",
        ),
        "SERIAL_IN_STOCK": (
            "第 {line} 行：序列号 {serial} 已在库，一个序列号只能在一个地方。",
            "Line {line}: serial {serial} is already in stock; a serial can be in only one place.",
        ),
        "SAME_LOCATION": ("调出和调入库位不能相同。", "Source and destination locations must differ."),
        "EMPTY_OPERATION": ("至少需要一行。", "At least one line is required."),
        "WRONG_WAREHOUSE": ("库位不在该行的目的仓库中。", "The location is not in the line's destination warehouse."),
        "TRANSFER_EXCEEDED": ("到货数量超过在途数量 {open}。", "More arrived than is in transit ({open})."),
        "LOCATION_FROZEN": (
            "库位 {location} 正在冻结盘点（{count}），盘点结束前不能出入库。",
            "Location {location} is frozen for stock count {count}: no moves until the count is closed.",
        ),
        "COUNT_INCOMPLETE": ("还有 {open} 行未盘点或待复盘。", "{open} lines are not counted or wait for a recount."),
        "SAME_PERSON": ("{rule}", "{rule_en}"),
    },
    shared=(
        "DATE_IN_FUTURE",
        "DUPLICATE_CODE",
        "INACTIVE",
        "INVALID_PARENT",
        "TOO_MANY_DECIMALS",
        "INVALID_QUANTITY",
        "WRONG_UNIT",
        "INVALID_STATUS",
    ),
)

InventoryErrorCode = INVENTORY.codes


class InventoryError(DomainError):
    """A stock rule violation."""

    vocabulary = INVENTORY
