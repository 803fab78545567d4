"""用户反馈: any office user sends a problem, an idea or a question from the console screen where it arose
(with the last request ids the console saw); administrators (``user.admin``) see every feedback, assign it
to an active user, answer and close it; the sender sees its own feedback with the answers.

Every input is checked before anything is written (the message and the answer ≤ 2,000 characters, the
screen and the request ids within their columns); each action is audited (``note_change``).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from sqlalchemy import Select, false, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from server.auth import scope
from server.auth.models import app_user
from server.auth.principal import Principal
from server.core.audit import actor_of, note_change
from server.core.clock import utcnow
from server.core.database import Database
from server.core.errors import ErrorCollector
from server.core.text_limits import collect_length
from server.feedback.errors import FeedbackError
from server.feedback.models import feedback

#: sending feedback: a permission every office role holds (``_VIEW``), never a scan-only device token
SUBMIT_PERMISSION = "catalog.view"
ADMIN_PERMISSION = "user.admin"
KINDS = ("problem", "idea", "question")
STATUSES = ("open", "answered", "closed")
MESSAGE_MAX = 2000
ANSWER_MAX = 2000
WHAT = ("反馈", "Feedback")


@dataclass
class FeedbackInput:
    kind: str
    message: str
    screen: str = ""
    request_ids: str = ""


def _target(pk: int) -> str:
    return f"feedback:{pk}"


def _not_found(field: str = "id") -> FeedbackError:
    return FeedbackError("NOT_FOUND", field, what=WHAT[0], what_en=WHAT[1])


def _check_text(c: ErrorCollector, value: str | None, limit: int, field: str) -> str:
    text = (value or "").strip()
    if not text:
        c.add("REQUIRED", field)
    else:
        collect_length(c, text, limit, field)
    return text


async def do_submit_feedback(db: Database, data: FeedbackInput, principal: Principal | None) -> int:
    """Store one feedback of the caller; every problem of the input is reported at once, nothing written."""
    scope.require(principal, SUBMIT_PERMISSION, FeedbackError)
    c = ErrorCollector(FeedbackError)
    if data.kind not in KINDS:
        c.add("INVALID_VALUE", "kind", detail=" | ".join(KINDS))
    message = _check_text(c, data.message, MESSAGE_MAX, "message")
    screen = (data.screen or "").strip()
    collect_length(c, screen, feedback.c.screen, "screen")
    request_ids = ",".join(p.strip() for p in (data.request_ids or "").split(",") if p.strip())
    collect_length(c, request_ids, feedback.c.request_ids, "requestIds")
    c.raise_if_any()
    row = {
        "kind": data.kind,
        "message": message,
        "screen": screen,
        "request_ids": request_ids,
        "status": "open",
        "created_by": actor_of(principal),
        "created_by_user_id": principal.user_id if principal is not None else None,
        "created_at": utcnow(),
    }
    async with db.write() as conn:
        pk = (await conn.execute(feedback.insert().values(**row).returning(feedback.c.id))).scalar_one()
        note_change(conn, _target(pk), after={k: v for k, v in row.items() if k != "created_at"})
    return pk


async def _open_row(conn: AsyncConnection, pk: int):
    row = (await conn.execute(select(feedback).where(feedback.c.id == pk))).first()
    if row is None:
        raise _not_found()
    if row.status == "closed":
        raise FeedbackError("FEEDBACK_CLOSED", "id")
    return row


async def _update_unless_closed(conn: AsyncConnection, pk: int, values: dict) -> None:
    """A conditional update: a feedback closed meanwhile is not changed."""
    done = await conn.execute(
        update(feedback).where(feedback.c.id == pk, feedback.c.status != "closed").values(**values)
    )
    if done.rowcount != 1:
        raise FeedbackError("FEEDBACK_CLOSED", "id")


async def do_assign_feedback(db: Database, pk: int, username: str, principal: Principal | None) -> None:
    """Assign a feedback to an active user (``user.admin``)."""
    scope.require(principal, ADMIN_PERMISSION, FeedbackError)
    async with db.write() as conn:
        row = await _open_row(conn, pk)
        user = (await conn.execute(select(app_user).where(app_user.c.username == (username or "").strip()))).first()
        if user is None:
            raise FeedbackError("NOT_FOUND", "username", what="用户", what_en="User")
        if not user.active:
            raise FeedbackError("INACTIVE", "username", what="用户", what_en="User")
        if row.assigned_to == user.id:
            return
        await _update_unless_closed(conn, pk, {"assigned_to": user.id})
        note_change(conn, _target(pk), before={"assigned_to": row.assigned_to}, after={"assigned_to": user.id})


async def do_answer_feedback(db: Database, pk: int, answer: str, principal: Principal | None) -> None:
    """Answer a feedback (``user.admin``): the sender sees the answer; the status becomes ``answered``.
    A second answer replaces the first."""
    scope.require(principal, ADMIN_PERMISSION, FeedbackError)
    c = ErrorCollector(FeedbackError)
    text = _check_text(c, answer, ANSWER_MAX, "answer")
    c.raise_if_any()
    async with db.write() as conn:
        row = await _open_row(conn, pk)
        values = {"answer": text, "answered_by": actor_of(principal), "answered_at": utcnow(), "status": "answered"}
        await _update_unless_closed(conn, pk, values)
        note_change(
            conn,
            _target(pk),
            before={"status": row.status, "answer": row.answer},
            after={"status": "answered", "answer": text, "answered_by": values["answered_by"]},
        )


async def do_close_feedback(db: Database, pk: int, principal: Principal | None) -> None:
    """Close a feedback (``user.admin``): it is done with, answered or not."""
    scope.require(principal, ADMIN_PERMISSION, FeedbackError)
    async with db.write() as conn:
        row = await _open_row(conn, pk)
        await _update_unless_closed(conn, pk, {"status": "closed"})
        note_change(conn, _target(pk), before={"status": row.status}, after={"status": "closed"})


def feedback_query(status: str | None = None) -> Select:
    """Every feedback, newest first, optionally of one status (the caller checks ``user.admin``)."""
    q = select(feedback).order_by(feedback.c.id.desc())
    if status is not None:
        q = q.where(feedback.c.status == status)
    return q


def my_feedback_query(principal: Principal | None) -> Select:
    """The caller's own feedback, newest first: a user's by its user id, an API token's by its label."""
    q = select(feedback).order_by(feedback.c.id.desc())
    if principal is None:
        return q.where(false())
    if principal.user_id is not None:
        return q.where(feedback.c.created_by_user_id == principal.user_id)
    return q.where(feedback.c.created_by == principal.label, feedback.c.created_by_user_id.is_(None))


EXPORT_COLUMNS = (
    ("id", "编号"),
    ("created_at", "提交时间"),
    ("created_by", "提交人"),
    ("kind", "类型"),
    ("status", "状态"),
    ("screen", "页面"),
    ("message", "内容"),
    ("request_ids", "请求编号"),
    ("assigned_to", "分派给"),
    ("answer", "答复"),
    ("answered_by", "答复人"),
    ("answered_at", "答复时间"),
)


def _cell(value) -> str:
    text = "" if value is None else (value.isoformat() if hasattr(value, "isoformat") else str(value))
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text  # no formulas for spreadsheet programs


async def export_feedback_csv(db: Database, principal: Principal | None, status: str | None = None) -> bytes:
    """Every feedback (of ``status``) as CSV with a UTF-8 BOM (Excel), for ``user.admin``."""
    scope.require(principal, ADMIN_PERMISSION, FeedbackError)
    q = (
        feedback_query(status)
        .add_columns(app_user.c.username.label("assignee"))
        .outerjoin(app_user, app_user.c.id == feedback.c.assigned_to)
    )
    async with db.read() as conn:
        rows = (await conn.execute(q)).all()
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([f"{zh} {en}" for en, zh in EXPORT_COLUMNS])
    for r in rows:
        values = r._mapping
        writer.writerow(
            [_cell(values["assignee"] if name == "assigned_to" else values[name]) for name, _ in EXPORT_COLUMNS]
        )
    return ("\ufeff" + out.getvalue()).encode()
