"""Helpers for migrations that change a column's declared type on SQLite."""

from alembic import op


def set_declared_type(table: str, column: str, old: str, new: str) -> None:
    """SQLite does not enforce VARCHAR lengths and cannot ALTER a column's type; rewriting the
    declared type in the schema keeps the database identical to the models without copying the table
    (which would drop its triggers). VARCHAR(n) has TEXT affinity for every n: nothing on disk changes
    (https://www.sqlite.org/lang_altertable.html, "other kinds of table schema changes")."""
    bind = op.get_bind()
    version = bind.exec_driver_sql("PRAGMA schema_version").scalar()
    bind.exec_driver_sql("PRAGMA writable_schema=ON")
    bind.exec_driver_sql(
        "UPDATE sqlite_master SET sql = replace(sql, ?, ?) WHERE type = 'table' AND name = ?",
        (f"{column} {old}", f"{column} {new}", table),
    )
    bind.exec_driver_sql(f"PRAGMA schema_version={int(version) + 1}")
    bind.exec_driver_sql("PRAGMA writable_schema=OFF")
