"""Log records as one JSON object per line (``JXC_LOG_FORMAT=json``) or, by default, as readable text.

A JSON line carries ``time`` (UTC, ISO 8601), ``level``, ``logger``, ``message``, ``exception`` when
there is one, and ``request_id`` / ``operation`` while a GraphQL request is being answered
(``request_context``: the same id an ``INTERNAL_ERROR`` shows the client).
"""

from __future__ import annotations

import contextvars
import json
import logging
import logging.config
from datetime import UTC, datetime

LOG_FORMATS = ("text", "json")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"

request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("jxc_log_request_id", default=None)
operation: contextvars.ContextVar[str | None] = contextvars.ContextVar("jxc_log_operation", default=None)


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if (rid := request_id.get()) is not None:
            line["request_id"] = rid
        if (op := operation.get()) is not None:
            line["operation"] = op
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)


def logging_config(log_format: str, level: str) -> dict:
    """A ``logging.config.dictConfig`` for the whole process, uvicorn's loggers included."""
    formatter = {"()": JsonFormatter} if log_format == "json" else {"format": TEXT_FORMAT}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"jxc": formatter},
        "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "jxc", "stream": "ext://sys.stderr"}},
        "root": {"handlers": ["stderr"], "level": level.upper()},
        "loggers": {
            "uvicorn": {"handlers": [], "propagate": True},
            "uvicorn.error": {"handlers": [], "propagate": True},
            "uvicorn.access": {"handlers": [], "propagate": True},
            "alembic": {"level": "WARNING"},
        },
    }


def configure_logging(log_format: str, level: str) -> None:
    """Set up the process's logging once; like ``logging.basicConfig``, a root logger that has
    handlers already (an embedding program, pytest's capture) is left alone."""
    logging.getLogger("alembic").setLevel(logging.WARNING)
    if not logging.getLogger().handlers:
        logging.config.dictConfig(logging_config(log_format, level))
