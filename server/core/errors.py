"""Domain errors: the core of one error vocabulary.

Each domain declares its own codes with their messages (Chinese and English) beside its rules, in
``server/<domain>/errors.py`` (``error_vocabulary``), together with the shared codes it raises and the
domains whose errors it passes on; its code enum — and so its GraphQL error enum — is built from that
declaration. This module keeps what all of them share: the common and shared codes, ``ErrorDetail``,
``DomainError``, ``ErrorCollector``, ``render_message`` and ``ApiError``.

Services raise a ``DomainError`` subclass; nothing is written because the surrounding transaction
rolls back. The GraphQL layer turns it into payload ``errors: [{field, code, message}]`` in the
caller's language (``Accept-Language``; default zh-CN).
"""

from __future__ import annotations

import dataclasses
import enum
import importlib
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import ClassVar, Self

# ---- the codes every domain shares, and the shared rules' codes ------------------------------------------

#: Codes every domain can raise (lookups, required fields, values, permissions, idempotency keys): each
#: domain's API enum has them.
COMMON_MESSAGES: dict[str, tuple[str, str]] = {
    "NOT_FOUND": ("找不到{what}。", "{what_en} not found."),
    "REQUIRED": ("此项必填。", "This field is required."),
    "INVALID_VALUE": ("值无效：{detail}", "Invalid value: {detail}"),
    "PERMISSION_DENIED": ("没有权限：需要 {permission}。", "Permission denied: {permission} is required."),
    "IDEMPOTENCY_KEY_REUSED": (
        "幂等键已用于另一个不同的请求。",
        "This idempotency key was already used for a different request.",
    ),
}

#: Codes of rules several domains apply on their own (master-data records in ``server/core/master_records.py``,
#: quantities and documents in ``server/documents/actions.py``, settlements in ``server/documents/open_items.py``): one
#: message each; a domain names the ones it raises in ``shared=`` of its vocabulary.
SHARED_MESSAGES: dict[str, tuple[str, str]] = {
    "DUPLICATE_CODE": ("编码“{code}”已存在。", "Code “{code}” already exists."),
    "INACTIVE": ("{what}已停用。", "{what_en} is archived."),
    "INVALID_PARENT": ("上级无效（不能形成循环）。", "Invalid parent (it would create a cycle)."),
    "TOO_MANY_DECIMALS": (
        "小数位数过多：最多 {precision} 位。",
        "Too many decimals: at most {precision} allowed.",
    ),
    "INVALID_QUANTITY": ("数量必须大于零。", "The quantity must be greater than zero."),
    "WRONG_UNIT": ("该商品没有此计量单位。", "This unit is not defined for the product."),
    "INVALID_STATUS": ("{what}当前状态为“{status}”，不能{action}。", "{what_en} is {status}: cannot {action_en}."),
    "SELF_APPROVAL": (
        "职责分离：单据的制单人不能审批自己的单据。",
        "Separation of duties: the creator of a document cannot approve it.",
    ),
    "APPROVER_ROLE_REQUIRED": ("此审批步骤需要角色“{role}”。", "This approval step needs the role “{role}”."),
    "ALREADY_APPROVED_BY_YOU": (
        "您已审批过此单据的前一步骤，需由另一人审批。",
        "You approved an earlier step of this document; another person must approve this one.",
    ),
    "WRONG_ORDER": ("该行不属于此采购订单。", "This line does not belong to the purchase order."),
    "OVER_RETURN": ("退货数量超过可退数量 {available}。", "The return exceeds the returnable quantity {available}."),
    "OVER_PAYMENT": ("金额超过未付余额 {open}。", "The amount exceeds the open balance {open}."),
    "DATE_IN_FUTURE": (
        "业务日期不能晚于 {latest}（今天加上允许提前的天数）。",
        "The business date cannot be after {latest} (today plus the days ahead the company allows).",
    ),
}

#: Codes about the request itself (``ApiError``, ``server/web/guard.py``), reported as GraphQL or HTTP
#: errors rather than in a payload.
API_MESSAGES: dict[str, tuple[str, str]] = {
    "PAGE_SIZE_TOO_LARGE": ("每页最多 {max} 条。", "At most {max} items per page."),
    "QUERY_TOO_COMPLEX": (
        "查询过于复杂：估计要生成 {cost} 个对象，上限 {max}；请减少嵌套列表或每页条数。",
        "Query too complex: it would build about {cost} objects, the limit is {max}; "
        "nest fewer lists or ask for smaller pages.",
    ),
    "INVALID_CURSOR": ("分页游标无效。", "Invalid pagination cursor."),
    "INVALID_SINCE": (
        "since={since} 超出事件日志末尾（{last}）：该游标不属于这个数据库。",
        "since={since} is beyond the end of the event journal ({last}): the cursor is not from this database.",
    ),
    "INVALID_ID": ("ID 无效或类型不符。", "Invalid ID or ID of another type."),
    "INTERNAL_ERROR": ("服务器内部错误，请求编号 {request_id}。", "Internal server error, request id {request_id}."),
}

_CODE = re.compile(r"[A-Z][A-Z0-9_]*")


# ---- domain vocabularies -----------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class ErrorVocabulary:
    """The error codes of one domain: those it declares itself (with their messages), the shared ones
    it raises, and — through ``calls`` — those of the domains whose errors it passes on (wrapped or
    not). ``codes`` is the enum of all of them: a caller of the domain's actions can receive exactly
    these, and the domain's GraphQL error enum is generated from it (``schema/errors.py``)."""

    name: str  # "Purchasing": the API has PurchasingErrorCode and PurchasingError
    own: Mapping[str, tuple[str, str]]
    shared: tuple[str, ...]
    calls: tuple[ErrorVocabulary, ...]
    codes: type[enum.Enum]
    module: str

    def __contains__(self, code: str) -> bool:
        return code in self.codes.__members__

    def __repr__(self) -> str:
        return f"<ErrorVocabulary {self.name}>"


_VOCABULARIES: dict[str, ErrorVocabulary] = {}
_MESSAGES: dict[str, tuple[str, str]] = {**COMMON_MESSAGES, **SHARED_MESSAGES, **API_MESSAGES}
_OWNER: dict[str, str] = {}  # code -> the vocabulary that declared it


def error_vocabulary(
    name: str,
    own: Mapping[str, tuple[str, str]],
    *,
    shared: tuple[str, ...] = (),
    calls: tuple[ErrorVocabulary, ...] = (),
) -> ErrorVocabulary:
    """Declare a domain's error codes, each with its (Chinese, English) message, beside its rules
    (``server/<domain>/errors.py``). ``shared`` names codes of ``SHARED_MESSAGES`` the domain raises;
    ``calls`` the domains whose errors reach this domain's callers. A code exists only with its
    messages, and only once: declaring it twice, or naming an unknown shared code, fails at import."""
    module = sys._getframe(1).f_globals.get("__name__", __name__)
    if name in _VOCABULARIES:
        raise ValueError(f"error vocabulary {name} is declared twice")
    for code, messages in own.items():
        if not _CODE.fullmatch(code):
            raise ValueError(f"{name}: {code!r} is not an error code (A_Z0_9)")
        if code in _MESSAGES:
            owner = _OWNER.get(code, "server.core.errors")
            raise ValueError(f"{name}: {code} is already declared by {owner}; name it in shared= or calls=")
        if (
            not isinstance(messages, tuple)
            or len(messages) != 2
            or not all(isinstance(m, str) and m.strip() for m in messages)
        ):
            raise ValueError(f"{name}: {code} needs a (Chinese, English) message")
    unknown = [c for c in shared if c not in SHARED_MESSAGES]
    if unknown:
        raise ValueError(f"{name}: shared codes {unknown} are not in server.core.errors.SHARED_MESSAGES")
    members = dict.fromkeys([*COMMON_MESSAGES, *shared, *own])
    for called in calls:
        members.update(dict.fromkeys(called.codes.__members__))
    # the functional API with a computed name: mypy only understands it with a literal one
    codes: type[enum.Enum] = enum.Enum(f"{name}ErrorCode", [(c, c) for c in members], module=module)  # type: ignore[misc]
    codes.__doc__ = f"Every error code a caller of the {name.lower()} actions can receive."
    vocabulary = ErrorVocabulary(name, MappingProxyType(dict(own)), tuple(shared), tuple(calls), codes, module)
    _VOCABULARIES[name] = vocabulary
    _MESSAGES.update(own)
    _OWNER.update(dict.fromkeys(own, module))
    return vocabulary


def load_vocabularies() -> dict[str, ErrorVocabulary]:
    """Every domain's vocabulary by name: imports each ``server/<domain>/errors.py`` (they are small
    and import only this module and the vocabularies they call)."""
    global _all_loaded
    if not _all_loaded:
        for path in sorted(Path(__file__).parent.parent.glob("*/errors.py")):
            if path.parent.name != "core":  # this module: the machinery, not a domain
                importlib.import_module(f"server.{path.parent.name}.errors")
        _all_loaded = True
    return dict(_VOCABULARIES)


_all_loaded = False


def messages_of(code: str) -> tuple[str, str] | None:
    """The (Chinese, English) message templates of ``code``, or ``None`` for an undeclared code."""
    if code not in _MESSAGES:
        load_vocabularies()
    return _MESSAGES.get(code)


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
    "reorder_rule": ("补货规则", "Reorder rule"),
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
    "draft": "草稿",
    "submitted": "已提交",
    "approved": "已审批",
    "rejected": "已驳回",
    "partially_received": "部分收货",
    "received": "已收货",
    "closed": "已关闭",
    "cancelled": "已取消",
    "pending_approval": "待审批",
    "open": "未结清",
    "paid": "已结清",
    "partially_shipped": "部分发货",
    "shipped": "已发货",
    "invoiced": "已开票",
    "in_transit": "在途",
    "count": "盘点",
    "in_progress": "生产中",
    "completed": "已完工",
    "reviewed": "已审核",
    "posted": "已记账",
}

ACTION_NAMES: dict[str, str] = {
    "edit": "修改",
    "submit": "提交",
    "approve": "审批",
    "reject": "驳回",
    "cancel": "取消",
    "close": "关闭",
    "receive": "收货",
    "bill": "开票",
    "pay": "付款",
    "ship": "发货",
    "invoice": "开票",
    "return": "退货",
    "review": "审核",
    "post": "记账",
    "reverse": "冲销",
    "delete": "删除",
    "reopen": "反结账",
    "unapprove": "反审核",
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
    zh, en = messages_of(code) or (code, code)
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
    """One or more business-rule violations; the transaction that raised it is rolled back.

    Each domain has its subclass (``server/<domain>/errors.py``) with its ``vocabulary``."""

    vocabulary: ClassVar[ErrorVocabulary | None] = None

    def __init__(self, error_code: str, field: str | None = None, **params):
        self.details = [ErrorDetail(error_code, field, params)]
        super().__init__(f"{error_code} ({field})")

    @classmethod
    def from_inventory(cls, exc: DomainError, field_of=lambda f: f) -> Self:
        """A called domain's errors (the stock primitives', a document service's) as this domain's
        errors, with fields mapped to the document's; the called domain is in this one's ``calls``."""
        return cls.many([ErrorDetail(d.code, field_of(d.field) if d.field else d.field, d.params) for d in exc.details])

    @classmethod
    def many(cls, details: list[ErrorDetail]) -> Self:
        err = cls(details[0].code, details[0].field, **details[0].params)
        err.details = list(details)
        return err


class ErrorCollector:
    """Collects every problem of one request so the caller sees all of them at once, then raises
    them together as one ``error_cls`` (before anything is written). The one collector: the
    master-data text rules (``server/core/master_records.py``), the document helpers (``server/documents/actions.py``)
    and the stock validator (``server/inventory/services.py``) build on it."""

    def __init__(self, error_cls: type[DomainError] = DomainError):
        self.error_cls = error_cls
        self.errors: list[ErrorDetail] = []

    def add(self, code: str, field: str | None = None, /, **params) -> None:
        self.errors.append(ErrorDetail(code, field, params))

    def check(self, condition, code: str, field: str | None = None, /, **params) -> bool:
        """Add the problem unless ``condition`` holds; returns whether it held."""
        if not condition:
            self.add(code, field, **params)
        return bool(condition)

    def extend(self, details) -> None:
        self.errors.extend(details)

    def raise_if_any(self) -> None:
        if self.errors:
            raise self.error_cls.many(self.errors)


class UnknownErrorCode(LookupError):
    """A programming error: a code reached an API enum that does not declare it (add the code to the
    raising domain's vocabulary, or the raising domain to the caller's ``calls``)."""


class ApiError(Exception):
    """An error about the request itself (page size, cursor, id) reported as a GraphQL error."""

    def __init__(self, code: str, **params):
        self.code = code
        self.params = params
        super().__init__(render_message(code, "en", params))


def __getattr__(name: str):
    """The domain error classes and code enums under their former names here (``server.errors.
    SalesError``); they live in ``server/<domain>/errors.py`` — import them from there."""
    if name.endswith("ErrorCode") or name.endswith("Error"):
        domain = name.removesuffix("Code").removesuffix("Error")
        vocabulary = load_vocabularies().get(domain)
        if vocabulary is not None:
            module = sys.modules[vocabulary.module]
            return vocabulary.codes if name.endswith("Code") else getattr(module, f"{domain}Error")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
