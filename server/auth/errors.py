"""Sign-in and access errors: users, roles, tokens and sessions.

Each code is declared here with its messages (Chinese, English); ``AuthErrorCode`` — and so
the API's ``AuthErrorCode`` enum — is built from this declaration (``server/core/errors.py``)."""

from __future__ import annotations

from server.core.errors import DomainError, error_vocabulary

AUTH = error_vocabulary(
    "Auth",
    {
        "INVALID_CREDENTIALS": (
            "用户名或密码错误，或账户因多次失败暂时锁定。",
            "Wrong username or password, or the account is locked for a while after repeated failures.",
        ),
        "WEAK_PASSWORD": ("密码至少 {min} 个字符。", "A password needs at least {min} characters."),
        "TOO_MANY_ATTEMPTS": (
            "此地址登录失败次数过多，请 {minutes} 分钟后再试。",
            "Too many failed sign-ins from this address; try again in {minutes} minute(s).",
        ),
        "NOT_A_SESSION": (
            "API 令牌不是登录会话，不能注销；请管理员吊销它（revokeApiToken 或 jxc token revoke）。",
            "An API token is not a session and cannot log out; an administrator revokes it "
            "(revokeApiToken or jxc token revoke).",
        ),
        "BUILTIN_ROLE": (
            "内置角色“{code}”不能修改或删除；请新建一个自定义角色。",
            "The built-in role “{code}” cannot be changed or deleted; create a custom role instead.",
        ),
        "ROLE_IN_USE": (
            "角色“{code}”仍被 {users} 个用户和 {tokens} 个有效令牌使用，不能删除。",
            "The role “{code}” is still held by {users} user(s) and {tokens} active token(s); it cannot be deleted.",
        ),
    },
    shared=("DUPLICATE_CODE",),
)

AuthErrorCode = AUTH.codes


class AuthError(DomainError):
    """A sign-in or access problem."""

    vocabulary = AUTH
