"""Finance input types."""

from __future__ import annotations

from datetime import date
from enum import Enum

import strawberry

from schema.enums import AccountDimension, GainTreatment, LossTreatment
from schema.scalars import Decimal_, Money


@strawberry.enum
class AccountingStandard(Enum):
    ENTERPRISE = "enterprise"
    SMALL = "small"


@strawberry.input
class VoucherLineInput:
    account_code: str
    debit: Money = Money("0")
    credit: Money = Money("0")
    memo: str = ""
    customer_id: strawberry.ID | None = None
    supplier_id: strawberry.ID | None = None
    warehouse_id: strawberry.ID | None = None
    department_id: strawberry.ID | None = None


@strawberry.input
class VoucherInput:
    voucher_date: date
    memo: str
    lines: list[VoucherLineInput]


@strawberry.input
class AccountInput:
    parent_code: str
    code: str
    name: str
    name_en: str = ""
    dimensions: list[AccountDimension] | None = None


@strawberry.input
class ExpenseInput:
    category: str
    amount: Money
    description: str
    vat_rate: Decimal_ = Decimal_("0")
    special_invoice: bool = strawberry.field(default=False, description="专票: the input VAT is deductible.")
    supplier_id: strawberry.ID | None = None
    department_id: strawberry.ID | None = None
    expense_date: date | None = None


@strawberry.input
class ClearSuspenseInput:
    voucher_id: strawberry.ID
    loss_treatment: LossTreatment = LossTreatment.NORMAL
    gain_treatment: GainTreatment = GainTreatment.INCOME
    abnormal_vat_rate: Decimal_ | None = strawberry.field(
        default=None, description="Abnormal loss: reverse input VAT at this rate (进项税额转出), e.g. 0.13."
    )
    on: date | None = None
