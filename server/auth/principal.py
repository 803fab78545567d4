"""Who is calling: the principal every action and every check receives."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Principal:
    """Who is calling: a signed-in user (session token) or an API token scoped to a role."""

    kind: str  # "user" | "token"
    name: str
    user_id: int | None
    token_id: int | None
    permissions: frozenset[str]
    warehouse_ids: frozenset[int] | None = None  # None: every warehouse
    roles: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        return f"{self.kind}:{self.name}"

    @property
    def key_owner(self) -> str:
        """Whose idempotency keys these are: one user (every session of it) or one API token."""
        return f"u{self.user_id}" if self.kind == "user" else f"t{self.token_id}"
