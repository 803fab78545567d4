"""Opening-balance errors (期初建账), each with its Chinese and English message."""

from __future__ import annotations

from server.core.errors import DomainError, error_vocabulary
from server.finance.errors import FINANCE
from server.inventory.errors import INVENTORY

OPENING = error_vocabulary(
    "Opening",
    {
        "GO_LIVE_NOT_SET": ("尚未设置启用日期。", "The go-live date is not set."),
        "OPENING_LOCKED": (
            "已有会计期间结账，期初余额不能再修改。",
            "An accounting period is closed: the opening balances can no longer change.",
        ),
        "GO_LIVE_FIXED": (
            "已录入期初余额，启用日期不能再改为其他日期。",
            "Opening balances are posted: the go-live date can no longer change.",
        ),
        "OPENING_UNBALANCED": (
            "期初试算不平衡：借方 {debit}，贷方 {credit}。",
            "The opening trial balance does not balance: debit {debit}, credit {credit}.",
        ),
        "CONTROLLED_ACCOUNT": (
            "科目 {code} 的期初余额来自期初库存或往来明细，不能直接录入。",
            "Account {code} takes its opening balance from opening stock or open items: it cannot be entered directly.",
        ),
        "PROFIT_AND_LOSS_ACCOUNT": (
            "损益类科目 {code} 没有期初余额：旧账的利润记入本年利润或利润分配。",
            "Profit-and-loss account {code} has no opening balance: the old books' profit goes to 4103 or 4104.",
        ),
        "NOT_A_LEAF_ACCOUNT": (
            "科目 {code} 有下级科目，请录入到末级科目。",
            "Account {code} has sub-accounts: enter the balance on a sub-account.",
        ),
        "DEBIT_OR_CREDIT": (
            "每行只能录入借方或贷方，且不能为负数。",
            "Enter either a debit or a credit on each line, never negative.",
        ),
        "DATE_NOT_BEFORE_GO_LIVE": (
            "期初单据日期必须早于启用日期 {go_live}。",
            "Opening documents must be dated before the go-live date {go_live}.",
        ),
        "DUE_BEFORE_DATE": ("到期日不能早于单据日期。", "The due date cannot be before the document date."),
        "NOTHING_TO_POST": ("期初余额为空。", "The opening balances are empty."),
        "ALREADY_IMPORTED": (
            "这个期初文件已经导入过（{at}），再导入会重复入账；更正请导入只含差额的文件。",
            "This opening file was imported already ({at}); importing it again would book it twice — for a "
            "correction, import a file of the differences.",
        ),
    },
    shared=("DUPLICATE_CODE", "TOO_MANY_DECIMALS", "INVALID_QUANTITY", "WRONG_UNIT", "INACTIVE"),
    calls=(FINANCE, INVENTORY),
)

OpeningErrorCode = OPENING.codes


class OpeningError(DomainError):
    """An opening-balance rule violation."""

    vocabulary = OPENING
