"""The durable local scan queue (SQLite). Every scan is written here, with its client-made
``scan_id``, *before* it is sent; it stays until the server has answered. Scans the server refused
are kept with the server's message for review — nothing is dropped silently."""

from __future__ import annotations

import sqlite3
import uuid
from datetime import UTC, datetime
from pathlib import Path

SCHEMA = """
CREATE TABLE IF NOT EXISTS scan (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    scan_id TEXT NOT NULL UNIQUE,
    session_id TEXT NOT NULL,
    code TEXT NOT NULL,
    quantity TEXT,
    device_time TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending',  -- pending | sent | refused
    message TEXT NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS setting (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


class ScanQueue:
    def __init__(self, path: str | Path):
        self.db = sqlite3.connect(str(path), isolation_level=None)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=FULL")  # a scan acknowledged to the worker survives a power cut
        self.db.executescript(SCHEMA)

    def get(self, key: str, default: str | None = None) -> str | None:
        row = self.db.execute("SELECT value FROM setting WHERE key = ?", (key,)).fetchone()
        return row[0] if row else default

    def set(self, key: str, value: str) -> None:
        self.db.execute("INSERT INTO setting (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = "
                        "excluded.value", (key, value))

    def add(self, session_id: str, code: str, quantity: str | None) -> str:
        scan_id = f"{self.device_id()}-{uuid.uuid4().hex}"
        self.db.execute("INSERT INTO scan (scan_id, session_id, code, quantity, device_time) VALUES (?, ?, ?, ?, ?)",
                        (scan_id, session_id, code, quantity, datetime.now(UTC).isoformat()))
        return scan_id

    def device_id(self) -> str:
        device = self.get("device_id")
        if device is None:
            device = uuid.uuid4().hex[:8]
            self.set("device_id", device)
        return device

    def pending(self) -> list[sqlite3.Row]:
        self.db.row_factory = sqlite3.Row
        return self.db.execute("SELECT * FROM scan WHERE status = 'pending' ORDER BY seq").fetchall()

    def mark(self, scan_id: str, status: str, message: str) -> None:
        self.db.execute("UPDATE scan SET status = ?, message = ? WHERE scan_id = ?", (status, message, scan_id))

    def counts(self) -> dict[str, int]:
        return dict(self.db.execute("SELECT status, count(*) FROM scan GROUP BY status").fetchall())

    def refused(self) -> list[tuple]:
        return self.db.execute("SELECT code, quantity, message FROM scan WHERE status = 'refused' ORDER BY seq").fetchall()
