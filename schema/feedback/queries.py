"""Every feedback (``user.admin``) and the caller's own."""

from __future__ import annotations

import strawberry
from sqlalchemy import Select
from strawberry.types import Info

from schema.auth.permissions import needs
from schema.feedback.types import Feedback, FeedbackStatus
from schema.relay import Connection, paginate
from server.auth.models import app_user
from server.feedback import services
from server.feedback.models import feedback


def with_assignee(q: Select) -> Select:
    return q.add_columns(app_user.c.username.label("assignee")).outerjoin(
        app_user, app_user.c.id == feedback.c.assigned_to
    )


@strawberry.type
class FeedbackQuery:
    @strawberry.field(
        description="Every user's feedback, newest first, optionally of one status.", extensions=needs("user.admin")
    )
    async def feedback(
        self, info: Info, status: FeedbackStatus | None = None, first: int | None = None, after: str | None = None
    ) -> Connection[Feedback]:
        q = with_assignee(services.feedback_query(status.value if status else None))
        return await paginate(info, q, Feedback.from_row, first=first, after=after)

    @strawberry.field(
        description="The caller's own feedback with the answers, newest first.",
        extensions=needs(services.SUBMIT_PERMISSION),
    )
    async def my_feedback(self, info: Info, first: int | None = None, after: str | None = None) -> Connection[Feedback]:
        q = with_assignee(services.my_feedback_query(info.context.principal))
        return await paginate(info, q, Feedback.from_row, first=first, after=after)
