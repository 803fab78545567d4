"""Revoked credentials stop working everywhere at once.

Each server process caches principals for a few seconds (``services.authenticate``) and keeps
WebSocket subscriptions open for hours. When credentials are revoked or changed (logout, a revoked
API token, a disabled user, a new password) the action announces it in its transaction
(``services.announce_credentials_changed``). ``follow_revocations`` wires one process to that
announcement: its event tailer watches for ``auth.changed`` (NOTIFY on PostgreSQL, a 0.5 s journal
poll on SQLite), drops the cached principals, and makes every open subscription re-check its token
— a revoked one ends with ``PERMISSION_DENIED`` and the socket closes with 4403.
"""

from __future__ import annotations

from collections.abc import Callable

from server.auth.services import AUTH_CHANGED, AUTH_CHANNEL, forget_tokens, on_tokens_forgotten
from server.events.bus import EventTailer


def follow_revocations(tailer: EventTailer) -> Callable[[], None]:
    """Register before ``tailer.start()``; returns the function that unregisters (at shutdown)."""
    tailer.watch(AUTH_CHANGED, forget_tokens, channel=AUTH_CHANNEL)
    return on_tokens_forgotten(tailer.recheck_subscribers)
