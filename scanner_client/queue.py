"""The durable local queue (SQLite under ``JXC_SCAN_HOME``). Everything the worker types — a scan, an
``undo``, a ``done``, a session started — is written here *before* the prompt returns (autocommit,
``synchronous=FULL``: on disk, fsync'd) and stays until the server has answered. A scan carries its
client-made ``scan_id`` (the server's idempotency key), so sending it again is always safe.

Statuses of an operation: ``pending`` (to send, in ``seq`` order) → ``sent``, or ``set_aside`` (the
server could not take it, or the client could not read the line: kept with the reason for
``jxc-scan review``) → retried (``pending`` again) or ``dropped`` by the worker. ``inflight`` marks an
``undo`` whose request is on its way: ``undoLastScan`` has no idempotency key, so an undo whose answer
never came is set aside for the worker to check rather than sent twice. Nothing is ever deleted."""

from __future__ import annotations

import os
import sqlite3
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

SCHEMA = """
CREATE TABLE IF NOT EXISTS setting (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS session (
    local_id TEXT PRIMARY KEY,              -- made by the device: a session can start offline
    mode TEXT NOT NULL,
    document TEXT NOT NULL DEFAULT '',
    location TEXT NOT NULL DEFAULT '',
    server_id TEXT,                         -- the server's ScanSession ID, once created there
    status TEXT NOT NULL DEFAULT 'local',   -- local | open | refused | completed
    error_code TEXT NOT NULL DEFAULT '',
    message TEXT NOT NULL DEFAULT '',
    result TEXT NOT NULL DEFAULT '',        -- the document posted by completing it
    created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS op (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,                     -- scan | undo | complete
    session_id TEXT,                        -- a local session id; NULL: typed while no session was open
    line TEXT NOT NULL,                     -- what the worker typed (with the answers to the lot prompts)
    scan_id TEXT UNIQUE,                    -- scans: the idempotency key
    code TEXT,                              -- scans: the code sent (a GS1 element string for a typed lot)
    quantity TEXT,
    device_time TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending', -- pending | inflight | sent | set_aside | dropped
    answer_kind TEXT,                       -- scans: product | location, from the server's answer
    undone INTEGER NOT NULL DEFAULT 0,      -- scans: taken back by a later undo
    error_code TEXT NOT NULL DEFAULT '',
    message TEXT NOT NULL DEFAULT '',       -- the server's answer or message
    updated_at TEXT
);
CREATE INDEX IF NOT EXISTS op_status ON op (status, seq);
CREATE INDEX IF NOT EXISTS op_session ON op (session_id, seq);
CREATE TABLE IF NOT EXISTS product (        -- codes the server said need a lot or serial
    code TEXT PRIMARY KEY,
    tracking TEXT NOT NULL,                 -- lot | serial
    name TEXT NOT NULL DEFAULT ''
);
"""

OPEN = ("pending", "inflight")


def now() -> str:
    return datetime.now(UTC).isoformat()


@dataclass
class Op:
    seq: int
    kind: str
    session_id: str | None
    line: str
    scan_id: str | None
    code: str | None
    quantity: str | None
    device_time: str
    status: str
    answer_kind: str | None
    undone: int
    error_code: str
    message: str
    updated_at: str | None


@dataclass
class Session:
    local_id: str
    mode: str
    document: str
    location: str
    server_id: str | None
    status: str
    error_code: str
    message: str
    result: str
    created_at: str


class ScanQueue:
    """One connection (use one per thread); every write commits on its own."""

    def __init__(self, path: str | Path):
        path = Path(path)
        fresh = not path.exists()
        self.db = sqlite3.connect(str(path), isolation_level=None, timeout=30, check_same_thread=False)
        if fresh:
            os.chmod(path, 0o600)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=FULL")  # a line acknowledged to the worker survives a power cut
        self.db.execute("PRAGMA busy_timeout=30000")
        self.db.executescript(SCHEMA)
        self._migrate()

    def close(self) -> None:
        self.db.close()

    def _migrate(self) -> None:
        """The queue of the first client (one ``scan`` table, the server's session id in ``setting``)."""
        old = self.db.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'scan'").fetchone()
        if old is None:
            return
        self.db.execute("BEGIN IMMEDIATE")
        try:
            sessions = {}
            for _seq, scan_id, session_id, code, qty, device_time, status, message in self.db.execute(
                "SELECT seq, scan_id, session_id, code, quantity, device_time, status, message FROM scan ORDER BY seq"
            ).fetchall():
                if session_id not in sessions:
                    sessions[session_id] = f"S-{uuid.uuid4().hex[:12]}"
                    self.db.execute(
                        "INSERT INTO session (local_id, mode, server_id, status, created_at) "
                        "VALUES (?, '', ?, 'open', ?)",
                        (sessions[session_id], session_id, now()),
                    )
                self.db.execute(
                    "INSERT INTO op (kind, session_id, line, scan_id, code, quantity, device_time, status, message) "
                    "VALUES ('scan', ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        sessions[session_id],
                        code + (f"*{qty}" if qty else ""),
                        scan_id,
                        code,
                        qty,
                        device_time,
                        {"refused": "set_aside"}.get(status, status),
                        message,
                    ),
                )
            current = self.get("session")
            if current is not None:
                if current not in sessions:
                    sessions[current] = f"S-{uuid.uuid4().hex[:12]}"
                    self.db.execute(
                        "INSERT INTO session (local_id, mode, server_id, status, created_at) "
                        "VALUES (?, '', ?, 'open', ?)",
                        (sessions[current], current, now()),
                    )
                self.set("session", sessions[current])
            self.db.execute("DROP TABLE scan")
            self.db.execute("COMMIT")
        except BaseException:
            self.db.execute("ROLLBACK")
            raise

    # ---- settings ---------------------------------------------------------------------------------

    def get(self, key: str, default: str | None = None) -> str | None:
        row = self.db.execute("SELECT value FROM setting WHERE key = ?", (key,)).fetchone()
        return row[0] if row else default

    def set(self, key: str, value: str) -> None:
        self.db.execute(
            "INSERT INTO setting (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (key, value),
        )

    def unset(self, key: str) -> None:
        self.db.execute("DELETE FROM setting WHERE key = ?", (key,))

    def device_id(self) -> str:
        device = self.get("device_id")
        if device is None:
            device = uuid.uuid4().hex[:8]
            self.set("device_id", device)
        return device

    # ---- sessions ---------------------------------------------------------------------------------

    def new_session(self, mode: str, document: str = "", location: str = "") -> str:
        local_id = f"S-{self.device_id()}-{uuid.uuid4().hex[:12]}"
        self.db.execute(
            "INSERT INTO session (local_id, mode, document, location, created_at) VALUES (?, ?, ?, ?, ?)",
            (local_id, mode, document, location, now()),
        )
        return local_id

    def session(self, local_id: str | None) -> Session | None:
        if local_id is None:
            return None
        row = self.db.execute(
            "SELECT local_id, mode, document, location, server_id, status, error_code, message, "
            "result, created_at FROM session WHERE local_id = ?",
            (local_id,),
        ).fetchone()
        return Session(*row) if row else None

    def update_session(self, local_id: str, **values) -> None:
        cols = ", ".join(f"{k} = ?" for k in values)
        self.db.execute(f"UPDATE session SET {cols} WHERE local_id = ?", (*values.values(), local_id))

    def current_session(self) -> Session | None:
        return self.session(self.get("session"))

    def sessions_to_show(self, current: str | None) -> list[Session]:
        """The current session and those with operations still queued or set aside."""
        ids = [
            r[0]
            for r in self.db.execute(
                "SELECT local_id FROM session WHERE local_id = ? OR local_id IN (SELECT session_id FROM op WHERE status "
                "IN ('pending', 'inflight', 'set_aside')) ORDER BY rowid",
                (current,),
            ).fetchall()
        ]
        return [self.session(i) for i in ids]

    # ---- operations -------------------------------------------------------------------------------

    def add(
        self,
        kind: str,
        session_id: str | None,
        line: str,
        *,
        code: str | None = None,
        quantity: str | None = None,
        status: str = "pending",
        error_code: str = "",
        message: str = "",
    ) -> int:
        scan_id = f"{self.device_id()}-{uuid.uuid4().hex}" if kind == "scan" else None
        cur = self.db.execute(
            "INSERT INTO op (kind, session_id, line, scan_id, code, quantity, device_time, status, error_code, "
            "message, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (kind, session_id, line, scan_id, code, quantity, now(), status, error_code, message, now()),
        )
        return cur.lastrowid

    def op(self, seq: int) -> Op | None:
        row = self.db.execute("SELECT * FROM op WHERE seq = ?", (seq,)).fetchone()
        return Op(*row) if row else None

    def ops(self, where: str = "1 = 1", params: tuple = (), limit: int | None = None) -> list[Op]:
        sql = f"SELECT * FROM op WHERE {where} ORDER BY seq" + (f" LIMIT {int(limit)}" if limit else "")
        return [Op(*r) for r in self.db.execute(sql, params).fetchall()]

    def pending(self, limit: int | None = None) -> list[Op]:
        return self.ops("status = 'pending'", limit=limit)

    def to_send(self, limit: int) -> list[Op]:
        """Pending operations in the order to send them: by ``seq``, except that a ``done`` waits while
        its session has other operations queued (a scan retried or retyped in the review after it)."""
        rows = self.db.execute(
            "SELECT * FROM op WHERE status = 'pending' ORDER BY (kind = 'complete' AND EXISTS (SELECT 1 FROM op o "
            "WHERE o.session_id = op.session_id AND o.kind != 'complete' AND o.status IN ('pending', 'inflight'))), "
            "seq LIMIT ?",
            (limit,),
        ).fetchall()
        return [Op(*r) for r in rows]

    def set_aside(self) -> list[Op]:
        return self.ops("status = 'set_aside'")

    def mark(
        self, seq: int, status: str, *, message: str | None = None, error_code: str | None = None, **values
    ) -> None:
        values["status"] = status
        if message is not None:
            values["message"] = message
        if error_code is not None:
            values["error_code"] = error_code
        values["updated_at"] = now()
        cols = ", ".join(f"{k} = ?" for k in values)
        self.db.execute(f"UPDATE op SET {cols} WHERE seq = ?", (*values.values(), seq))

    def mark_many(self, updates: list[tuple[int, str, dict]]) -> None:
        """Several marks in one transaction (one fsync for a batch's answers)."""
        self.db.execute("BEGIN IMMEDIATE")
        try:
            for seq, status, values in updates:
                self.mark(seq, status, **values)
            self.db.execute("COMMIT")
        except BaseException:
            self.db.execute("ROLLBACK")
            raise

    def undo_target(self, session_id: str, before: int) -> Op | None:
        """What an undo typed at ``before`` takes back: the session's last scan before it that the server
        counted as a product, or that was set aside — not one already taken back."""
        rows = self.ops(
            "kind = 'scan' AND session_id = ? AND seq < ? AND undone = 0 AND "
            "((status = 'sent' AND answer_kind = 'product') OR status = 'set_aside')",
            (session_id, before),
        )
        return rows[-1] if rows else None

    def blocking_complete(self, session_id: str) -> list[Op]:
        """The session's scans and undos that are still set aside or queued: a ``done`` waits for them."""
        return self.ops(
            "session_id = ? AND kind != 'complete' AND status IN ('set_aside', 'pending', 'inflight')", (session_id,)
        )

    def counts(self) -> dict[str, int]:
        return dict(self.db.execute("SELECT status, count(*) FROM op GROUP BY status").fetchall())

    # ---- what the server told us about codes --------------------------------------------------------

    def remember_product(self, code: str, tracking: str, name: str = "") -> None:
        self.db.execute(
            "INSERT INTO product (code, tracking, name) VALUES (?, ?, ?) ON CONFLICT (code) DO UPDATE "
            "SET tracking = excluded.tracking, name = excluded.name",
            (code, tracking, name),
        )

    def tracking(self, code: str) -> tuple[str, str] | None:
        row = self.db.execute("SELECT tracking, name FROM product WHERE code = ?", (code,)).fetchone()
        return (row[0], row[1]) if row else None
