"""``/metrics`` in the Prometheus text format (version 0.0.4), written by hand.

Two kinds of figures:

* this server process's own — GraphQL requests and their latency by operation type, GraphQL errors
  by code, WebSocket operations open (subscriptions), the database pool (``ProcessMetrics``);
* the database's, the same from every process — jobs due and running, poster lag, webhook backlog
  (``database_lines``).

The route answers only with ``Authorization: Bearer $JXC_METRICS_TOKEN``; without that setting it is
off (404), so a server reachable from outside never shows its figures to anybody.
"""

from __future__ import annotations

import hmac
import re
from collections import Counter

from sqlalchemy import func, select, text

from server.automation.models import job
from server.core.clock import utcnow
from server.core.database import Database
from server.core.version import jxc_version
from server.events.journal import last_sequence
from server.finance.poster import poster_lag
from server.integrations.models import webhook_endpoint
from server.web.guard import bearer_token

#: latency buckets in seconds (upper bounds), as Prometheus histograms count them
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

_IGNORED = re.compile(r'"""(?:[^"\\]|\\.|"(?!""))*"""|"(?:[^"\\\n]|\\.)*"|#[^\n\r]*')
_TOKENS = re.compile(r"[{}]|\b(query|mutation|subscription|fragment)\b(?:\s+([_A-Za-z]\w*))?")
MAX_SCAN = 10_000  # braces and keywords looked at before a document counts as "unknown"


def operation_of(query: str | None, operation_name: str | None) -> tuple[str, str | None]:
    """The type (``query``, ``mutation``, ``subscription``) and name of the operation a request runs,
    read from the top level of the document (strings and comments skipped) without parsing it; the
    type is ``unknown`` when it cannot tell (such a request fails validation anyway)."""
    if not query:
        return "unknown", operation_name
    depth = 0
    kind: str | None = None  # the keyword and name seen at depth 0, waiting for their selection set
    name: str | None = None
    for n, m in enumerate(_TOKENS.finditer(_IGNORED.sub(" ", query))):
        if n >= MAX_SCAN:
            break
        token = m.group(0)
        if token == "{":
            if depth == 0:
                if kind is None and operation_name is None:
                    return "query", None  # the shorthand { … }
                if kind not in (None, "fragment") and operation_name in (None, name):
                    return kind, name
                kind = name = None
            depth += 1
        elif token == "}":
            depth = max(depth - 1, 0)
        elif depth == 0:
            kind, name = m.group(1), m.group(2)
    return "unknown", operation_name


def operation_type(query: str | None, operation_name: str | None) -> str:
    return operation_of(query, operation_name)[0]


class ProcessMetrics:
    """The counters of one server process (``AppState.metrics``)."""

    def __init__(self) -> None:
        self.requests: Counter[str] = Counter()  # operation type → requests
        self.seconds: dict[str, float] = {}  # operation type → total seconds
        self.buckets: dict[str, list[int]] = {}  # operation type → requests per latency bucket (+Inf last)
        self.errors: Counter[str] = Counter()  # error code → GraphQL errors
        self.open_operations: Counter[str] = Counter()  # operation type → WebSocket operations running

    def observe(self, kind: str, seconds: float, error_codes: list[str]) -> None:
        self.requests[kind] += 1
        self.seconds[kind] = self.seconds.get(kind, 0.0) + seconds
        counts = self.buckets.setdefault(kind, [0] * (len(BUCKETS) + 1))
        for i, bound in enumerate(BUCKETS):
            if seconds <= bound:
                counts[i] += 1
                break
        else:
            counts[-1] += 1
        self.errors.update(error_codes)

    def lines(self) -> list[str]:
        out = [
            "# HELP jxc_graphql_requests_total GraphQL requests over HTTP answered by this process.",
            "# TYPE jxc_graphql_requests_total counter",
        ]
        out += [f'jxc_graphql_requests_total{{type="{k}"}} {v}' for k, v in sorted(self.requests.items())]
        out += [
            "# HELP jxc_graphql_request_seconds Time to answer a GraphQL request over HTTP.",
            "# TYPE jxc_graphql_request_seconds histogram",
        ]
        for kind, counts in sorted(self.buckets.items()):
            running = 0
            for bound, count in zip((*BUCKETS, None), counts):
                running += count
                le = "+Inf" if bound is None else repr(bound)
                out.append(f'jxc_graphql_request_seconds_bucket{{type="{kind}",le="{le}"}} {running}')
            out.append(f'jxc_graphql_request_seconds_sum{{type="{kind}"}} {self.seconds[kind]:.6f}')
            out.append(f'jxc_graphql_request_seconds_count{{type="{kind}"}} {running}')
        out += [
            "# HELP jxc_graphql_errors_total Errors in GraphQL answers over HTTP, by code.",
            "# TYPE jxc_graphql_errors_total counter",
        ]
        out += [f'jxc_graphql_errors_total{{code="{_label(k)}"}} {v}' for k, v in sorted(self.errors.items())]
        out += [
            "# HELP jxc_websocket_operations_open Operations running on this process's WebSockets (subscriptions).",
            "# TYPE jxc_websocket_operations_open gauge",
        ]
        out += [f'jxc_websocket_operations_open{{type="{k}"}} {v}' for k, v in sorted(self.open_operations.items())]
        return out


def _label(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def pool_lines(db: Database) -> list[str]:
    """Connections of this process's pool (PostgreSQL; SQLite opens one per use and reports none)."""
    pool = db.engine.sync_engine.pool
    checked_out = getattr(pool, "checkedout", None)
    size = getattr(pool, "size", None)
    if checked_out is None or size is None:
        return []
    return [
        "# HELP jxc_db_pool_connections_in_use Database connections this process has checked out.",
        "# TYPE jxc_db_pool_connections_in_use gauge",
        f"jxc_db_pool_connections_in_use {checked_out()}",
        "# HELP jxc_db_pool_size Connections this process keeps in its pool (more may overflow).",
        "# TYPE jxc_db_pool_size gauge",
        f"jxc_db_pool_size {size()}",
    ]


async def database_lines(db: Database) -> list[str]:
    """Figures of the whole installation, read from the database."""
    now = utcnow()
    async with db.read() as conn:
        due = (
            await conn.execute(
                select(func.count())
                .select_from(job)
                .where(job.c.enabled.is_(True), job.c.next_run_at <= now, job.c.lease_until.is_(None))
            )
        ).scalar_one()
        running = (
            await conn.execute(select(func.count()).select_from(job).where(job.c.lease_until > now))
        ).scalar_one()
        failed = (
            await conn.execute(select(func.count()).select_from(job).where(job.c.last_status == "error"))
        ).scalar_one()
        finished = (
            await conn.execute(select(job.c.name, job.c.last_finished_at).where(job.c.last_status == "ok"))
        ).all()
        booked, head = await poster_lag(conn)
        head = head or await last_sequence(conn)
        behind = (
            await conn.execute(
                select(func.coalesce(func.sum(head - webhook_endpoint.c.cursor), 0)).where(
                    webhook_endpoint.c.enabled.is_(True)
                )
            )
        ).scalar_one()
        endpoints_failing = (
            await conn.execute(
                select(func.count())
                .select_from(webhook_endpoint)
                .where(webhook_endpoint.c.enabled.is_(True), webhook_endpoint.c.failing_since.is_not(None))
            )
        ).scalar_one()
    return [
        "# HELP jxc_jobs_due Scheduled jobs due and not yet started.",
        "# TYPE jxc_jobs_due gauge",
        f"jxc_jobs_due {due}",
        "# HELP jxc_jobs_running Scheduled jobs running now (their lease is held).",
        "# TYPE jxc_jobs_running gauge",
        f"jxc_jobs_running {running}",
        "# HELP jxc_jobs_failed Scheduled jobs whose last run ended in an error.",
        "# TYPE jxc_jobs_failed gauge",
        f"jxc_jobs_failed {failed}",
        "# HELP jxc_job_last_success_timestamp_seconds When each job last ended well (the backup job: the last backup).",
        "# TYPE jxc_job_last_success_timestamp_seconds gauge",
        *(
            f'jxc_job_last_success_timestamp_seconds{{job="{_label(name)}"}} {at.timestamp():.0f}'
            for name, at in sorted(finished)
            if at is not None
        ),
        "# HELP jxc_journal_last_seq The newest event of the journal.",
        "# TYPE jxc_journal_last_seq gauge",
        f"jxc_journal_last_seq {head}",
        "# HELP jxc_poster_lag_events Journal events the poster has not booked yet.",
        "# TYPE jxc_poster_lag_events gauge",
        f"jxc_poster_lag_events {max(head - booked, 0)}",
        "# HELP jxc_webhook_backlog_events Journal events behind the cursors of the enabled webhook endpoints, summed.",
        "# TYPE jxc_webhook_backlog_events gauge",
        f"jxc_webhook_backlog_events {behind}",
        "# HELP jxc_webhook_endpoints_failing Enabled webhook endpoints whose deliveries are failing.",
        "# TYPE jxc_webhook_endpoints_failing gauge",
        f"jxc_webhook_endpoints_failing {endpoints_failing}",
    ]


def build_info(database: str, revision: str | None) -> list[str]:
    return [
        "# HELP jxc_build_info The jxc version, the schema revision and the database kind.",
        "# TYPE jxc_build_info gauge",
        f'jxc_build_info{{version="{_label(jxc_version())}",revision="{_label(revision or "")}",database="{database}"}} 1',
    ]


def token_ok(expected: str, authorization: str | None) -> bool:
    """``Authorization: Bearer <expected>``, compared in constant time."""
    given = bearer_token(authorization)
    return bool(expected) and given is not None and hmac.compare_digest(given.encode(), expected.encode())


async def schema_revision(db: Database) -> str | None:
    """The Alembic revision the database is at (``None`` before the first migration)."""
    async with db.read() as conn:
        return (await conn.execute(text("SELECT version_num FROM alembic_version"))).scalar()
