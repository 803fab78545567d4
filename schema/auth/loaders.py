"""Auth's DataLoaders: the permissions of a role and the role codes of a user."""

from __future__ import annotations

from collections import defaultdict
from functools import cached_property

from sqlalchemy import select
from strawberry.dataloader import DataLoader

from schema.batching import Children, DomainLoaders, many
from server.auth.models import role, role_permission, user_role


class AuthLoaders(DomainLoaders):
    @cached_property
    def role_permissions(self) -> Children:
        return many(self.db, role_permission, "role_id", role_permission.c.permission)

    @cached_property
    def roles_by_user(self) -> DataLoader[int, list[str]]:
        """A user's role codes, sorted."""

        async def load(user_ids: list[int]):
            groups = defaultdict(list)
            async with self.db.read() as conn:
                rows = await conn.execute(
                    select(user_role.c.user_id, role.c.code)
                    .join(role, role.c.id == user_role.c.role_id)
                    .where(user_role.c.user_id.in_(set(user_ids)))
                    .order_by(role.c.code)
                )
                for user_id, code in rows:
                    groups[user_id].append(code)
            return [groups.get(u, []) for u in user_ids]

        return DataLoader(load_fn=load)
