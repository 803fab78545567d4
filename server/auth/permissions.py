"""Permission codes and the built-in roles that bundle them.

Codes are ``domain.action``. Later domains add theirs here; built-in roles take their permissions
from this module (so an upgrade extends them), custom roles from the ``role_permission`` table.
"""

from __future__ import annotations

PERMISSIONS: dict[str, tuple[str, str]] = {
    "catalog.view": ("查看商品资料", "View catalog"),
    "catalog.edit": ("维护商品资料", "Edit catalog"),
    "partner.view": ("查看供应商/客户", "View suppliers and customers"),
    "partner.edit": ("维护供应商/客户", "Edit suppliers and customers"),
    "warehouse.edit": ("维护仓库与库位", "Edit warehouses and locations"),
    "stock.view": ("查看库存", "View stock"),
    "stock.receive": ("入库", "Receive stock"),
    "stock.issue": ("出库", "Issue stock"),
    "stock.transfer": ("调拨", "Transfer stock"),
    "stock.adjust": ("库存调整", "Adjust stock"),
    "stock.count": ("盘点录入", "Count stock"),
    "stock.count.manage": ("开启与取消盘点（冻结库位）", "Open and cancel stock counts (freezes locations)"),
    "stock.count.approve": ("盘点审批（可见账面数）", "Approve counts (sees book quantities)"),
    "cost.view": ("查看成本", "View costs"),
    "purchase.view": ("查看采购单据", "View purchasing documents"),
    "purchase.order.edit": ("编制采购订单、维护供应商报价", "Edit purchase orders and supplier prices"),
    "purchase.order.approve": ("审批采购订单", "Approve purchase orders"),
    "purchase.return": ("采购退货", "Return goods to suppliers"),
    "purchase.bill.edit": ("录入采购发票", "Enter supplier bills"),
    "purchase.bill.approve": ("审批发票差异", "Approve bill mismatches"),
    "purchase.settings": ("采购设置", "Change purchasing settings"),
    "sales.view": ("查看销售单据", "View sales documents"),
    "sales.order.edit": ("编制销售订单", "Edit sales orders"),
    "sales.order.approve": ("审批销售订单", "Approve sales orders"),
    "sales.credit.approve": ("信用审批", "Approve credit"),
    "sales.ship": ("拣货发货", "Pick and ship"),
    "sales.invoice": ("开具销售发票", "Issue invoices and credit notes"),
    "sales.return": ("销售退货", "Take back sales returns"),
    "sales.settings": ("销售设置", "Change sales settings"),
    "finance.view": ("查看账务", "View the books"),
    "finance.post": ("记账", "Post to the books"),
    "finance.payment": ("收付款", "Record payments"),
    "finance.review": ("审核凭证", "Review vouchers"),
    "finance.admin": ("建账、科目与记账规则", "Set up the books, accounts and posting rules"),
    "finance.period": ("结账与反结账", "Close and reopen accounting periods"),
    "expense.edit": ("录入费用单", "Enter expense bills"),
    "expense.approve": ("审批费用单", "Approve expense bills"),
    "report.view": ("查看分析报表", "View analysis reports"),
    "automation.manage": ("自动化与定时任务", "Manage automations and scheduled jobs"),
    "webhook.manage": ("管理 Webhook 端点", "Manage webhook endpoints"),
    "scan.use": ("扫码作业", "Scan operations"),
    "device.pair": ("配对扫码设备（发放设备令牌）", "Pair scanning devices (issue device tokens)"),
    "audit.view": ("查看审计日志", "View the audit log"),
    "user.admin": ("用户与权限管理", "Manage users, roles and tokens"),
}

_VIEW = {"catalog.view", "partner.view", "stock.view"}

# code: (中文名, English name, permissions)
BUILTIN_ROLES: dict[str, tuple[str, str, frozenset[str]]] = {
    "admin": ("管理员", "Administrator", frozenset(PERMISSIONS)),
    "purchaser": (
        "采购员",
        "Purchaser",
        frozenset(_VIEW | {"purchase.view", "purchase.order.edit", "purchase.return", "partner.edit", "cost.view"}),
    ),
    "purchase_manager": (
        "采购经理",
        "Purchase manager",
        frozenset(
            _VIEW
            | {
                "purchase.view",
                "purchase.order.edit",
                "purchase.order.approve",
                "purchase.return",
                "purchase.bill.approve",
                "partner.edit",
                "cost.view",
                "report.view",
            }
        ),
    ),
    "warehouse_keeper": (
        "仓管员",
        "Warehouse keeper",
        frozenset(
            _VIEW
            | {
                "purchase.view",
                "sales.view",
                "stock.receive",
                "stock.issue",
                "stock.transfer",
                "stock.adjust",
                "stock.count",
                "stock.count.manage",
                "purchase.return",
                "sales.ship",
                "sales.return",
                "warehouse.edit",
                "scan.use",
                "device.pair",
            }
        ),
    ),
    "sales": ("销售员", "Salesperson", frozenset(_VIEW | {"sales.view", "sales.order.edit", "sales.return"})),
    "sales_manager": (
        "销售经理",
        "Sales manager",
        frozenset(
            _VIEW
            | {
                "sales.view",
                "sales.order.edit",
                "sales.order.approve",
                "sales.credit.approve",
                "sales.return",
                "cost.view",
                "report.view",
            }
        ),
    ),
    "accountant": (
        "会计",
        "Accountant",
        frozenset(
            _VIEW
            | {
                "purchase.view",
                "sales.view",
                "purchase.bill.edit",
                "purchase.bill.approve",
                "sales.invoice",
                "stock.count.approve",
                "finance.view",
                "finance.post",
                "finance.review",
                "finance.period",
                "expense.edit",
                "cost.view",
                "report.view",
            }
        ),
    ),
    "finance_manager": (
        "财务主管",
        "Finance manager",
        frozenset(
            _VIEW
            | {
                "purchase.view",
                "sales.view",
                "finance.view",
                "finance.post",
                "finance.review",
                "finance.period",
                "finance.admin",
                "expense.edit",
                "expense.approve",
                "purchase.bill.approve",
                "stock.count.approve",
                "cost.view",
                "audit.view",
                "report.view",
            }
        ),
    ),
    "cashier": (
        "出纳",
        "Cashier",
        frozenset(_VIEW | {"purchase.view", "sales.view", "finance.view", "finance.payment", "expense.edit"}),
    ),
    "viewer": ("只读", "Viewer", frozenset(_VIEW | {"purchase.view", "sales.view"})),
    # a device scans and nothing else: counting happens in COUNT scan sessions (server/scanning/sessions.py),
    # never by opening, cancelling or recording counts directly (a stolen handheld must not halt a warehouse)
    "scanner": ("扫码枪", "Scanner device", frozenset({"scan.use", "catalog.view", "stock.view"})),
    # a paired handheld (/scan, issue #18): scan sessions and nothing else — no catalog, no stock, no lists
    "scan_device": ("扫码设备（仅扫码）", "Scan device (scanning only)", frozenset({"scan.use"})),
}
