"""Auth input types."""

from __future__ import annotations

import strawberry


@strawberry.input
class AuditFilter:
    actor: str | None = None
    operation: str | None = None
    target: str | None = None


@strawberry.input
class CreateUserInput:
    username: str
    password: str
    display_name: str = ""
    roles: list[str] = strawberry.field(default_factory=list)
    warehouse_ids: list[strawberry.ID] = strawberry.field(
        default_factory=list, description="Restrict the user to these warehouses (empty: all)."
    )
