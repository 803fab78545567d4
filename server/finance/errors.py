"""Finance errors: the books and chart of accounts, vouchers, expenses, period end.

Each code is declared here with its messages (Chinese, English); ``FinanceErrorCode`` — and so
the API's ``FinanceErrorCode`` enum — is built from this declaration (``server/core/errors.py``)."""

from __future__ import annotations

from server.core.errors import DomainError, error_vocabulary

FINANCE = error_vocabulary(
    "Finance",
    {
        "NOT_SET_UP": (
            "账套尚未建立：请先选择会计准则建账（jxc finance setup）。",
            "The books are not set up yet: choose an accounting standard first (jxc finance setup).",
        ),
        "ALREADY_SET_UP": ("账套已经建立，不能重复建账。", "The books are already set up."),
        "UNKNOWN_ACCOUNT": ("科目 {code} 不存在或已停用。", "Account {code} does not exist or is inactive."),
        "NOT_LEAF_ACCOUNT": (
            "科目 {code} 有下级科目，只能记入末级科目。",
            "Account {code} has sub-accounts: post to a leaf account.",
        ),
        "ACCOUNT_IN_USE": (
            "科目 {code} 已有凭证，不能再增加下级科目或修改。",
            "Account {code} already has postings: it cannot get sub-accounts or change.",
        ),
        "UNBALANCED": (
            "借贷不平衡：借方 {debit}，贷方 {credit}。",
            "Debits and credits differ: debit {debit}, credit {credit}.",
        ),
        "EMPTY_VOUCHER": (
            "凭证至少需要两行且金额不能为零。",
            "A voucher needs at least two lines and a non-zero amount.",
        ),
        "PERIOD_CLOSED": ("会计期间 {period} 已结账，不能记账。", "Accounting period {period} is closed: no postings."),
        "SUSPENSE_NOT_CLEAR": (
            "待处理财产损溢（{code}）还有余额 {balance}，请先处理盘盈盘亏。",
            "Stock differences awaiting approval ({code}) still hold {balance}: clear them first.",
        ),
        "PROFIT_NOT_CLOSED": (
            "损益类科目还有余额，请先结转损益。",
            "Profit and loss accounts still have balances: close them to current-year profit first.",
        ),
        "UNPOSTED_VOUCHERS": ("本期还有 {count} 张未记账凭证。", "{count} vouchers of the period are not posted yet."),
        "PREVIOUS_PERIOD_OPEN": ("上一期间 {period} 尚未结账。", "The previous period {period} is still open."),
        "LATER_PERIOD_CLOSED": (
            "之后的期间 {period} 已结账，请先反结账该期间。",
            "A later period ({period}) is closed: reopen it first.",
        ),
        "SELF_REVIEW": (
            "职责分离：制单人不能审核自己的凭证。",
            "Separation of duties: the preparer cannot review the voucher.",
        ),
        "ALREADY_REVERSED": ("该凭证已被冲销。", "This voucher has already been reversed."),
        "ALREADY_DISPOSED": ("该笔待处理财产损溢已经处理。", "These stock differences were already cleared."),
        "NOTHING_TO_DISPOSE": ("该凭证没有待处理财产损溢。", "This voucher holds no stock differences to clear."),
    },
    shared=(
        "DATE_IN_FUTURE",
        "DUPLICATE_CODE",
        "TOO_MANY_DECIMALS",
        "INVALID_QUANTITY",
        "WRONG_UNIT",
        "INVALID_STATUS",
        "SELF_APPROVAL",
        "OVER_PAYMENT",
    ),
)

FinanceErrorCode = FINANCE.codes


class FinanceError(DomainError):
    """A finance rule violation."""

    vocabulary = FINANCE
