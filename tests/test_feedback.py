"""用户反馈 (issue #21): any office user sends feedback from a console screen; administrators list, assign,
answer and close it; the sender — and nobody else but the administrators — sees the answer."""

from __future__ import annotations

import csv
import io

from sqlalchemy import func, select

from server.auth import services as auth
from server.core.audit import audit_log
from server.feedback.models import feedback
from tests.gql import admin_token

SUBMIT = """mutation($input: FeedbackInput!) { submitFeedback(input: $input) {
  feedback { id kind message screen requestIds status createdBy }
  errors { field code message } } }"""
ASSIGN = """mutation($id: ID!, $username: String!) { assignFeedback(id: $id, username: $username) {
  feedback { id assignedTo status } errors { field code message } } }"""
ANSWER = """mutation($id: ID!, $answer: String!) { answerFeedback(id: $id, answer: $answer) {
  feedback { id status answer answeredBy answeredAt } errors { field code message } } }"""
CLOSE = """mutation($id: ID!) { closeFeedback(id: $id) { feedback { id status } errors { field code message } } }"""
LIST = """query($status: FeedbackStatus) { feedback(status: $status, first: 50) { totalCount
  edges { node { id kind message screen status assignedTo answer createdBy } } } }"""
MINE = """{ myFeedback(first: 50) { totalCount edges { node { id message status answer answeredBy } } } }"""


def _codes(body: dict) -> list[str]:
    return [e.get("extensions", {}).get("code") for e in body.get("errors") or []]


async def _session(db, username: str, roles) -> str:
    await auth.do_create_user(db, username=username, password="correct horse", roles=list(roles))
    return (await auth.do_login(db, username, "correct horse"))[0]


async def _count(db) -> int:
    async with db.read() as conn:
        return (await conn.execute(select(func.count()).select_from(feedback))).scalar_one()


def _problem(message="采购订单保存时报错", screen="/purchasing/orders", request_ids="a1b2c3, d4e5f6"):
    return {"input": {"kind": "PROBLEM", "message": message, "screen": screen, "requestIds": request_ids}}


async def test_a_purchaser_sends_feedback_the_admin_answers_and_only_the_sender_sees_it(gql):
    alice = await _session(gql.db, "alice", ["purchaser"])
    bob = await _session(gql.db, "bob", ["sales"])
    await auth.do_create_user(gql.db, username="carol", password="correct horse", roles=["admin"])

    sent = (await gql.execute(SUBMIT, _problem(), token=alice))["submitFeedback"]
    assert sent["errors"] == []
    fb = sent["feedback"]
    assert fb["kind"] == "PROBLEM" and fb["status"] == "OPEN" and fb["screen"] == "/purchasing/orders"
    assert fb["requestIds"] == "a1b2c3,d4e5f6" and fb["createdBy"] == "user:alice"

    # the administrator lists it (all and by status), assigns and answers it
    listed = (await gql.execute(LIST, {"status": "OPEN"}))["feedback"]
    assert listed["totalCount"] == 1 and listed["edges"][0]["node"]["id"] == fb["id"]
    assert (await gql.execute(LIST, {"status": "ANSWERED"}))["feedback"]["totalCount"] == 0
    assigned = (await gql.execute(ASSIGN, {"id": fb["id"], "username": "carol"}))["assignFeedback"]
    assert assigned["errors"] == [] and assigned["feedback"]["assignedTo"] == "carol"
    answered = (await gql.execute(ANSWER, {"id": fb["id"], "answer": "已修复，请刷新页面。"}))["answerFeedback"]
    assert answered["errors"] == []
    assert answered["feedback"]["status"] == "ANSWERED" and answered["feedback"]["answeredAt"]
    assert answered["feedback"]["answeredBy"] == "token:test-admin"

    # the sender sees the answer, another user sees nothing of it
    mine = (await gql.execute(MINE, token=alice))["myFeedback"]
    assert mine["totalCount"] == 1
    assert mine["edges"][0]["node"] == {
        "id": fb["id"],
        "message": "采购订单保存时报错",
        "status": "ANSWERED",
        "answer": "已修复，请刷新页面。",
        "answeredBy": "token:test-admin",
    }
    assert (await gql.execute(MINE, token=bob))["myFeedback"] == {"totalCount": 0, "edges": []}
    # … nor the list of everyone's
    assert _codes(await gql.post(LIST, {}, token=alice)) == ["PERMISSION_DENIED"]
    assert _codes(await gql.post(ANSWER, {"id": fb["id"], "answer": "x"}, token=alice)) == ["PERMISSION_DENIED"]

    # closed: nothing more happens to it
    closed = (await gql.execute(CLOSE, {"id": fb["id"]}))["closeFeedback"]
    assert closed["errors"] == [] and closed["feedback"]["status"] == "CLOSED"
    again = (await gql.execute(ANSWER, {"id": fb["id"], "answer": "再答"}))["answerFeedback"]
    assert [e["code"] for e in again["errors"]] == ["FEEDBACK_CLOSED"]
    assert [e["code"] for e in (await gql.execute(CLOSE, {"id": fb["id"]}))["closeFeedback"]["errors"]] == [
        "FEEDBACK_CLOSED"
    ]

    # every action is audited
    async with gql.db.read() as conn:
        ops = (
            await conn.execute(
                select(audit_log.c.operation).where(audit_log.c.target == f"feedback:{1}").order_by(audit_log.c.id)
            )
        ).scalars()
        assert list(ops) == ["submitFeedback", "assignFeedback", "answerFeedback", "closeFeedback"]


async def test_an_empty_or_too_long_message_is_refused_and_nothing_written(gql):
    alice = await _session(gql.db, "alice", ["purchaser"])
    cases = [
        ("   ", "REQUIRED", "message"),
        ("x" * 2001, "INVALID_VALUE", "message"),
    ]
    for message, code, field in cases:
        body = (await gql.execute(SUBMIT, _problem(message=message), token=alice))["submitFeedback"]
        assert body["feedback"] is None
        assert [(e["code"], e["field"]) for e in body["errors"]] == [(code, field)], body
    # every problem at once, in the caller's language
    body = await gql.execute(SUBMIT, _problem(message="", screen="/" * 201, request_ids="r" * 401), lang="en")
    errors = body["submitFeedback"]["errors"]
    assert [(e["code"], e["field"]) for e in errors] == [
        ("REQUIRED", "message"),
        ("INVALID_VALUE", "screen"),
        ("INVALID_VALUE", "requestIds"),
    ]
    assert errors[1]["message"] == "Invalid value: ≤ 200 chars"
    zh = (await gql.execute(SUBMIT, _problem(message="")))["submitFeedback"]["errors"]
    assert zh[0]["message"] == "此项必填。"
    assert await _count(gql.db) == 0
    # the longest message is accepted whole
    ok = (await gql.execute(SUBMIT, _problem(message="参" * 2000), token=alice))["submitFeedback"]
    assert ok["errors"] == [] and ok["feedback"]["message"] == "参" * 2000
    # so is the answer's limit
    too_long = (await gql.execute(ANSWER, {"id": ok["feedback"]["id"], "answer": "答" * 2001}))["answerFeedback"]
    assert [(e["code"], e["field"]) for e in too_long["errors"]] == [("INVALID_VALUE", "answer")]
    empty = (await gql.execute(ANSWER, {"id": ok["feedback"]["id"], "answer": " "}))["answerFeedback"]
    assert [(e["code"], e["field"]) for e in empty["errors"]] == [("REQUIRED", "answer")]
    async with gql.db.read() as conn:
        row = (await conn.execute(select(feedback))).one()
    assert row.status == "open" and row.answer == "" and row.answered_at is None


async def test_assigning_needs_an_active_user_and_a_real_feedback(gql):
    fb = (await gql.execute(SUBMIT, _problem()))["submitFeedback"]["feedback"]
    await auth.do_create_user(gql.db, username="dave", password="correct horse", roles=["admin"])
    await auth.do_set_user_active(gql.db, "dave", False)
    inactive = (await gql.execute(ASSIGN, {"id": fb["id"], "username": "dave"}))["assignFeedback"]
    assert [(e["code"], e["field"]) for e in inactive["errors"]] == [("INACTIVE", "username")]
    unknown = (await gql.execute(ASSIGN, {"id": fb["id"], "username": "nobody"}))["assignFeedback"]
    assert [(e["code"], e["field"]) for e in unknown["errors"]] == [("NOT_FOUND", "username")]
    bad_id = (await gql.execute(ASSIGN, {"id": "not-an-id", "username": "dave"}))["assignFeedback"]
    assert [(e["code"], e["field"]) for e in bad_id["errors"]] == [("NOT_FOUND", "id")]
    async with gql.db.read() as conn:
        assert (await conn.execute(select(feedback.c.assigned_to))).scalar_one() is None


async def test_who_may_send_feedback(gql):
    """Every office role holds catalog.view (the common view set): a viewer may report a problem too; a scan
    device token (scan.use alone) may not."""
    device = await admin_token(gql.db, role="scan_device")
    assert _codes(await gql.post(SUBMIT, _problem(), token=device)) == ["PERMISSION_DENIED"]
    assert _codes(await gql.post(MINE, {}, token=device)) == ["PERMISSION_DENIED"]
    assert _codes(await gql.post(SUBMIT, _problem(), token=None)) == ["PERMISSION_DENIED"]
    assert await _count(gql.db) == 0
    viewer = await admin_token(gql.db, role="viewer")
    sent = (await gql.execute(SUBMIT, _problem(), token=viewer))["submitFeedback"]
    assert sent["errors"] == [] and sent["feedback"]["createdBy"] == "token:test-viewer"
    # an API token sees its own feedback by its label
    assert (await gql.execute(MINE, token=viewer))["myFeedback"]["totalCount"] == 1
    assert (await gql.execute(MINE))["myFeedback"]["totalCount"] == 0


async def test_the_export_lists_every_feedback_for_user_admin(gql):
    alice = await _session(gql.db, "alice", ["purchaser"])
    await gql.execute(SUBMIT, _problem(message="=1+1 公式"), token=alice)
    fb = await gql.execute(SUBMIT, {"input": {"kind": "IDEA", "message": "加个导出"}}, token=alice)
    await gql.execute(ANSWER, {"id": fb["submitFeedback"]["feedback"]["id"], "answer": "好的"})
    resp = await gql.http.get("/feedback/export.csv", headers={"authorization": f"Bearer {gql.token}"})
    assert resp.status_code == 200, resp.text
    assert resp.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(resp.content.decode("utf-8-sig"))))
    assert rows[0][:3] == ["编号 id", "提交时间 created_at", "提交人 created_by"]
    assert [r[6] for r in rows[1:]] == ["加个导出", "'=1+1 公式"]  # newest first; no formula
    assert rows[1][4] == "answered" and rows[1][9] == "好的"
    only_open = await gql.http.get("/feedback/export.csv?status=open", headers={"authorization": f"Bearer {gql.token}"})
    assert len(list(csv.reader(io.StringIO(only_open.content.decode("utf-8-sig"))))) == 2
    denied = await gql.http.get("/feedback/export.csv", headers={"authorization": f"Bearer {alice}"})
    assert denied.status_code == 403
    bad = await gql.http.get("/feedback/export.csv?status=lost", headers={"authorization": f"Bearer {gql.token}"})
    assert bad.status_code == 400


async def test_every_graphql_response_names_its_request_id(gql):
    """The console keeps the last ids and attaches them to feedback, so a report names its requests."""
    resp = await gql.http.post(
        "/graphql", json={"query": "{ __typename }"}, headers={"authorization": f"Bearer {gql.token}"}
    )
    rid = resp.headers.get("x-request-id")
    assert rid and len(rid) == 16 and all(c in "0123456789abcdef" for c in rid)
    again = await gql.http.post(
        "/graphql", json={"query": "{ __typename }"}, headers={"authorization": f"Bearer {gql.token}"}
    )
    assert again.headers["x-request-id"] != rid
