"""The auth API package: sign-in, users, roles, tokens, the audit log — and ``permissions.py``, where
every field's ``needs(...)`` and the resolvers' ``caller_can`` / ``caller_warehouses`` come from."""
