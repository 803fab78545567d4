"""The standard charts of accounts (企业会计准则 / 小企业会计准则, domain reference §3.2–3.3), the
posting-rule roles with their default accounts, the cash-flow items and the expense categories.

Asset and liability codes are the same in both standards; equity, cost and P&L codes differ. A
business role (``inventory``, ``output_vat`` …) names what an amount *is*; ``posting_rule`` maps
each role to an account, so a business can move a posting to another account without code.
"""

from __future__ import annotations

from dataclasses import dataclass

STANDARDS = ("enterprise", "small")  # 企业会计准则 | 小企业会计准则


@dataclass(frozen=True)
class AccountDef:
    enterprise: str | None
    small: str | None
    name: str
    name_en: str
    category: str  # asset | liability | equity | cost | revenue | expense
    direction: str  # debit | credit
    dimensions: str = ""
    is_cash: bool = False
    parent: str | None = None  # the parent's enterprise code (the same in both standards here)

    def code(self, standard: str) -> str | None:
        return self.enterprise if standard == "enterprise" else self.small


A, L, E, C, R, X = "asset", "liability", "equity", "cost", "revenue", "expense"
D, K = "debit", "credit"

CHART: tuple[AccountDef, ...] = (
    AccountDef("1001", "1001", "库存现金", "Cash on hand", A, D, is_cash=True),
    AccountDef("1002", "1002", "银行存款", "Bank deposits", A, D, is_cash=True),
    AccountDef("1012", "1012", "其他货币资金", "Other monetary funds", A, D, is_cash=True),
    AccountDef("1121", "1121", "应收票据", "Notes receivable", A, D, "customer"),
    AccountDef("1122", "1122", "应收账款", "Accounts receivable", A, D, "customer"),
    AccountDef("1123", "1123", "预付账款", "Prepayments to suppliers", A, D, "supplier"),
    AccountDef("1221", "1221", "其他应收款", "Other receivables", A, D, "department"),
    AccountDef("1402", "1402", "在途物资", "Goods in transit (invoiced)", A, D, "supplier"),
    AccountDef("1405", "1405", "库存商品", "Merchandise inventory", A, D, "warehouse"),
    AccountDef("1406", None, "发出商品", "Goods shipped", A, D, "customer"),
    AccountDef("1411", "1411", "周转材料", "Packaging and consumables", A, D),
    AccountDef("1601", "1601", "固定资产", "Fixed assets", A, D),
    AccountDef("1602", "1602", "累计折旧", "Accumulated depreciation", A, K),
    AccountDef("1901", "1901", "待处理财产损溢", "Stock differences awaiting approval", A, D, "warehouse"),
    AccountDef("2001", "2001", "短期借款", "Short-term loans", L, K),
    AccountDef("2201", "2201", "应付票据", "Notes payable", L, K, "supplier"),
    AccountDef("2202", "2202", "应付账款", "Accounts payable", L, K),
    AccountDef("220201", "220201", "应付账款-货款", "Payables to suppliers", L, K, "supplier", parent="2202"),
    AccountDef(
        "220202", "220202", "应付账款-暂估应付", "Goods received not billed (暂估)", L, K, "supplier", parent="2202"
    ),
    AccountDef("2203", "2203", "预收账款", "Advances from customers", L, K, "customer"),
    AccountDef("2211", "2211", "应付职工薪酬", "Payroll payable", L, K),
    AccountDef("2221", "2221", "应交税费", "Taxes payable", L, K),
    AccountDef("222101", "222101", "应交增值税", "VAT payable", L, K, parent="2221"),
    AccountDef("22210101", "22210101", "进项税额", "Input VAT", L, D, parent="222101"),
    AccountDef("22210102", "22210102", "销项税额", "Output VAT", L, K, parent="222101"),
    AccountDef("22210103", "22210103", "进项税额转出", "Input VAT reversed", L, K, parent="222101"),
    AccountDef("22210104", "22210104", "转出未交增值税", "VAT transferred out (unpaid)", L, D, parent="222101"),
    AccountDef("22210105", "22210105", "已交税金", "VAT paid in the month", L, D, parent="222101"),
    AccountDef("222102", "222102", "未交增值税", "VAT unpaid", L, K, parent="2221"),
    AccountDef("222103", "222103", "待认证进项税额", "Input VAT awaiting verification", L, D, parent="2221"),
    AccountDef("222104", "222104", "应交城市维护建设税", "City maintenance tax payable", L, K, parent="2221"),
    AccountDef("222105", "222105", "应交教育费附加", "Education surcharge payable", L, K, parent="2221"),
    AccountDef("222106", "222106", "应交地方教育附加", "Local education surcharge payable", L, K, parent="2221"),
    AccountDef("222107", "222107", "应交企业所得税", "Income tax payable", L, K, parent="2221"),
    AccountDef("2241", "2241", "其他应付款", "Other payables", L, K, "supplier"),
    AccountDef("4001", "3001", "实收资本", "Paid-in capital", E, K),
    AccountDef("4002", "3002", "资本公积", "Capital reserve", E, K),
    AccountDef("4101", "3101", "盈余公积", "Surplus reserve", E, K),
    AccountDef("4103", "3103", "本年利润", "Current-year profit", E, K),
    AccountDef("4104", "3104", "利润分配", "Profit distribution", E, K),
    AccountDef("5001", "4001", "生产成本", "Work in progress", C, D),
    AccountDef("5101", "4101", "制造费用", "Manufacturing overhead", C, D),
    AccountDef("6001", "5001", "主营业务收入", "Revenue", R, K, "customer"),
    AccountDef("6051", "5051", "其他业务收入", "Other operating revenue", R, K),
    AccountDef("6301", "5301", "营业外收入", "Non-operating income", R, K),
    AccountDef("6401", "5401", "主营业务成本", "Cost of goods sold", X, D),
    AccountDef("6402", "5402", "其他业务成本", "Other operating costs", X, D),
    AccountDef("6403", "5403", "税金及附加", "Taxes and surcharges", X, D),
    AccountDef("6601", "5601", "销售费用", "Selling expenses", X, D, "department"),
    AccountDef("6602", "5602", "管理费用", "Administrative expenses", X, D, "department"),
    AccountDef("6603", "5603", "财务费用", "Finance costs", X, D),
    AccountDef("6711", "5711", "营业外支出", "Non-operating expenses", X, D),
    AccountDef("6801", "5801", "所得税费用", "Income tax expense", X, D),
)

# role → enterprise code of its default account (translated per standard through CHART); a few
# roles differ by standard and say so with a (enterprise, small) pair.
DEFAULT_RULES: dict[str, str | tuple[str, str]] = {
    "cash": "1001",
    "bank": "1002",
    "receivable": "1122",
    "customer_advance": "2203",
    "supplier_prepayment": "1123",
    "other_receivable": "1221",
    "inventory": "1405",
    "suspense": "1901",
    "payable": "220201",
    "goods_not_billed": "220202",  # 暂估: goods received, supplier bill not yet booked
    "landed_cost_accrual": "2241",
    "other_payable": "2241",
    "payroll": "2211",
    "input_vat": "22210101",
    "output_vat": "22210102",
    "input_vat_reversed": "22210103",
    "vat_transferred_out": "22210104",
    "vat_unpaid": "222102",
    "capital": "4001",
    "current_profit": "4103",
    "retained_earnings": "4104",
    "work_in_progress": "5001",
    "overhead_applied": "5101",
    "labour_applied": "2211",
    "revenue": "6001",
    "cost_of_sales": "6401",
    "purchase_price_variance": "6401",  # bill vs receipt price differences (no re-costing: docs/finance.md)
    "selling_expense": "6601",
    "admin_expense": "6602",
    "finance_expense": "6603",
    "non_operating_income": "6301",
    "non_operating_expense": "6711",
    # stock differences, cleared from 1901 after approval (§3.4, §5.4)
    "count_gain_cleared": ("6602", "6301"),  # 企业: reduces 管理费用; 小企业: 营业外收入
    "count_loss_normal": ("6602", "6711"),  # 企业: 管理费用; 小企业: 营业外支出
    "count_loss_disaster": "6711",
    "count_loss_compensation": "1221",
    "other_stock_in": "1901",  # stock received without a document waits in 1901 for a decision
    "other_stock_out": "1901",
}

ROLE_NAMES: dict[str, tuple[str, str]] = {
    "cash": ("库存现金", "Cash"),
    "bank": ("银行存款", "Bank"),
    "receivable": ("应收账款", "Receivables"),
    "customer_advance": ("预收账款", "Customer advances"),
    "supplier_prepayment": ("预付账款", "Prepayments"),
    "other_receivable": ("其他应收款", "Other receivables"),
    "inventory": ("库存商品", "Inventory"),
    "suspense": ("待处理财产损溢", "Suspense"),
    "payable": ("应付账款", "Payables"),
    "goods_not_billed": ("暂估应付", "Goods received not billed"),
    "landed_cost_accrual": ("暂估运杂费", "Landed costs accrued"),
    "other_payable": ("其他应付款", "Other payables"),
    "payroll": ("应付职工薪酬", "Payroll"),
    "input_vat": ("进项税额", "Input VAT"),
    "output_vat": ("销项税额", "Output VAT"),
    "input_vat_reversed": ("进项税额转出", "Input VAT reversed"),
    "vat_transferred_out": ("转出未交增值税", "VAT transferred out"),
    "vat_unpaid": ("未交增值税", "VAT unpaid"),
    "capital": ("实收资本", "Capital"),
    "current_profit": ("本年利润", "Current-year profit"),
    "retained_earnings": ("利润分配", "Profit distribution"),
    "work_in_progress": ("生产成本", "Work in progress"),
    "overhead_applied": ("制造费用", "Overhead"),
    "labour_applied": ("直接人工", "Labour"),
    "revenue": ("主营业务收入", "Revenue"),
    "cost_of_sales": ("主营业务成本", "Cost of sales"),
    "purchase_price_variance": ("采购价差", "Purchase price variance"),
    "selling_expense": ("销售费用", "Selling expenses"),
    "admin_expense": ("管理费用", "Administrative expenses"),
    "finance_expense": ("财务费用", "Finance costs"),
    "non_operating_income": ("营业外收入", "Non-operating income"),
    "non_operating_expense": ("营业外支出", "Non-operating expenses"),
    "count_gain_cleared": ("盘盈处理", "Count gains cleared"),
    "count_loss_normal": ("盘亏-正常", "Count losses"),
    "count_loss_disaster": ("盘亏-自然灾害", "Losses from disasters"),
    "count_loss_compensation": ("盘亏-责任人赔偿", "Losses compensated"),
    "other_stock_in": ("其他入库", "Other stock in"),
    "other_stock_out": ("其他出库", "Other stock out"),
}

# Cash-flow statement items (direct method, the lines of 会企03表), each in its section; the outflow
# items are ``OUTFLOW_ITEMS``. ``investing`` and ``financing`` are not lines: a cash line classified
# so goes to the standard line of its counter-account and direction (``BY_DIRECTION``).
CASH_FLOW_ITEMS: dict[str, tuple[str, str, str]] = {
    # item: (section, 中文, English)
    "sales_receipts": ("operating", "销售商品、提供劳务收到的现金", "Cash received from sales of goods and services"),
    "tax_refunds": ("operating", "收到的税费返还", "Tax refunds received"),
    "other_operating_receipts": ("operating", "收到其他与经营活动有关的现金", "Other cash received from operations"),
    "purchase_payments": ("operating", "购买商品、接受劳务支付的现金", "Cash paid for goods and services"),
    "wages_paid": ("operating", "支付给职工以及为职工支付的现金", "Cash paid to and for employees"),
    "taxes_paid": ("operating", "支付的各项税费", "Taxes paid"),
    "other_operating_payments": ("operating", "支付其他与经营活动有关的现金", "Other cash paid for operations"),
    "investing": (
        "investing",
        "投资活动现金流量（按对方科目与方向）",
        "Investing activities (by account and direction)",
    ),
    "investment_recovered": ("investing", "收回投资收到的现金", "Cash received from disposal of investments"),
    "investment_income": ("investing", "取得投资收益收到的现金", "Cash received from investment income"),
    "asset_disposals": (
        "investing",
        "处置固定资产、无形资产和其他长期资产收回的现金净额",
        "Net cash from disposals of fixed, intangible and other long-term assets",
    ),
    "other_investing_receipts": ("investing", "收到其他与投资活动有关的现金", "Other cash received from investing"),
    "asset_purchases": (
        "investing",
        "购建固定资产、无形资产和其他长期资产支付的现金",
        "Cash paid for fixed, intangible and other long-term assets",
    ),
    "investments_made": ("investing", "投资支付的现金", "Cash paid for investments"),
    "other_investing_payments": ("investing", "支付其他与投资活动有关的现金", "Other cash paid for investing"),
    "financing": (
        "financing",
        "筹资活动现金流量（按对方科目与方向）",
        "Financing activities (by account and direction)",
    ),
    "capital_received": ("financing", "吸收投资收到的现金", "Cash received from capital contributions"),
    "borrowings_received": ("financing", "取得借款收到的现金", "Cash received from borrowings"),
    "other_financing_receipts": ("financing", "收到其他与筹资活动有关的现金", "Other cash received from financing"),
    "debt_repaid": ("financing", "偿还债务支付的现金", "Cash repayments of borrowings"),
    "dividends_interest_paid": (
        "financing",
        "分配股利、利润或偿付利息支付的现金",
        "Cash paid for dividends, profit distributions or interest",
    ),
    "other_financing_payments": ("financing", "支付其他与筹资活动有关的现金", "Other cash paid for financing"),
}
OUTFLOW_ITEMS = frozenset(
    {
        "purchase_payments",
        "wages_paid",
        "taxes_paid",
        "other_operating_payments",
        "asset_purchases",
        "investments_made",
        "other_investing_payments",
        "debt_repaid",
        "dividends_interest_paid",
        "other_financing_payments",
    }
)
# the section items: their line is found by counter-account (enterprise prefix) and direction, (inflow, outflow)
BY_DIRECTION: dict[str, tuple[str, str]] = {
    "1601": ("asset_disposals", "asset_purchases"),
    "2001": ("borrowings_received", "debt_repaid"),
    "4001": ("capital_received", "other_financing_payments"),
    "4002": ("capital_received", "other_financing_payments"),
    "4104": ("other_financing_receipts", "dividends_interest_paid"),
}
SECTION_ITEMS: dict[str, tuple[str, str]] = {  # a section item not in BY_DIRECTION: (inflow, outflow)
    "investing": ("other_investing_receipts", "other_investing_payments"),
    "financing": ("other_financing_receipts", "other_financing_payments"),
}

# counter-account prefix (enterprise codes) → item; receipts and payments of "other" go by sign
DEFAULT_CASH_FLOW_RULES: dict[str, str] = {
    "1122": "sales_receipts",
    "2203": "sales_receipts",
    "6001": "sales_receipts",
    "22210102": "sales_receipts",
    "6051": "sales_receipts",
    "220201": "purchase_payments",
    "220202": "purchase_payments",
    "1123": "purchase_payments",
    "1405": "purchase_payments",
    "22210101": "purchase_payments",
    "1402": "purchase_payments",
    "2211": "wages_paid",
    "2221": "taxes_paid",
    "6403": "taxes_paid",
    "6801": "taxes_paid",
    "6601": "other_operating_payments",
    "6602": "other_operating_payments",
    "6603": "other_operating_payments",
    "2241": "other_operating_payments",
    "1221": "other_operating_payments",
    "6711": "other_operating_payments",
    "6301": "other_operating_receipts",
    "1601": "investing",
    "2001": "financing",
    "4001": "financing",
    "4002": "financing",
    "4104": "financing",
}

# wages are owed to the staff: approved, they are 2211 应付职工薪酬 (not 2241), and paying them is 支付给职工以及为职工
# 支付的现金 in the cash-flow statement (CASH_FLOW_OF "2211")
PAYROLL_CATEGORIES = frozenset({"sales_wages", "admin_wages"})

EXPENSE_CATEGORIES: tuple[tuple[str, str, str, str], ...] = (
    # code, 中文, English, role
    ("freight_out", "销售运费", "Freight out", "selling_expense"),
    ("advertising", "广告宣传费", "Advertising", "selling_expense"),
    ("sales_wages", "销售人员工资", "Sales staff wages", "selling_expense"),
    ("rent", "房租", "Rent", "admin_expense"),
    ("office", "办公费", "Office supplies", "admin_expense"),
    ("utilities", "水电费", "Utilities", "admin_expense"),
    ("travel", "差旅费", "Travel", "admin_expense"),
    ("admin_wages", "管理人员工资", "Administrative wages", "admin_expense"),
    ("bank_fees", "银行手续费", "Bank fees", "finance_expense"),
    ("interest", "利息支出", "Interest", "finance_expense"),
    ("factory_overhead", "车间制造费用", "Factory overhead", "overhead_applied"),
    ("inbound_freight", "采购运杂费（已计入存货）", "Inbound freight (in inventory cost)", "landed_cost_accrual"),
)


def account_code(standard: str, enterprise_code: str) -> str:
    """The code in ``standard`` of the account known by ``enterprise_code`` in the 企业 chart."""
    for acc in CHART:
        if acc.enterprise == enterprise_code:
            code = acc.code(standard)
            if code is None:
                raise KeyError(enterprise_code)
            return code
    raise KeyError(enterprise_code)


def default_rule(standard: str, role: str) -> str:
    value = DEFAULT_RULES[role]
    if isinstance(value, tuple):
        value = value[0] if standard == "enterprise" else value[1]
    return account_code(standard, value)
