"""Access control, service layer: users, sign-in with throttling, sessions, API tokens, the audit log."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy.exc
from sqlalchemy import func, select, text, update

from server.auth import scope
from server.auth import services as auth
from server.auth.errors import AuthError
from server.auth.models import app_user, auth_token, sign_in_lock
from server.auth.permissions import BUILTIN_ROLES, PERMISSIONS
from server.core.audit import audit_log
from server.core.clock import utcnow

pytestmark = pytest.mark.dates  # also run on 12-31, 01-01 and 02-29 by `make test`


async def _audit(db, operation: str) -> list:
    async with db.read() as conn:
        return (await conn.execute(select(audit_log).where(audit_log.c.operation == operation))).all()


async def test_login_gives_a_session_whose_principal_carries_the_role_permissions(db):
    await auth.do_create_user(db, username="li", password="correct horse", roles=["warehouse_keeper"])
    token, expires = await auth.do_login(db, "li", "correct horse")
    assert token.startswith("jxc_") and expires > utcnow()
    principal = await auth.authenticate(db, token)
    assert principal.label == "user:li"
    assert principal.permissions == BUILTIN_ROLES["warehouse_keeper"][2]
    assert scope.can(principal, "stock.receive") and not scope.can(principal, "cost.view")
    async with db.read() as conn:  # only the hash is stored
        stored = (await conn.execute(select(auth_token.c.token_hash))).scalars().all()
    assert token not in stored and auth.token_hash(token) in stored


async def test_wrong_password_and_unknown_user_are_indistinguishable_and_audited(db):
    await auth.do_create_user(db, username="li", password="correct horse")
    errors = []
    for username, password in (("li", "wrong password"), ("nobody", "wrong password")):
        with pytest.raises(AuthError) as exc:
            await auth.do_login(db, username, password)
        errors.append((exc.value.details[0].code, exc.value.details[0].field, exc.value.details[0].message("en")))
    assert errors[0] == errors[1]
    assert [r.details for r in await _audit(db, "auth.login_failed")] == [
        '{"reason":"password","client":""}',
        '{"reason":"unknown","client":""}',
    ]


async def test_repeated_failures_lock_the_account_for_a_while(db):
    await auth.do_create_user(db, username="li", password="correct horse")
    for _ in range(auth.MAX_FAILED_LOGINS):
        with pytest.raises(AuthError):
            await auth.do_login(db, "li", "guess")
    with pytest.raises(AuthError) as exc:  # now even the right password is refused, with the same error
        await auth.do_login(db, "li", "correct horse")
    assert exc.value.details[0].code == "INVALID_CREDENTIALS"
    async with db.write() as conn:  # the lock runs out
        await conn.execute(update(sign_in_lock).values(locked_until=utcnow() - timedelta(seconds=1)))
    token, _ = await auth.do_login(db, "li", "correct horse")
    assert await auth.authenticate(db, token) is not None
    async with db.read() as conn:  # a good sign-in clears the address's failures
        assert (await conn.execute(select(func.count()).select_from(sign_in_lock))).scalar_one() == 0


async def test_logout_expiry_disable_and_new_password_end_sessions(db):
    await auth.do_create_user(db, username="li", password="correct horse", roles=["viewer"])
    t1, _ = await auth.do_login(db, "li", "correct horse")
    await auth.do_logout(db, t1)
    assert await auth.authenticate(db, t1) is None

    t2, _ = await auth.do_login(db, "li", "correct horse")
    async with db.write() as conn:
        await conn.execute(
            update(auth_token)
            .where(auth_token.c.token_hash == auth.token_hash(t2))
            .values(expires_at=utcnow() - timedelta(seconds=1))
        )
    assert await auth.authenticate(db, t2) is None

    t3, _ = await auth.do_login(db, "li", "correct horse")
    await auth.do_set_user_active(db, "li", False)
    assert await auth.authenticate(db, t3) is None
    with pytest.raises(AuthError):
        await auth.do_login(db, "li", "correct horse")
    await auth.do_set_user_active(db, "li", True)

    t4, _ = await auth.do_login(db, "li", "correct horse")
    await auth.do_set_password(db, "li", "battery staple")
    assert await auth.authenticate(db, t4) is None
    assert await auth.authenticate(db, (await auth.do_login(db, "li", "battery staple"))[0]) is not None


async def test_api_tokens_are_scoped_to_a_role_revocable_and_record_last_use(db):
    token_id, token = await auth.do_create_api_token(db, name="handheld-07", role_code="scanner")
    principal = await auth.authenticate(db, token)
    assert principal.label == "token:handheld-07" and principal.permissions == BUILTIN_ROLES["scanner"][2]
    [listed] = await auth.list_tokens(db)
    assert listed["name"] == "handheld-07" and listed["code"] == "scanner" and listed["last_used_at"] is not None
    await auth.do_revoke_token(db, token_id)
    assert await auth.authenticate(db, token) is None
    with pytest.raises(AuthError):
        await auth.do_revoke_token(db, token_id)
    assert await auth.authenticate(db, "jxc_not-a-token") is None and await auth.authenticate(db, None) is None


async def test_user_input_errors(db):
    with pytest.raises(AuthError) as exc:
        await auth.do_create_user(db, username="li", password="short")
    assert exc.value.details[0].code == "WEAK_PASSWORD"
    with pytest.raises(AuthError) as exc:
        await auth.do_create_user(db, username="li", password="long enough", roles=["no-such-role"])
    assert exc.value.details[0].code == "NOT_FOUND"
    await auth.do_create_user(db, username="li", password="long enough")
    with pytest.raises(AuthError) as exc:
        await auth.do_create_user(db, username="li", password="long enough")
    assert exc.value.details[0].code == "DUPLICATE_CODE"
    async with db.read() as conn:
        assert (await conn.execute(select(func.count()).select_from(app_user))).scalar_one() == 1


async def test_first_run_creates_admin_once(db):
    generated = await auth.ensure_admin(db, None)
    assert generated and len(generated) >= auth.MIN_PASSWORD_LENGTH
    assert await auth.ensure_admin(db, "another password") is None
    principal = await auth.authenticate(db, (await auth.do_login(db, "admin", generated))[0])
    assert principal.permissions == frozenset(PERMISSIONS)
    assert [u["roles"] for u in await auth.list_users(db)] == [["admin"]]


async def test_the_audit_log_is_append_only(db):
    await auth.do_create_user(db, username="li", password="correct horse")
    for statement in ("UPDATE audit_log SET actor = 'x'", "DELETE FROM audit_log"):
        with pytest.raises(sqlalchemy.exc.DBAPIError):
            async with db.write() as conn:
                await conn.execute(text(statement))
    assert len(await _audit(db, "user.create")) == 1


async def test_a_lock_that_ran_out_starts_the_count_again_and_attempts_during_it_do_not_extend_it(db):
    await auth.do_create_user(db, username="li", password="correct horse", roles=["viewer"])
    for _ in range(auth.MAX_FAILED_LOGINS):
        with pytest.raises(AuthError):
            await auth.do_login(db, "li", "guess")
    async with db.read() as conn:
        locked_until = (await conn.execute(select(sign_in_lock.c.locked_until))).scalar_one()
    with pytest.raises(AuthError):
        await auth.do_login(db, "li", "another guess")  # during the lock: neither counted nor extended
    async with db.read() as conn:
        assert (await conn.execute(select(sign_in_lock.c.locked_until))).scalar_one() == locked_until
    async with db.write() as conn:
        await conn.execute(update(sign_in_lock).values(locked_until=utcnow() - timedelta(seconds=1)))
    with pytest.raises(AuthError):
        await auth.do_login(db, "li", "one typo")  # after the lock: one failure, not locked again
    async with db.read() as conn:
        row = (await conn.execute(select(sign_in_lock.c.failed_logins, sign_in_lock.c.locked_until))).one()
    assert row.failed_logins == 1 and row.locked_until is None
    principal = await auth.authenticate(db, (await auth.do_login(db, "li", "correct horse"))[0])
    assert principal.roles == ("viewer",)


async def test_a_custom_role_is_edited_for_everyone_holding_it_and_deleted_once_nobody_does(db):
    await auth.do_create_role(db, code="checker", name="复核员", permissions=["stock.view"])
    await auth.do_create_user(db, username="fu", password="correct horse", roles=["checker"])
    session, _ = await auth.do_login(db, "fu", "correct horse")
    token_id, token = await auth.do_create_api_token(db, name="kiosk", role_code="checker")
    assert (await auth.authenticate(db, session)).permissions == frozenset({"stock.view"})

    await auth.do_update_role(
        db, code="checker", name="复核", name_en="Checker", permissions=["stock.view", "sales.view"]
    )
    # the cached principals are dropped: the session and the token work with the new permissions at once
    for credential in (session, token):
        assert (await auth.authenticate(db, credential)).permissions == frozenset({"stock.view", "sales.view"})
    [listed] = [r for r in await auth.list_roles(db) if r["code"] == "checker"]
    assert (listed["name"], listed["name_en"], listed["permissions"]) == (
        "复核",
        "Checker",
        ["sales.view", "stock.view"],
    )
    assert len(await _audit(db, "role.update")) == 1

    for bad, code in (
        (dict(code="admin", name="x", permissions=[]), "BUILTIN_ROLE"),
        (dict(code="nobody", name="x", permissions=[]), "NOT_FOUND"),
        (dict(code="checker", name="x", permissions=["no.such"]), "INVALID_VALUE"),
    ):
        with pytest.raises(AuthError) as exc:
            await auth.do_update_role(db, **bad)
        assert exc.value.details[0].code == code
    with pytest.raises(AuthError) as exc:
        await auth.do_delete_role(db, "checker")
    assert exc.value.details[0].code == "ROLE_IN_USE" and exc.value.details[0].params == {
        "code": "checker",
        "users": 1,
        "tokens": 1,
    }
    with pytest.raises(AuthError) as exc:
        await auth.do_delete_role(db, "viewer")
    assert exc.value.details[0].code == "BUILTIN_ROLE"

    async with db.write() as conn:  # the user leaves the role; the token is revoked
        from server.auth.models import role, user_role

        checker = (await conn.execute(select(role.c.id).where(role.c.code == "checker"))).scalar_one()
        await conn.execute(user_role.delete().where(user_role.c.role_id == checker))
    await auth.do_revoke_token(db, token_id)
    _expired_id, _ = await auth.do_create_api_token(db, name="old-kiosk", role_code="checker")
    async with db.write() as conn:  # a token that ran out holds the role no more
        await conn.execute(update(auth_token).where(auth_token.c.id == _expired_id).values(expires_at=utcnow()))
    await auth.do_delete_role(db, "checker")
    assert "checker" not in {r["code"] for r in await auth.list_roles(db)}
    assert len(await _audit(db, "role.delete")) == 1
    with pytest.raises(AuthError) as exc:
        await auth.do_delete_role(db, "checker")
    assert exc.value.details[0].code == "NOT_FOUND"
