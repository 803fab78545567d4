"""initial schema: catalog, partners, warehouses, stock ledger, event journal, idempotency keys

Revision ID: 0001
Revises:
Create Date: 2026-11-28 14:21:04.858131
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "category",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("parent_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("active", sa.Boolean(), server_default="1", nullable=False),
        sa.ForeignKeyConstraint(["parent_id"], ["category.id"], name=op.f("fk_category_parent_id_category")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_category")),
        sa.UniqueConstraint("code", name=op.f("uq_category_code")),
    )
    with op.batch_alter_table("category", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_category_parent_id"), ["parent_id"], unique=False)

    op.create_table(
        "customer",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("contact_name", sa.String(length=64), server_default="", nullable=False),
        sa.Column("phone", sa.String(length=32), server_default="", nullable=False),
        sa.Column("email", sa.String(length=128), server_default="", nullable=False),
        sa.Column("address", sa.String(length=300), server_default="", nullable=False),
        sa.Column("tax_id", sa.String(length=32), server_default="", nullable=False),
        sa.Column("active", sa.Boolean(), server_default="1", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customer")),
        sa.UniqueConstraint("code", name=op.f("uq_customer_code")),
    )
    op.create_table(
        "event",
        sa.Column("seq", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("event_type", sa.String(length=64), nullable=False),
        sa.Column("product_id", sa.BigInteger(), nullable=True),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_event")),
    )
    with op.batch_alter_table("event", schema=None) as batch_op:
        batch_op.create_index("ix_event_type_seq", ["event_type", "seq"], unique=False)

    op.create_table(
        "event_counter",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("last_seq", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("id = 1", name=op.f("ck_event_counter_single_row")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_event_counter")),
    )
    op.create_table(
        "idempotency_key",
        sa.Column("key", sa.String(length=128), nullable=False),
        sa.Column("scope", sa.String(length=64), nullable=False),
        sa.Column("request_hash", sa.String(length=64), nullable=False),
        sa.Column("result", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_idempotency_key")),
    )
    op.create_table(
        "stock_operation",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("op_type", sa.String(length=32), nullable=False),
        sa.Column("reference", sa.String(length=64), server_default="", nullable=False),
        sa.Column("reason", sa.String(length=300), server_default="", nullable=False),
        sa.Column("actor", sa.String(length=64), server_default="", nullable=False),
        sa.Column("idempotency_key", sa.String(length=128), nullable=True),
        sa.Column("request_hash", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stock_operation")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_stock_operation_idempotency_key")),
    )
    op.create_table(
        "supplier",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("contact_name", sa.String(length=64), server_default="", nullable=False),
        sa.Column("phone", sa.String(length=32), server_default="", nullable=False),
        sa.Column("email", sa.String(length=128), server_default="", nullable=False),
        sa.Column("address", sa.String(length=300), server_default="", nullable=False),
        sa.Column("tax_id", sa.String(length=32), server_default="", nullable=False),
        sa.Column("active", sa.Boolean(), server_default="1", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_supplier")),
        sa.UniqueConstraint("code", name=op.f("uq_supplier_code")),
    )
    op.create_table(
        "unit",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("name_en", sa.String(length=64), server_default="", nullable=False),
        sa.Column("precision", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), server_default="1", nullable=False),
        sa.CheckConstraint("precision >= 0 AND precision <= 6", name=op.f("ck_unit_precision_range")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_unit")),
        sa.UniqueConstraint("code", name=op.f("uq_unit_code")),
    )
    op.create_table(
        "warehouse",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("address", sa.String(length=300), server_default="", nullable=False),
        sa.Column("active", sa.Boolean(), server_default="1", nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_warehouse")),
        sa.UniqueConstraint("code", name=op.f("uq_warehouse_code")),
    )
    op.create_table(
        "location",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("warehouse_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("parent_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=128), server_default="", nullable=False),
        sa.Column("sort_order", sa.Integer(), server_default="0", nullable=False),
        sa.Column("active", sa.Boolean(), server_default="1", nullable=False),
        sa.ForeignKeyConstraint(["parent_id"], ["location.id"], name=op.f("fk_location_parent_id_location")),
        sa.ForeignKeyConstraint(["warehouse_id"], ["warehouse.id"], name=op.f("fk_location_warehouse_id_warehouse")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_location")),
        sa.UniqueConstraint("code", name=op.f("uq_location_code")),
    )
    with op.batch_alter_table("location", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_location_warehouse_id"), ["warehouse_id"], unique=False)

    op.create_table(
        "product",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("sku", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("spec", sa.String(length=200), server_default="", nullable=False),
        sa.Column("category_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("base_unit_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("sale_price_fen", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("purchase_price_fen", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("vat_rate_bp", sa.Integer(), server_default="1300", nullable=False),
        sa.Column("reorder_point", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("reorder_qty", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("tracking", sa.String(length=8), server_default="none", nullable=False),
        sa.Column("active", sa.Boolean(), server_default="1", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("tracking IN ('none', 'lot', 'serial')", name=op.f("ck_product_tracking")),
        sa.CheckConstraint("reorder_point >= 0 AND reorder_qty >= 0", name=op.f("ck_product_reorder")),
        sa.CheckConstraint("sale_price_fen >= 0 AND purchase_price_fen >= 0", name=op.f("ck_product_prices")),
        sa.CheckConstraint("vat_rate_bp >= 0 AND vat_rate_bp <= 10000", name=op.f("ck_product_vat_rate")),
        sa.ForeignKeyConstraint(["base_unit_id"], ["unit.id"], name=op.f("fk_product_base_unit_id_unit")),
        sa.ForeignKeyConstraint(["category_id"], ["category.id"], name=op.f("fk_product_category_id_category")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_product")),
        sa.UniqueConstraint("sku", name=op.f("uq_product_sku")),
    )
    with op.batch_alter_table("product", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_product_category_id"), ["category_id"], unique=False)

    op.create_table(
        "barcode",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("product_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("unit_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.CheckConstraint("kind IN ('gtin', 'internal')", name=op.f("ck_barcode_kind")),
        sa.ForeignKeyConstraint(["product_id"], ["product.id"], name=op.f("fk_barcode_product_id_product")),
        sa.ForeignKeyConstraint(["unit_id"], ["unit.id"], name=op.f("fk_barcode_unit_id_unit")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_barcode")),
        sa.UniqueConstraint("code", name=op.f("uq_barcode_code")),
    )
    with op.batch_alter_table("barcode", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_barcode_product_id"), ["product_id"], unique=False)

    op.create_table(
        "lot",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("product_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("expiry_date", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(["product_id"], ["product.id"], name=op.f("fk_lot_product_id_product")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lot")),
        sa.UniqueConstraint("product_id", "code", name=op.f("uq_lot_product_id_code")),
    )
    op.create_table(
        "product_cost",
        sa.Column(
            "product_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=False, nullable=False
        ),
        sa.Column("qty", sa.BigInteger(), nullable=False),
        sa.Column("value_fen", sa.BigInteger(), nullable=False),
        sa.Column("method", sa.String(length=16), server_default="moving_average", nullable=False),
        sa.CheckConstraint("qty > 0 OR value_fen = 0", name=op.f("ck_product_cost_no_value_without_qty")),
        sa.CheckConstraint("qty >= 0", name=op.f("ck_product_cost_qty_not_negative")),
        sa.CheckConstraint("value_fen >= 0", name=op.f("ck_product_cost_value_not_negative")),
        sa.ForeignKeyConstraint(["product_id"], ["product.id"], name=op.f("fk_product_cost_product_id_product")),
        sa.PrimaryKeyConstraint("product_id", name=op.f("pk_product_cost")),
    )
    op.create_table(
        "product_unit",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("product_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("unit_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("factor", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("factor > 0", name=op.f("ck_product_unit_factor_positive")),
        sa.ForeignKeyConstraint(["product_id"], ["product.id"], name=op.f("fk_product_unit_product_id_product")),
        sa.ForeignKeyConstraint(["unit_id"], ["unit.id"], name=op.f("fk_product_unit_unit_id_unit")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_product_unit")),
        sa.UniqueConstraint("product_id", "unit_id", name=op.f("uq_product_unit_product_id_unit_id")),
    )
    with op.batch_alter_table("product_unit", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_product_unit_product_id"), ["product_id"], unique=False)

    op.create_table(
        "stock_level",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("product_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("location_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("warehouse_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("lot_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("lot_key", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("qty", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("lot_key = COALESCE(lot_id, 0)", name=op.f("ck_stock_level_lot_key")),
        sa.CheckConstraint("qty >= 0", name=op.f("ck_stock_level_qty_not_negative")),
        sa.ForeignKeyConstraint(["location_id"], ["location.id"], name=op.f("fk_stock_level_location_id_location")),
        sa.ForeignKeyConstraint(["lot_id"], ["lot.id"], name=op.f("fk_stock_level_lot_id_lot")),
        sa.ForeignKeyConstraint(["product_id"], ["product.id"], name=op.f("fk_stock_level_product_id_product")),
        sa.ForeignKeyConstraint(["warehouse_id"], ["warehouse.id"], name=op.f("fk_stock_level_warehouse_id_warehouse")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stock_level")),
        sa.UniqueConstraint(
            "product_id", "location_id", "lot_key", name=op.f("uq_stock_level_product_id_location_id_lot_key")
        ),
    )
    with op.batch_alter_table("stock_level", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_stock_level_location_id"), ["location_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_stock_level_warehouse_id"), ["warehouse_id"], unique=False)

    op.create_table(
        "stock_move",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("operation_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("line_no", sa.Integer(), nullable=False),
        sa.Column("move_type", sa.String(length=32), nullable=False),
        sa.Column("product_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("lot_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("from_location_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("to_location_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("qty", sa.BigInteger(), nullable=False),
        sa.Column("value_fen", sa.BigInteger(), nullable=False),
        sa.Column("reason", sa.String(length=300), server_default="", nullable=False),
        sa.Column("source_document", sa.String(length=64), server_default="", nullable=False),
        sa.Column("source_line_id", sa.BigInteger(), nullable=True),
        sa.Column("actor", sa.String(length=64), server_default="", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "from_location_id IS NOT NULL OR to_location_id IS NOT NULL", name=op.f("ck_stock_move_has_location")
        ),
        sa.CheckConstraint("qty > 0", name=op.f("ck_stock_move_qty_positive")),
        sa.CheckConstraint("value_fen >= 0", name=op.f("ck_stock_move_value_not_negative")),
        sa.ForeignKeyConstraint(
            ["from_location_id"], ["location.id"], name=op.f("fk_stock_move_from_location_id_location")
        ),
        sa.ForeignKeyConstraint(["lot_id"], ["lot.id"], name=op.f("fk_stock_move_lot_id_lot")),
        sa.ForeignKeyConstraint(
            ["operation_id"], ["stock_operation.id"], name=op.f("fk_stock_move_operation_id_stock_operation")
        ),
        sa.ForeignKeyConstraint(["product_id"], ["product.id"], name=op.f("fk_stock_move_product_id_product")),
        sa.ForeignKeyConstraint(
            ["to_location_id"], ["location.id"], name=op.f("fk_stock_move_to_location_id_location")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stock_move")),
    )
    with op.batch_alter_table("stock_move", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_stock_move_operation_id"), ["operation_id"], unique=False)
        batch_op.create_index("ix_stock_move_product_created", ["product_id", "id"], unique=False)

    op.execute("INSERT INTO event_counter (id, last_seq) VALUES (1, 0)")
    _create_append_only_triggers()


APPEND_ONLY = ("stock_move", "event")


def _create_append_only_triggers() -> None:
    """The ledger and the journal are append-only: the database refuses UPDATE and DELETE."""
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        op.execute(
            """
            CREATE FUNCTION jxc_append_only() RETURNS trigger AS $$
            BEGIN
                RAISE EXCEPTION '% is append-only', TG_TABLE_NAME;
            END;
            $$ LANGUAGE plpgsql
            """
        )
        for table in APPEND_ONLY:
            op.execute(
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION jxc_append_only()"
            )
        # The event insert assigns seq = last_seq + 1 under the counter's row lock; this moves it on.
        op.execute(
            """
            CREATE FUNCTION jxc_event_counter() RETURNS trigger AS $$
            BEGIN
                UPDATE event_counter SET last_seq = NEW.seq WHERE id = 1;
                RETURN NULL;
            END;
            $$ LANGUAGE plpgsql
            """
        )
        op.execute(
            "CREATE TRIGGER event_counter_bump AFTER INSERT ON event FOR EACH ROW EXECUTE FUNCTION jxc_event_counter()"
        )
        # Wake every server process's event tailer on commit (NOTIFY is transactional).
        op.execute(
            """
            CREATE FUNCTION jxc_notify_event() RETURNS trigger AS $$
            BEGIN
                PERFORM pg_notify('jxc_events', '');
                RETURN NULL;
            END;
            $$ LANGUAGE plpgsql
            """
        )
        op.execute(
            "CREATE TRIGGER event_notify AFTER INSERT ON event FOR EACH STATEMENT EXECUTE FUNCTION jxc_notify_event()"
        )
    else:
        op.execute(
            "CREATE TRIGGER event_counter_bump AFTER INSERT ON event "
            "BEGIN UPDATE event_counter SET last_seq = NEW.seq WHERE id = 1; END"
        )
        for table in APPEND_ONLY:
            for action in ("UPDATE", "DELETE"):
                op.execute(
                    f"CREATE TRIGGER {table}_no_{action.lower()} BEFORE {action} ON {table} "
                    f"BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END"
                )


def _drop_append_only_triggers() -> None:
    bind = op.get_bind()
    for table in APPEND_ONLY:
        if bind.dialect.name == "postgresql":
            op.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
        else:
            for action in ("update", "delete"):
                op.execute(f"DROP TRIGGER IF EXISTS {table}_no_{action}")
    if bind.dialect.name != "postgresql":
        op.execute("DROP TRIGGER IF EXISTS event_counter_bump")
    if bind.dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS event_counter_bump ON event")
        op.execute("DROP FUNCTION IF EXISTS jxc_event_counter()")
        op.execute("DROP TRIGGER IF EXISTS event_notify ON event")
        op.execute("DROP FUNCTION IF EXISTS jxc_notify_event()")
        op.execute("DROP FUNCTION IF EXISTS jxc_append_only()")


def downgrade() -> None:
    _drop_append_only_triggers()

    with op.batch_alter_table("stock_move", schema=None) as batch_op:
        batch_op.drop_index("ix_stock_move_product_created")
        batch_op.drop_index(batch_op.f("ix_stock_move_operation_id"))

    op.drop_table("stock_move")
    with op.batch_alter_table("stock_level", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_stock_level_warehouse_id"))
        batch_op.drop_index(batch_op.f("ix_stock_level_location_id"))

    op.drop_table("stock_level")
    with op.batch_alter_table("product_unit", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_product_unit_product_id"))

    op.drop_table("product_unit")
    op.drop_table("product_cost")
    op.drop_table("lot")
    with op.batch_alter_table("barcode", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_barcode_product_id"))

    op.drop_table("barcode")
    with op.batch_alter_table("product", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_product_category_id"))

    op.drop_table("product")
    with op.batch_alter_table("location", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_location_warehouse_id"))

    op.drop_table("location")
    op.drop_table("warehouse")
    op.drop_table("unit")
    op.drop_table("supplier")
    op.drop_table("stock_operation")
    op.drop_table("idempotency_key")
    op.drop_table("event_counter")
    with op.batch_alter_table("event", schema=None) as batch_op:
        batch_op.drop_index("ix_event_type_seq")

    op.drop_table("event")
    op.drop_table("customer")
    with op.batch_alter_table("category", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_category_parent_id"))

    op.drop_table("category")
