"""A feedback as the API shows it."""

from __future__ import annotations

import enum
from datetime import datetime

import strawberry

from schema.relay import to_global_id


@strawberry.enum(description="What a feedback is about.")
class FeedbackKind(enum.Enum):
    PROBLEM = "problem"
    IDEA = "idea"
    QUESTION = "question"


@strawberry.enum(description="open: waiting for an answer; answered: the sender can read the answer; closed: done.")
class FeedbackStatus(enum.Enum):
    OPEN = "open"
    ANSWERED = "answered"
    CLOSED = "closed"


@strawberry.type(description="用户反馈: a problem, an idea or a question sent from a console screen, with its answer.")
class Feedback:
    id: strawberry.ID
    kind: FeedbackKind
    message: str
    screen: str = strawberry.field(description="The console route it was sent from (e.g. /purchasing/orders).")
    request_ids: str = strawberry.field(description="The last request ids the console saw, comma separated.")
    status: FeedbackStatus
    assigned_to: str | None = strawberry.field(description="The username of the assignee, if any.")
    answer: str
    answered_by: str
    answered_at: datetime | None
    created_by: str = strawberry.field(description="Who sent it (user:li, token:erp).")
    created_at: datetime

    @classmethod
    def from_row(cls, r) -> Feedback:
        return cls(
            id=to_global_id("Feedback", r.id),
            kind=FeedbackKind(r.kind),
            message=r.message,
            screen=r.screen,
            request_ids=r.request_ids,
            status=FeedbackStatus(r.status),
            assigned_to=getattr(r, "assignee", None),
            answer=r.answer,
            answered_by=r.answered_by,
            answered_at=r.answered_at,
            created_by=r.created_by,
            created_at=r.created_at,
        )
