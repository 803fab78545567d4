"""Sending feedback (any office user) and handling it (``user.admin``). Rules in ``server.feedback``."""

from __future__ import annotations

import strawberry
from sqlalchemy import select
from strawberry.types import Info

from schema.auth.permissions import needs
from schema.errors import FeedbackError, run_action
from schema.feedback.queries import with_assignee
from schema.feedback.types import Feedback, FeedbackKind
from schema.relay import decode_id
from server.feedback import services
from server.feedback.errors import FeedbackError as DomainFeedbackError
from server.feedback.errors import FeedbackErrorCode
from server.feedback.models import feedback

CODES = FeedbackErrorCode


@strawberry.input(description="A feedback: what it is about, the message, where it happened.")
class FeedbackInput:
    kind: FeedbackKind
    message: str = strawberry.field(description="≤ 2,000 characters.")
    screen: str = strawberry.field(default="", description="The console route (≤ 200 characters).")
    request_ids: str = strawberry.field(
        default="", description="The last request ids the console saw, comma separated (≤ 400 characters)."
    )


@strawberry.type
class FeedbackPayload:
    feedback: Feedback | None
    errors: list[FeedbackError]


def _pk(global_id) -> int:
    pk = decode_id(global_id, "Feedback")
    if pk is None:
        raise DomainFeedbackError("NOT_FOUND", "id", what="反馈", what_en="Feedback")
    return pk


async def _payload(info: Info, pk: int | None, errors: list) -> FeedbackPayload:
    if pk is None or errors:
        return FeedbackPayload(feedback=None, errors=errors)
    async with info.context.db.read() as conn:
        row = (await conn.execute(with_assignee(select(feedback)).where(feedback.c.id == pk))).first()
    return FeedbackPayload(feedback=Feedback.from_row(row) if row else None, errors=errors)


@strawberry.type
class FeedbackMutation:
    @strawberry.mutation(
        description="用户反馈: send a problem, an idea or a question from the screen where it arose.",
        extensions=needs(services.SUBMIT_PERMISSION),
    )
    async def submit_feedback(self, info: Info, input: FeedbackInput) -> FeedbackPayload:
        data = services.FeedbackInput(
            kind=input.kind.value, message=input.message, screen=input.screen, request_ids=input.request_ids
        )
        pk, errors = await run_action(
            info, CODES, lambda: services.do_submit_feedback(info.context.db, data, info.context.principal)
        )
        return await _payload(info, pk, errors)

    @strawberry.mutation(description="Assign a feedback to an active user.", extensions=needs("user.admin"))
    async def assign_feedback(self, info: Info, id: strawberry.ID, username: str) -> FeedbackPayload:
        async def action() -> int:
            pk = _pk(id)
            await services.do_assign_feedback(info.context.db, pk, username, info.context.principal)
            return pk

        pk, errors = await run_action(info, CODES, action)
        return await _payload(info, pk, errors)

    @strawberry.mutation(
        description="Answer a feedback (≤ 2,000 characters): the sender sees the answer.",
        extensions=needs("user.admin"),
    )
    async def answer_feedback(self, info: Info, id: strawberry.ID, answer: str) -> FeedbackPayload:
        async def action() -> int:
            pk = _pk(id)
            await services.do_answer_feedback(info.context.db, pk, answer, info.context.principal)
            return pk

        pk, errors = await run_action(info, CODES, action)
        return await _payload(info, pk, errors)

    @strawberry.mutation(description="Close a feedback: it is done with.", extensions=needs("user.admin"))
    async def close_feedback(self, info: Info, id: strawberry.ID) -> FeedbackPayload:
        async def action() -> int:
            pk = _pk(id)
            await services.do_close_feedback(info.context.db, pk, info.context.principal)
            return pk

        pk, errors = await run_action(info, CODES, action)
        return await _payload(info, pk, errors)
