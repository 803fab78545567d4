"""Domain errors with per-domain codes and bilingual messages.

Services raise a ``DomainError`` subclass; nothing is written because the surrounding transaction
rolls back. The GraphQL layer turns it into payload ``errors: [{field, code, message}]`` in the
caller's language (``Accept-Language``; default zh-CN).
"""

from __future__ import annotations

import enum
import dataclasses
from dataclasses import dataclass


class CatalogErrorCode(enum.Enum):
    NOT_FOUND = "NOT_FOUND"
    DUPLICATE_CODE = "DUPLICATE_CODE"
    REQUIRED = "REQUIRED"
    INVALID_VALUE = "INVALID_VALUE"
    TOO_MANY_DECIMALS = "TOO_MANY_DECIMALS"
    INVALID_BARCODE = "INVALID_BARCODE"
    BAD_CHECK_DIGIT = "BAD_CHECK_DIGIT"
    INVALID_PARENT = "INVALID_PARENT"
    INACTIVE = "INACTIVE"
    IDEMPOTENCY_KEY_REUSED = "IDEMPOTENCY_KEY_REUSED"


class PartnerErrorCode(enum.Enum):
    NOT_FOUND = "NOT_FOUND"
    DUPLICATE_CODE = "DUPLICATE_CODE"
    REQUIRED = "REQUIRED"
    INVALID_VALUE = "INVALID_VALUE"
    IDEMPOTENCY_KEY_REUSED = "IDEMPOTENCY_KEY_REUSED"


class InventoryErrorCode(enum.Enum):
    NOT_FOUND = "NOT_FOUND"
    DUPLICATE_CODE = "DUPLICATE_CODE"
    REQUIRED = "REQUIRED"
    INVALID_VALUE = "INVALID_VALUE"
    INVALID_QUANTITY = "INVALID_QUANTITY"
    TOO_MANY_DECIMALS = "TOO_MANY_DECIMALS"
    INSUFFICIENT_STOCK = "INSUFFICIENT_STOCK"
    INACTIVE = "INACTIVE"
    WRONG_UNIT = "WRONG_UNIT"
    LOT_REQUIRED = "LOT_REQUIRED"
    LOT_NOT_ALLOWED = "LOT_NOT_ALLOWED"
    SERIAL_QUANTITY = "SERIAL_QUANTITY"
    SERIAL_IN_STOCK = "SERIAL_IN_STOCK"
    SAME_LOCATION = "SAME_LOCATION"
    INVALID_PARENT = "INVALID_PARENT"
    EMPTY_OPERATION = "EMPTY_OPERATION"
    IDEMPOTENCY_KEY_REUSED = "IDEMPOTENCY_KEY_REUSED"
    PERMISSION_DENIED = "PERMISSION_DENIED"
    INVALID_STATUS = "INVALID_STATUS"
    WRONG_WAREHOUSE = "WRONG_WAREHOUSE"
    TRANSFER_EXCEEDED = "TRANSFER_EXCEEDED"
    LOCATION_FROZEN = "LOCATION_FROZEN"
    COUNT_INCOMPLETE = "COUNT_INCOMPLETE"
    SAME_PERSON = "SAME_PERSON"


class AuthErrorCode(enum.Enum):
    NOT_FOUND = "NOT_FOUND"
    DUPLICATE_CODE = "DUPLICATE_CODE"
    REQUIRED = "REQUIRED"
    INVALID_VALUE = "INVALID_VALUE"
    INVALID_CREDENTIALS = "INVALID_CREDENTIALS"
    PERMISSION_DENIED = "PERMISSION_DENIED"
    WEAK_PASSWORD = "WEAK_PASSWORD"
    TOO_MANY_ATTEMPTS = "TOO_MANY_ATTEMPTS"
    NOT_A_SESSION = "NOT_A_SESSION"


class FinanceErrorCode(enum.Enum):
    NOT_FOUND = "NOT_FOUND"
    REQUIRED = "REQUIRED"
    INVALID_VALUE = "INVALID_VALUE"
    TOO_MANY_DECIMALS = "TOO_MANY_DECIMALS"
    PERMISSION_DENIED = "PERMISSION_DENIED"
    INVALID_STATUS = "INVALID_STATUS"
    DUPLICATE_CODE = "DUPLICATE_CODE"
    IDEMPOTENCY_KEY_REUSED = "IDEMPOTENCY_KEY_REUSED"
    NOT_SET_UP = "NOT_SET_UP"
    ALREADY_SET_UP = "ALREADY_SET_UP"
    UNKNOWN_ACCOUNT = "UNKNOWN_ACCOUNT"
    NOT_LEAF_ACCOUNT = "NOT_LEAF_ACCOUNT"
    ACCOUNT_IN_USE = "ACCOUNT_IN_USE"
    UNBALANCED = "UNBALANCED"
    EMPTY_VOUCHER = "EMPTY_VOUCHER"
    PERIOD_CLOSED = "PERIOD_CLOSED"
    SUSPENSE_NOT_CLEAR = "SUSPENSE_NOT_CLEAR"
    PROFIT_NOT_CLOSED = "PROFIT_NOT_CLOSED"
    UNPOSTED_VOUCHERS = "UNPOSTED_VOUCHERS"
    PREVIOUS_PERIOD_OPEN = "PREVIOUS_PERIOD_OPEN"
    LATER_PERIOD_CLOSED = "LATER_PERIOD_CLOSED"
    SELF_REVIEW = "SELF_REVIEW"
    SELF_APPROVAL = "SELF_APPROVAL"
    ALREADY_REVERSED = "ALREADY_REVERSED"
    ALREADY_DISPOSED = "ALREADY_DISPOSED"
    NOTHING_TO_DISPOSE = "NOTHING_TO_DISPOSE"
    OVER_PAYMENT = "OVER_PAYMENT"


class PurchasingErrorCode(enum.Enum):
    NOT_FOUND = "NOT_FOUND"
    REQUIRED = "REQUIRED"
    INVALID_VALUE = "INVALID_VALUE"
    INVALID_QUANTITY = "INVALID_QUANTITY"
    TOO_MANY_DECIMALS = "TOO_MANY_DECIMALS"
    INACTIVE = "INACTIVE"
    WRONG_UNIT = "WRONG_UNIT"
    EMPTY_OPERATION = "EMPTY_OPERATION"
    INVALID_STATUS = "INVALID_STATUS"
    BELOW_MIN_ORDER_QTY = "BELOW_MIN_ORDER_QTY"
    SELF_APPROVAL = "SELF_APPROVAL"
    APPROVER_ROLE_REQUIRED = "APPROVER_ROLE_REQUIRED"
    ALREADY_APPROVED_BY_YOU = "ALREADY_APPROVED_BY_YOU"
    ORDER_REQUIRED = "ORDER_REQUIRED"
    WRONG_ORDER = "WRONG_ORDER"
    WRONG_WAREHOUSE = "WRONG_WAREHOUSE"
    OVER_RECEIPT = "OVER_RECEIPT"
    OVER_RETURN = "OVER_RETURN"
    OVER_PAYMENT = "OVER_PAYMENT"
    SUPPLIER_MISMATCH = "SUPPLIER_MISMATCH"
    SERIAL_COUNT = "SERIAL_COUNT"
    LOT_REQUIRED = "LOT_REQUIRED"
    LOT_NOT_ALLOWED = "LOT_NOT_ALLOWED"
    SERIAL_QUANTITY = "SERIAL_QUANTITY"
    SERIAL_IN_STOCK = "SERIAL_IN_STOCK"
    INSUFFICIENT_STOCK = "INSUFFICIENT_STOCK"
    IDEMPOTENCY_KEY_REUSED = "IDEMPOTENCY_KEY_REUSED"
    PERMISSION_DENIED = "PERMISSION_DENIED"
    LOCATION_FROZEN = "LOCATION_FROZEN"


class SalesErrorCode(enum.Enum):
    NOT_FOUND = "NOT_FOUND"
    REQUIRED = "REQUIRED"
    INVALID_VALUE = "INVALID_VALUE"
    INVALID_QUANTITY = "INVALID_QUANTITY"
    TOO_MANY_DECIMALS = "TOO_MANY_DECIMALS"
    INACTIVE = "INACTIVE"
    WRONG_UNIT = "WRONG_UNIT"
    EMPTY_OPERATION = "EMPTY_OPERATION"
    INVALID_STATUS = "INVALID_STATUS"
    SELF_APPROVAL = "SELF_APPROVAL"
    APPROVER_ROLE_REQUIRED = "APPROVER_ROLE_REQUIRED"
    ALREADY_APPROVED_BY_YOU = "ALREADY_APPROVED_BY_YOU"
    CREDIT_LIMIT_EXCEEDED = "CREDIT_LIMIT_EXCEEDED"
    INSUFFICIENT_STOCK = "INSUFFICIENT_STOCK"
    WRONG_ORDER = "WRONG_ORDER"
    WRONG_WAREHOUSE = "WRONG_WAREHOUSE"
    OVER_SHIPMENT = "OVER_SHIPMENT"
    OVER_INVOICE = "OVER_INVOICE"
    OVER_RETURN = "OVER_RETURN"
    OVER_PAYMENT = "OVER_PAYMENT"
    CUSTOMER_MISMATCH = "CUSTOMER_MISMATCH"
    LOT_REQUIRED = "LOT_REQUIRED"
    LOT_NOT_ALLOWED = "LOT_NOT_ALLOWED"
    SERIAL_QUANTITY = "SERIAL_QUANTITY"
    SERIAL_IN_STOCK = "SERIAL_IN_STOCK"
    IDEMPOTENCY_KEY_REUSED = "IDEMPOTENCY_KEY_REUSED"
    PERMISSION_DENIED = "PERMISSION_DENIED"
    LOCATION_FROZEN = "LOCATION_FROZEN"


class ScanningErrorCode(enum.Enum):
    UNKNOWN_BARCODE = "UNKNOWN_BARCODE"
    BAD_CHECK_DIGIT = "BAD_CHECK_DIGIT"
    INVALID_BARCODE = "INVALID_BARCODE"
    REQUIRED = "REQUIRED"
    NOT_FOUND = "NOT_FOUND"
    INVALID_VALUE = "INVALID_VALUE"
    INVALID_STATUS = "INVALID_STATUS"
    WRONG_PRODUCT = "WRONG_PRODUCT"
    WRONG_LOCATION = "WRONG_LOCATION"
    LOCATION_REQUIRED = "LOCATION_REQUIRED"
    OVER_RECEIPT = "OVER_RECEIPT"
    OVER_SHIPMENT = "OVER_SHIPMENT"
    SERIAL_ALREADY_SCANNED = "SERIAL_ALREADY_SCANNED"
    EXPIRED_LOT = "EXPIRED_LOT"
    LOT_REQUIRED = "LOT_REQUIRED"
    NOTHING_SCANNED = "NOTHING_SCANNED"
    INSUFFICIENT_STOCK = "INSUFFICIENT_STOCK"
    LOCATION_FROZEN = "LOCATION_FROZEN"
    IDEMPOTENCY_KEY_REUSED = "IDEMPOTENCY_KEY_REUSED"
    PERMISSION_DENIED = "PERMISSION_DENIED"
    TOO_MANY_DECIMALS = "TOO_MANY_DECIMALS"


MESSAGES: dict[str, tuple[str, str]] = {
    "NOT_FOUND": ("找不到{what}。", "{what_en} not found."),
    "DUPLICATE_CODE": ("编码“{code}”已存在。", "Code “{code}” already exists."),
    "REQUIRED": ("此项必填。", "This field is required."),
    "INVALID_VALUE": ("值无效：{detail}", "Invalid value: {detail}"),
    "INVALID_QUANTITY": ("数量必须大于零。", "The quantity must be greater than zero."),
    "TOO_MANY_DECIMALS": (
        "小数位数过多：最多 {precision} 位。",
        "Too many decimals: at most {precision} allowed.",
    ),
    "INSUFFICIENT_STOCK": (
        "第 {line} 行库存不足：可用 {available}，需要 {requested}。",
        "Line {line}: insufficient stock: {available} available, {requested} requested.",
    ),
    "INACTIVE": ("{what}已停用。", "{what_en} is archived."),
    "WRONG_UNIT": ("该商品没有此计量单位。", "This unit is not defined for the product."),
    "LOT_REQUIRED": ("该商品按批次/序列号管理，必须填写批次。", "This product is lot/serial tracked: a lot is required."),
    "LOT_NOT_ALLOWED": ("该商品不按批次管理，不能填写批次。", "This product is not lot tracked: no lot allowed."),
    "SERIAL_QUANTITY": ("序列号商品每个序列号数量必须为 1。", "A serial-tracked product moves in units of 1 per serial."),
    "SERIAL_IN_STOCK": (
        "第 {line} 行：序列号 {serial} 已在库，一个序列号只能在一个地方。",
        "Line {line}: serial {serial} is already in stock; a serial can be in only one place.",
    ),
    "SAME_LOCATION": ("调出和调入库位不能相同。", "Source and destination locations must differ."),
    "INVALID_PARENT": ("上级无效（不能形成循环）。", "Invalid parent (it would create a cycle)."),
    "EMPTY_OPERATION": ("至少需要一行。", "At least one line is required."),
    "INVALID_BARCODE": ("条码格式无效：{detail}", "Malformed barcode: {detail}"),
    "BAD_CHECK_DIGIT": ("条码校验位错误：应为 {expected}。", "Bad barcode check digit: expected {expected}."),
    "IDEMPOTENCY_KEY_REUSED": (
        "幂等键已用于另一个不同的请求。",
        "This idempotency key was already used for a different request.",
    ),
    "INVALID_CREDENTIALS": (
        "用户名或密码错误，或账户因多次失败暂时锁定。",
        "Wrong username or password, or the account is locked for a while after repeated failures.",
    ),
    "PERMISSION_DENIED": ("没有权限：需要 {permission}。", "Permission denied: {permission} is required."),
    "WEAK_PASSWORD": ("密码至少 {min} 个字符。", "A password needs at least {min} characters."),
    "TOO_MANY_ATTEMPTS": ("此地址登录失败次数过多，请 {minutes} 分钟后再试。",
                          "Too many failed sign-ins from this address; try again in {minutes} minute(s)."),
    "NOT_A_SESSION": ("API 令牌不是登录会话，不能注销；请管理员吊销它（revokeApiToken 或 jxc token revoke）。",
                      "An API token is not a session and cannot log out; an administrator revokes it "
                      "(revokeApiToken or jxc token revoke)."),
    "INVALID_STATUS": ("{what}当前状态为“{status}”，不能{action}。", "{what_en} is {status}: cannot {action_en}."),
    "BELOW_MIN_ORDER_QTY": ("低于供应商最小起订量 {min}。", "Below the supplier's minimum order quantity {min}."),
    "SELF_APPROVAL": ("职责分离：单据的制单人不能审批自己的单据。",
                      "Separation of duties: the creator of a document cannot approve it."),
    "APPROVER_ROLE_REQUIRED": ("此审批步骤需要角色“{role}”。", "This approval step needs the role “{role}”."),
    "ALREADY_APPROVED_BY_YOU": ("您已审批过此单据的前一步骤，需由另一人审批。",
                                "You approved an earlier step of this document; another person must approve this one."),
    "ORDER_REQUIRED": ("收货必须关联采购订单（系统设置）。", "A receipt needs a purchase order (system setting)."),
    "WRONG_ORDER": ("该行不属于此采购订单。", "This line does not belong to the purchase order."),
    "WRONG_WAREHOUSE": ("库位不在该行的目的仓库中。", "The location is not in the line's destination warehouse."),
    "OVER_RECEIPT": ("超收：订购 {ordered}，已收 {received}，本次 {requested}，允许超收 {tolerance}。",
                     "Over-receipt: ordered {ordered}, accepted so far {received}, now {requested}, "
                     "tolerance {tolerance}."),
    "OVER_RETURN": ("退货数量超过可退数量 {available}。", "The return exceeds the returnable quantity {available}."),
    "OVER_PAYMENT": ("金额超过未付余额 {open}。", "The amount exceeds the open balance {open}."),
    "SUPPLIER_MISMATCH": ("单据属于另一个供应商。", "The document belongs to another supplier."),
    "SERIAL_COUNT": ("序列号个数（{serials}）与合格数量（{accepted}）不符。",
                     "The number of serials ({serials}) differs from the accepted quantity ({accepted})."),
    "CREDIT_LIMIT_EXCEEDED": ("超出信用额度：额度 {limit}，占用 {exposure}（应收 + 未发货订单 + 本单）。",
                              "Credit limit exceeded: limit {limit}, exposure {exposure} "
                              "(receivables + unshipped orders + this order)."),
    "OVER_SHIPMENT": ("发货数量超过订单未发数量 {open}。", "The shipment exceeds the quantity still to ship, {open}."),
    "OVER_INVOICE": ("开票数量超过已发货未开票数量 {open}。",
                     "The invoice exceeds the shipped and not yet invoiced quantity, {open}."),
    "WRONG_PRODUCT": ("{product} 不在单据 {document} 上，请放回。", "{product} is not on {document}: put it back."),
    "WRONG_LOCATION": ("库位 {location} 不在本次作业范围内。", "Location {location} is not part of this job."),
    "LOCATION_REQUIRED": ("请先扫描库位条码。", "Scan a bin label first."),
    "SERIAL_ALREADY_SCANNED": ("序列号 {serial} 已经扫过。", "Serial {serial} was already scanned."),
    "EXPIRED_LOT": ("批次 {lot} 已过期（{expiry}），请隔离。", "Lot {lot} expired on {expiry}: set it aside."),
    "NOTHING_SCANNED": ("还没有扫描任何商品。", "Nothing has been scanned yet."),
    "UNKNOWN_BARCODE": ("系统里没有这个条码：{code}。请检查商品或库位标签。",
                        "Unknown barcode {code}: check the product or bin label."),
    "LOCATION_FROZEN": ("库位 {location} 正在冻结盘点（{count}），盘点结束前不能出入库。",
                        "Location {location} is frozen for stock count {count}: no moves until the count is closed."),
    "COUNT_INCOMPLETE": ("还有 {open} 行未盘点或待复盘。", "{open} lines are not counted or wait for a recount."),
    "SAME_PERSON": ("{rule}", "{rule_en}"),
    "TRANSFER_EXCEEDED": ("到货数量超过在途数量 {open}。", "More arrived than is in transit ({open})."),
    "CUSTOMER_MISMATCH": ("单据属于另一个客户。", "The document belongs to another customer."),
    "NOT_SET_UP": ("账套尚未建立：请先选择会计准则建账（jxc finance setup）。",
                   "The books are not set up yet: choose an accounting standard first (jxc finance setup)."),
    "ALREADY_SET_UP": ("账套已经建立，不能重复建账。", "The books are already set up."),
    "UNKNOWN_ACCOUNT": ("科目 {code} 不存在或已停用。", "Account {code} does not exist or is inactive."),
    "NOT_LEAF_ACCOUNT": ("科目 {code} 有下级科目，只能记入末级科目。",
                         "Account {code} has sub-accounts: post to a leaf account."),
    "ACCOUNT_IN_USE": ("科目 {code} 已有凭证，不能再增加下级科目或修改。",
                       "Account {code} already has postings: it cannot get sub-accounts or change."),
    "UNBALANCED": ("借贷不平衡：借方 {debit}，贷方 {credit}。", "Debits and credits differ: debit {debit}, credit {credit}."),
    "EMPTY_VOUCHER": ("凭证至少需要两行且金额不能为零。", "A voucher needs at least two lines and a non-zero amount."),
    "PERIOD_CLOSED": ("会计期间 {period} 已结账，不能记账。", "Accounting period {period} is closed: no postings."),
    "SUSPENSE_NOT_CLEAR": ("待处理财产损溢（{code}）还有余额 {balance}，请先处理盘盈盘亏。",
                           "Stock differences awaiting approval ({code}) still hold {balance}: clear them first."),
    "PROFIT_NOT_CLOSED": ("损益类科目还有余额，请先结转损益。", "Profit and loss accounts still have balances: close them to current-year profit first."),
    "UNPOSTED_VOUCHERS": ("本期还有 {count} 张未记账凭证。", "{count} vouchers of the period are not posted yet."),
    "PREVIOUS_PERIOD_OPEN": ("上一期间 {period} 尚未结账。", "The previous period {period} is still open."),
    "LATER_PERIOD_CLOSED": ("之后的期间 {period} 已结账，请先反结账该期间。",
                            "A later period ({period}) is closed: reopen it first."),
    "SELF_REVIEW": ("职责分离：制单人不能审核自己的凭证。", "Separation of duties: the preparer cannot review the voucher."),
    "ALREADY_REVERSED": ("该凭证已被冲销。", "This voucher has already been reversed."),
    "ALREADY_DISPOSED": ("该笔待处理财产损溢已经处理。", "These stock differences were already cleared."),
    "NOTHING_TO_DISPOSE": ("该凭证没有待处理财产损溢。", "This voucher holds no stock differences to clear."),
    "PAGE_SIZE_TOO_LARGE": ("每页最多 {max} 条。", "At most {max} items per page."),
    "QUERY_TOO_COMPLEX": ("查询过于复杂：估计要生成 {cost} 个对象，上限 {max}；请减少嵌套列表或每页条数。",
                          "Query too complex: it would build about {cost} objects, the limit is {max}; "
                          "nest fewer lists or ask for smaller pages."),
    "INVALID_CURSOR": ("分页游标无效。", "Invalid pagination cursor."),
    "INVALID_SINCE": (
        "since={since} 超出事件日志末尾（{last}）：该游标不属于这个数据库。",
        "since={since} is beyond the end of the event journal ({last}): the cursor is not from this database.",
    ),
    "INVALID_ID": ("ID 无效或类型不符。", "Invalid ID or ID of another type."),
    "INTERNAL_ERROR": ("服务器内部错误，请求编号 {request_id}。", "Internal server error, request id {request_id}."),
}

OBJECT_NAMES: dict[str, tuple[str, str]] = {
    "unit": ("计量单位", "Unit"),
    "category": ("商品分类", "Category"),
    "product": ("商品", "Product"),
    "barcode": ("条码", "Barcode"),
    "warehouse": ("仓库", "Warehouse"),
    "location": ("库位", "Location"),
    "lot": ("批次", "Lot"),
    "supplier": ("供应商", "Supplier"),
    "customer": ("客户", "Customer"),
    "address": ("地址", "Address"),
    "user": ("用户", "User"),
    "role": ("角色", "Role"),
    "token": ("令牌", "Token"),
    "purchase_order": ("采购订单", "Purchase order"),
    "purchase_order_line": ("采购订单行", "Purchase order line"),
    "receipt": ("收货单", "Goods receipt"),
    "receipt_line": ("收货单行", "Goods receipt line"),
    "bill": ("采购发票", "Supplier bill"),
    "payment": ("付款单", "Payment"),
    "supplier_price": ("供应商报价", "Supplier price"),
    "transfer": ("调拨单", "Transfer"),
    "stock_count": ("盘点单", "Stock count"),
    "production_order": ("生产单", "Production order"),
    "scan_session": ("扫码作业", "Scan session"),
    "transfer_line": ("调拨单行", "Transfer line"),
    "sales_order": ("销售订单", "Sales order"),
    "sales_order_line": ("销售订单行", "Sales order line"),
    "shipment": ("发货单", "Shipment"),
    "shipment_line": ("发货单行", "Shipment line"),
    "invoice": ("销售发票", "Invoice"),
    "customer_receipt": ("收款单", "Customer receipt"),
    "account": ("会计科目", "Account"),
    "voucher": ("凭证", "Voucher"),
    "period": ("会计期间", "Accounting period"),
    "expense": ("费用单", "Expense bill"),
    "expense_category": ("费用类别", "Expense category"),
    "department": ("部门", "Department"),
    "posting_rule": ("记账规则", "Posting rule"),
}


STATUS_NAMES: dict[str, str] = {
    "draft": "草稿", "submitted": "已提交", "approved": "已审批", "rejected": "已驳回",
    "partially_received": "部分收货", "received": "已收货", "closed": "已关闭", "cancelled": "已取消",
    "pending_approval": "待审批", "open": "未结清", "paid": "已结清",
    "partially_shipped": "部分发货", "shipped": "已发货", "invoiced": "已开票", "in_transit": "在途", "count": "盘点", "in_progress": "生产中", "completed": "已完工",
    "reviewed": "已审核", "posted": "已记账",
}

ACTION_NAMES: dict[str, str] = {
    "edit": "修改", "submit": "提交", "approve": "审批", "reject": "驳回", "cancel": "取消", "close": "关闭",
    "receive": "收货", "bill": "开票", "pay": "付款", "ship": "发货", "invoice": "开票", "return": "退货",
    "review": "审核", "post": "记账", "reverse": "冲销", "delete": "删除", "reopen": "反结账",
}


def render_message(code: str, lang: str, params: dict | None = None) -> str:
    params = dict(params or {})
    what = params.get("what")
    if what in OBJECT_NAMES:
        params["what"], params["what_en"] = OBJECT_NAMES[what]
    if "status" in params and not lang.startswith("en"):
        params["status"] = STATUS_NAMES.get(params["status"], params["status"])
    if "action" in params:
        params["action_en"] = params["action"]
        params["action"] = ACTION_NAMES.get(params["action"], params["action"])
    params.setdefault("what", "对象")
    params.setdefault("what_en", "Object")
    zh, en = MESSAGES.get(code, (code, code))
    template = en if lang.startswith("en") else zh
    try:
        return template.format(**params)
    except (KeyError, IndexError):
        return template


@dataclass
class ErrorDetail:
    code: str
    field: str | None = None
    params: dict = dataclasses.field(default_factory=dict)

    def message(self, lang: str) -> str:
        return render_message(self.code, lang, self.params)


class DomainError(Exception):
    """One or more business-rule violations; the transaction that raised it is rolled back."""

    codes: type[enum.Enum] = InventoryErrorCode

    def __init__(self, error_code: str, field: str | None = None, **params):
        self.details = [ErrorDetail(error_code, field, params)]
        super().__init__(f"{error_code} ({field})")

    @classmethod
    def from_inventory(cls, exc: DomainError, field_of=lambda f: f) -> DomainError:
        """The stock primitives' errors as this domain's errors, with fields mapped to the document's."""
        return cls.many([ErrorDetail(d.code, field_of(d.field) if d.field else d.field, d.params)
                         for d in exc.details])

    @classmethod
    def many(cls, details: list[ErrorDetail]) -> DomainError:
        err = cls(details[0].code, details[0].field, **details[0].params)
        err.details = list(details)
        return err


class CatalogError(DomainError):
    codes = CatalogErrorCode


class PartnerError(DomainError):
    codes = PartnerErrorCode


class InventoryError(DomainError):
    codes = InventoryErrorCode


class AuthError(DomainError):
    codes = AuthErrorCode


class ScanningError(DomainError):
    codes = ScanningErrorCode


class SalesError(DomainError):
    codes = SalesErrorCode


class PurchasingError(DomainError):
    codes = PurchasingErrorCode


class FinanceError(DomainError):
    codes = FinanceErrorCode


class ApiError(Exception):
    """An error about the request itself (page size, cursor, id) reported as a GraphQL error."""

    def __init__(self, code: str, **params):
        self.code = code
        self.params = params
        super().__init__(render_message(code, "en", params))
