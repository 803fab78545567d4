"""Setting up the books (建账) and keeping the chart of accounts, posting rules and departments.

``do_setup_books`` picks the accounting standard once, creates its chart, the default posting rules,
cash-flow rules and expense categories, and starts the poster at the beginning of the event journal,
so every business event already recorded is booked as well.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import exists, select, update

from server.auth.services import Principal
from server.core.audit import note_change
from server.core.business_dates import FUTURE_DAYS_KEY, MAX_FUTURE_DAYS
from server.core.business_settings import read_setting, write_setting
from server.core.clock import utcnow
from server.core.database import Database
from server.core.text_limits import check_length, string_length
from server.finance.chart import (
    CHART,
    DEFAULT_CASH_FLOW_RULES,
    DEFAULT_RULES,
    EXPENSE_CATEGORIES,
    STANDARDS,
    account_code,
    default_rule,
)
from server.finance.common import actor_label, require_permission
from server.finance.errors import FinanceError
from server.finance.ledger import DIMENSIONS, books_standard
from server.finance.models import (
    account,
    cash_flow_rule,
    department,
    expense_category,
    poster_state,
    posting_rule,
    voucher_line,
)


async def do_setup_books(db: Database, standard: str, principal: Principal | None) -> None:
    """Create the chart of ``standard`` (``enterprise`` 企业会计准则 | ``small`` 小企业会计准则)."""
    require_permission(principal, "finance.admin")
    if standard not in STANDARDS:
        raise FinanceError("INVALID_VALUE", "standard", detail=" | ".join(STANDARDS))
    actor = actor_label(principal)
    async with db.write() as conn:
        if (await conn.execute(select(poster_state.c.id).with_for_update())).first() is not None:
            raise FinanceError("ALREADY_SET_UP")
        rows, parents = [], set()
        for acc in CHART:
            code = acc.code(standard)
            if code is None:
                continue
            parent = account_code(standard, acc.parent) if acc.parent else None
            parents.add(parent)
            rows.append(
                {
                    "code": code,
                    "parent_code": parent,
                    "name": acc.name,
                    "name_en": acc.name_en,
                    "category": acc.category,
                    "direction": acc.direction,
                    "dimensions": acc.dimensions,
                    "is_cash": acc.is_cash,
                    "is_leaf": True,
                    "active": True,
                    "created_by": "system",
                }
            )
        for row in rows:
            row["is_leaf"] = row["code"] not in parents
        await conn.execute(account.insert(), rows)
        now = utcnow()
        await conn.execute(
            posting_rule.insert(),
            [
                {"role": role, "account_code": default_rule(standard, role), "updated_by": "system", "updated_at": now}
                for role in DEFAULT_RULES
            ],
        )
        await conn.execute(
            cash_flow_rule.insert(),
            [
                {"account_prefix": account_code(standard, prefix), "item": item}
                for prefix, item in DEFAULT_CASH_FLOW_RULES.items()
            ],
        )
        await conn.execute(
            expense_category.insert(),
            [{"code": code, "name": zh, "name_en": en, "role": role} for code, zh, en, role in EXPENSE_CATEGORIES],
        )
        await conn.execute(poster_state.insert().values(id=1, last_seq=0, standard=standard, updated_at=now))
        note_change(conn, "books:setup", after={"standard": standard, "by": actor})


@dataclass
class AccountInput:
    parent_code: str
    code: str
    name: str
    name_en: str = ""
    dimensions: list[str] | None = None  # default: the parent's


async def _has_postings(conn, code: str) -> bool:
    return (await conn.execute(select(exists().where(voucher_line.c.account_code == code)))).scalar()


async def do_add_account(db: Database, data: AccountInput, principal: Principal | None) -> str:
    """Add a sub-account (明细科目). Its code extends the parent's; a parent that already carries
    postings cannot be split. Posting rules that pointed at the parent follow its first sub-account."""
    require_permission(principal, "finance.admin")
    code, name = data.code.strip(), data.name.strip()
    async with db.write() as conn:
        await books_standard(conn)
        parent = (
            await conn.execute(select(account).where(account.c.code == data.parent_code).with_for_update())
        ).first()
        if parent is None:
            raise FinanceError("NOT_FOUND", "parentCode", what="account")
        if (
            not code.isdigit()
            or not code.startswith(parent.code)
            or len(code) <= len(parent.code)
            or len(code) > string_length(account.c.code)
        ):
            raise FinanceError("INVALID_VALUE", "code", detail=f"{parent.code} + digits")
        if not name:
            raise FinanceError("REQUIRED", "name")
        check_length(name, account.c.name, FinanceError, "name")
        check_length(data.name_en.strip(), account.c.name_en, FinanceError, "nameEn")
        dims = parent.dimensions if data.dimensions is None else ",".join(data.dimensions)
        if any(d and d not in DIMENSIONS for d in dims.split(",")):
            raise FinanceError("INVALID_VALUE", "dimensions", detail=" | ".join(DIMENSIONS))
        check_length(dims, account.c.dimensions, FinanceError, "dimensions")  # e.g. one named ten times
        if (await conn.execute(select(account.c.code).where(account.c.code == code))).first() is not None:
            raise FinanceError("DUPLICATE_CODE", "code", code=code)
        if parent.is_leaf and await _has_postings(conn, parent.code):
            raise FinanceError("ACCOUNT_IN_USE", "parentCode", code=parent.code)
        await conn.execute(
            account.insert().values(
                code=code,
                parent_code=parent.code,
                name=name,
                name_en=data.name_en.strip(),
                category=parent.category,
                direction=parent.direction,
                dimensions=dims,
                is_cash=parent.is_cash,
                is_leaf=True,
                active=True,
                created_by=actor_label(principal),
            )
        )
        if parent.is_leaf:
            await conn.execute(update(account).where(account.c.code == parent.code).values(is_leaf=False))
            await conn.execute(
                update(posting_rule)
                .where(posting_rule.c.account_code == parent.code)
                .values(account_code=code, updated_by=actor_label(principal), updated_at=utcnow())
            )
        note_change(conn, f"account:{code}", after={"parent": parent.code, "name": name, "dimensions": dims})
    return code


async def do_set_posting_rule(db: Database, role: str, account_code_: str, principal: Principal | None) -> None:
    """Point a business role (``inventory``, ``count_loss_normal`` …) at another leaf account."""
    require_permission(principal, "finance.admin")
    async with db.write() as conn:
        await books_standard(conn)
        current = (await conn.execute(select(posting_rule).where(posting_rule.c.role == role))).first()
        if current is None:
            raise FinanceError("NOT_FOUND", "role", what="posting_rule")
        acc = (await conn.execute(select(account).where(account.c.code == account_code_))).first()
        if acc is None or not acc.active:
            raise FinanceError("UNKNOWN_ACCOUNT", "accountCode", code=account_code_)
        if not acc.is_leaf:
            raise FinanceError("NOT_LEAF_ACCOUNT", "accountCode", code=account_code_)
        await conn.execute(
            update(posting_rule)
            .where(posting_rule.c.role == role)
            .values(account_code=account_code_, updated_by=actor_label(principal), updated_at=utcnow())
        )
        note_change(
            conn, f"posting_rule:{role}", before={"account": current.account_code}, after={"account": account_code_}
        )


async def do_create_department(db: Database, code: str, name: str, principal: Principal | None) -> int:
    require_permission(principal, "finance.admin")
    code, name = code.strip(), name.strip()
    if not code:
        raise FinanceError("REQUIRED", "code")
    check_length(code, department.c.code, FinanceError, "code")
    if not name:
        raise FinanceError("REQUIRED", "name")
    check_length(name, department.c.name, FinanceError, "name")
    async with db.write() as conn:
        if (await conn.execute(select(department.c.id).where(department.c.code == code))).first() is not None:
            raise FinanceError("DUPLICATE_CODE", "code", code=code)
        dep_id = (
            await conn.execute(department.insert().values(code=code, name=name).returning(department.c.id))
        ).scalar_one()
        note_change(conn, f"department:{dep_id}", after={"code": code, "name": name})
    return dep_id


async def do_set_business_date_horizon(db: Database, days: int, principal: Principal | None) -> None:
    """How many days after today a business date may lie (server/core/business_dates.py); 0–366."""
    require_permission(principal, "finance.admin")
    if not 0 <= days <= MAX_FUTURE_DAYS:
        raise FinanceError("INVALID_VALUE", "days", detail=f"0–{MAX_FUTURE_DAYS}")
    async with db.write() as conn:
        before = await read_setting(conn, FUTURE_DAYS_KEY, 0)
        await write_setting(conn, FUTURE_DAYS_KEY, days, actor_label(principal))
        note_change(conn, "setting:business_dates", before={"future_days": before}, after={"future_days": days})


async def business_date_horizon(db: Database) -> int:
    async with db.read() as conn:
        return int(await read_setting(conn, FUTURE_DAYS_KEY, 0))
