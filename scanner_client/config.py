"""Where the client keeps its state: ``JXC_SCAN_HOME`` (default ``~/.jxc-scan``, created 0700) holds
``queue.sqlite3`` (the queue, the server address and language) and ``token`` (the device token, mode
0600: readable by its owner only). Tuning: ``JXC_SCAN_TIMEOUT`` (seconds per request, default 5),
``JXC_SCAN_BACKOFF`` / ``JXC_SCAN_BACKOFF_MAX`` (the first and the longest pause between tries while
the server is unreachable, default 0.5 s and 30 s; each pause is random up to twice the last)."""

from __future__ import annotations

import os
from pathlib import Path


def home() -> Path:
    path = Path(os.environ.get("JXC_SCAN_HOME") or Path.home() / ".jxc-scan")
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return path


def env_float(name: str, default: float) -> float:
    try:
        value = float(os.environ.get(name, ""))
    except ValueError:
        return default
    return value if value > 0 else default


def timeout() -> float:
    return env_float("JXC_SCAN_TIMEOUT", 5.0)


def token_path(base: Path) -> Path:
    return base / "token"


def read_token(base: Path) -> str | None:
    try:
        return token_path(base).read_text().strip() or None
    except FileNotFoundError:
        return None


def write_token(base: Path, token: str) -> None:
    """Written to a new file created 0600, then renamed over the old one: never readable by others,
    not even for a moment, and never half written."""
    target = token_path(base)
    tmp = target.with_name(f".token.{os.getpid()}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.fchmod(fd, 0o600)  # whatever the umask
        os.write(fd, token.encode())
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, target)
