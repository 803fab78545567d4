"""Settings from environment variables (``DATABASE_URL``, ``JXC_*``) and an optional ``.env`` file."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from dotenv import load_dotenv

from server.core import clock

DEFAULT_SQLITE_PATH = "./var/jxc.sqlite3"


@dataclass(frozen=True)
class Settings:
    database_url: str
    host: str
    port: int
    workers: int
    log_level: str
    max_page_size: int
    default_language: str
    debug: bool
    cors_origins: tuple[str, ...] = ()
    introspection: bool = True
    max_request_bytes: int = 1_048_576
    max_upload_bytes: int = 20_971_520  # JXC_MAX_UPLOAD_BYTES: a multipart request (an import file) may be this large
    max_query_cost: int = 50_000  # objects one request may make the server build (schema/cost.py)
    jobs: bool = True  # run the job scheduler inside the server (JXC_JOBS=0: only in `jxc worker`)
    graphiql: bool = True  # serve the GraphiQL page on GET /graphql (JXC_GRAPHIQL=0: not)
    environment: str = "development"  # JXC_ENV; "production" turns GraphiQL and introspection off by default
    backup_dir: str = "./var/backups"  # JXC_BACKUP_DIR: where `jxc migrate` and `jxc backup` put backups
    backup_interval_hours: int = 0  # JXC_BACKUP_INTERVAL_HOURS: the backup job's interval; 0 = no backup job
    backup_keep: int = 7  # JXC_BACKUP_KEEP: scheduled backups kept (the oldest beyond are deleted)
    idempotency_days: int = 90  # JXC_IDEMPOTENCY_DAYS: `jxc housekeeping` forgets idempotency keys older than this
    log_format: str = "text"  # JXC_LOG_FORMAT: text (readable) | json (one object per line)
    metrics_token: str = ""  # JXC_METRICS_TOKEN: the bearer token /metrics asks for; unset, /metrics is off

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


DEFAULT_POOL_SIZE = 5
DEFAULT_MAX_OVERFLOW = 10


def pool_limits(env=None) -> tuple[int, int]:
    """PostgreSQL pool size and overflow per process (``JXC_DB_POOL_SIZE``, ``JXC_DB_MAX_OVERFLOW``)."""
    env = os.environ if env is None else env
    return (
        _int(env, "JXC_DB_POOL_SIZE", DEFAULT_POOL_SIZE, 1, 1000),
        _int(env, "JXC_DB_MAX_OVERFLOW", DEFAULT_MAX_OVERFLOW, 0, 1000),
    )


def _int(env, name: str, default: int, low: int, high: int) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    if not raw.isascii() or not raw.isdigit() or not low <= int(raw) <= high:
        raise ValueError(f"{name} must be a whole number from {low} to {high}, not {raw!r}")
    return int(raw)


def _sqlite_url(path: str) -> str:
    return f"sqlite+aiosqlite:///{path}"


def load_settings(env_file: str | os.PathLike | None = ".env") -> Settings:
    """Read settings; a ``.env`` in the working directory fills in what the environment lacks."""
    if env_file and Path(env_file).exists():
        load_dotenv(env_file, override=False)
    env = os.environ
    clock.configure_from_env(env)
    url = env.get("DATABASE_URL") or _sqlite_url(env.get("JXC_SQLITE_PATH", DEFAULT_SQLITE_PATH))
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        url = "postgresql+asyncpg://" + url.split("://", 1)[1]
    return Settings(
        database_url=url,
        host=env.get("JXC_HOST", "127.0.0.1"),
        port=int(env.get("JXC_PORT", "8000")),
        workers=int(env.get("JXC_WORKERS", "1")),
        log_level=env.get("JXC_LOG_LEVEL", "info"),
        max_page_size=int(env.get("JXC_MAX_PAGE_SIZE", "100")),
        default_language=env.get("JXC_LANGUAGE", "zh-CN"),
        debug=env.get("JXC_DEBUG", "") in ("1", "true", "yes"),
        cors_origins=tuple(o.strip() for o in env.get("JXC_CORS_ORIGINS", "").split(",") if o.strip()),
        introspection=_flag(env, "JXC_INTROSPECTION", not _production(env)),
        max_request_bytes=int(env.get("JXC_MAX_REQUEST_BYTES", "1048576")),
        max_upload_bytes=int(env.get("JXC_MAX_UPLOAD_BYTES", "20971520")),
        max_query_cost=_int(env, "JXC_MAX_QUERY_COST", 50_000, 100, 10_000_000),
        jobs=env.get("JXC_JOBS", "1") not in ("0", "false", "no"),
        graphiql=_flag(env, "JXC_GRAPHIQL", not _production(env)),
        environment=_environment(env),
        backup_dir=env.get("JXC_BACKUP_DIR", "./var/backups"),
        backup_interval_hours=_int(env, "JXC_BACKUP_INTERVAL_HOURS", 0, 0, 8760),
        backup_keep=_int(env, "JXC_BACKUP_KEEP", 7, 1, 1000),
        idempotency_days=_int(env, "JXC_IDEMPOTENCY_DAYS", 90, 7, 36500),
        log_format=_log_format(env),
        metrics_token=env.get("JXC_METRICS_TOKEN", "").strip(),
    )


ENVIRONMENTS = ("development", "test", "production")


def _log_format(env) -> str:
    value = env.get("JXC_LOG_FORMAT", "").strip().lower() or "text"
    if value not in ("text", "json"):
        raise ValueError(f"JXC_LOG_FORMAT must be text or json, not {value!r}")
    return value


def _environment(env) -> str:
    value = env.get("JXC_ENV", "").strip().lower() or "development"
    if value not in ENVIRONMENTS:  # a typo must not leave a production server open
        raise ValueError(f"JXC_ENV must be one of {' | '.join(ENVIRONMENTS)}, not {value!r}")
    return value


def _production(env) -> bool:
    return _environment(env) == "production"


def _flag(env, name: str, default: bool) -> bool:
    """An on/off setting: ``0``/``false``/``no``/``off`` is off, any other value on, unset the default."""
    raw = env.get(name, "").strip().lower()
    if not raw:
        return default
    return raw not in ("0", "false", "no", "off")
