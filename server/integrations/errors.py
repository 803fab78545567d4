"""Integration errors: webhook endpoints (their URL, events, filters and secrets) and replays; external ids
(their source and id). The upserts by external id pass on the catalog's and the partners' errors, order
intake the sales domain's.

Each code is declared here with its messages (Chinese, English); ``IntegrationErrorCode`` — and so the
API's ``IntegrationErrorCode`` enum — is built from this declaration (``server/core/errors.py``)."""

from __future__ import annotations

from server.catalog.errors import CATALOG
from server.core.errors import DomainError, error_vocabulary
from server.partners.errors import PARTNERS
from server.sales.errors import SALES

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
        "INVALID_SOURCE": (
            "来源无效：需要 1 到 {max} 个字符，只能用小写字母、数字和 : . _ -（例如 shop:taobao）。",
            "Invalid source: it needs 1 to {max} characters of a-z, 0-9 and : . _ - (e.g. shop:taobao).",
        ),
        "INVALID_EXTERNAL_ID": (
            "外部编号无效：需要 1 到 {max} 个可打印字符。",
            "Invalid external id: it needs 1 to {max} printable characters.",
        ),
        "INVALID_ENTITY_TYPE": (
            "对象类型无效：只能是 {allowed}。",
            "Invalid entity type: it must be one of {allowed}.",
        ),
    },
    calls=(CATALOG, PARTNERS, SALES),
)

IntegrationErrorCode = INTEGRATIONS.codes


class IntegrationError(DomainError):
    """A webhook endpoint that cannot be registered or changed so, or an external id that is not one."""

    vocabulary = INTEGRATIONS
