"""Integration errors: webhook endpoints (their URL, events, filters and secrets) and replays.

Each code is declared here with its messages (Chinese, English); ``IntegrationErrorCode`` — and so the
API's ``IntegrationErrorCode`` enum — is built from this declaration (``server/core/errors.py``)."""

from __future__ import annotations

from server.core.errors import DomainError, error_vocabulary

INTEGRATIONS = error_vocabulary(
    "Integration",
    {
        "INVALID_URL": (
            "地址无效：需要 http:// 或 https:// 开头、带主机名、不超过 {max} 个字符的网址。",
            "Invalid URL: it needs http:// or https://, a host name and at most {max} characters.",
        ),
        "INVALID_SECRET": (
            "密钥无效：需要 whsec_ 加 Base64 编码的 24 到 64 字节。",
            "Invalid secret: it needs whsec_ followed by 24 to 64 bytes in Base64.",
        ),
        "NO_EVENT_TYPES": ("至少选择一种事件类型。", "Choose at least one event type."),
        "INVALID_SEQUENCE": (
            "序号 {sequence} 超出事件日志范围（1 至 {last}）。",
            "Sequence {sequence} is outside the event journal (1 to {last}).",
        ),
    },
)

IntegrationErrorCode = INTEGRATIONS.codes


class IntegrationError(DomainError):
    """A webhook endpoint that cannot be registered or changed so."""

    vocabulary = INTEGRATIONS
