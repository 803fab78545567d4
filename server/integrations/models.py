"""Webhook endpoints (with their delivery cursor and its lease), the delivery log, and the external ids
other systems know our records by (server/integrations/external_ids.py)."""

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from server.core.db_types import IdType, UtcDateTime, metadata

webhook_endpoint = Table(
    "webhook_endpoint",
    metadata,
    Column("id", IdType, primary_key=True),
    Column("name", String(100), nullable=False),
    Column("url", String(2000), nullable=False),
    Column("event_types", Text, nullable=False),  # JSON list of subscription kinds (server/integrations/payloads.py)
    Column("warehouse_ids", Text, nullable=False, server_default="[]"),  # JSON list; [] = every warehouse
    Column("category_ids", Text, nullable=False, server_default="[]"),  # JSON list; [] = every category
    Column("secret", String(100), nullable=False),  # whsec_<base64>; needed in clear to sign
    Column("previous_secret", String(100), nullable=True),  # still signs until previous_secret_until
    Column("previous_secret_until", UtcDateTime, nullable=True),
    Column("enabled", Boolean, nullable=False, server_default="1"),
    Column("disabled_reason", String(200), nullable=False, server_default=""),
    Column("disabled_at", UtcDateTime, nullable=True),
    Column("owner", String(100), nullable=False),  # the principal that registered it (user:li, token:erp)
    Column("owner_user_id", IdType, ForeignKey("app_user.id"), nullable=True),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    # the delivery cursor: every journal event up to here was delivered or does not concern the endpoint
    Column("cursor", BigInteger, nullable=False, server_default="0"),
    # moved on by a replay; the sender writes its cursor only if it is unchanged since it read it
    Column("generation", Integer, nullable=False, server_default="0"),
    # the sender owning the cursor (a conditional UPDATE, like the job leases); expires if it dies
    Column("lease_owner", String(64), nullable=True),
    Column("lease_until", UtcDateTime, nullable=True),
    # the retry state of the event after the cursor
    Column("attempt", Integer, nullable=False, server_default="0"),
    Column("next_attempt_at", UtcDateTime, nullable=True),
    Column("failing_since", UtcDateTime, nullable=True),
    Column("last_success_at", UtcDateTime, nullable=True),
)

webhook_delivery = Table(
    "webhook_delivery",
    metadata,
    Column("id", IdType, primary_key=True),
    Column("endpoint_id", IdType, ForeignKey("webhook_endpoint.id"), nullable=False),
    Column("seq", BigInteger, nullable=True),  # the journal event; NULL for a test ping
    Column("message_id", String(64), nullable=False),  # the webhook-id header
    Column("event_type", String(64), nullable=False),
    Column("attempt", Integer, nullable=False),
    Column("at", UtcDateTime, nullable=False),
    Column("status_code", Integer, nullable=True),  # NULL: no answer (timeout, refused)
    Column("duration_ms", Integer, nullable=False),
    Column("outcome", String(12), nullable=False),  # delivered | failed
    Column("error", String(300), nullable=False, server_default=""),
    Column("sender", String(64), nullable=False),
)
Index("ix_webhook_delivery_endpoint", webhook_delivery.c.endpoint_id, webhook_delivery.c.id)

#: What an external id may name (``external_ref.entity_type``).
EXTERNAL_ENTITY_TYPES = ("product", "customer", "supplier", "sales_order")

external_ref = Table(
    "external_ref",
    metadata,
    Column("id", IdType, primary_key=True),
    Column("source", String(64), nullable=False),  # the other system: shop:taobao, erp:kingdee ([a-z0-9:._-])
    Column("entity_type", String(32), nullable=False),  # EXTERNAL_ENTITY_TYPES
    Column("external_id", String(128), nullable=False),  # the record's id in that system
    Column("entity_id", IdType, nullable=False),  # product.id, customer.id, supplier.id or sales_order.id
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    UniqueConstraint("source", "entity_type", "external_id"),
    CheckConstraint("entity_type IN ('product', 'customer', 'supplier', 'sales_order')", name="entity_type"),
)
Index("ix_external_ref_entity", external_ref.c.entity_type, external_ref.c.entity_id)

#: The platform's side of an order taken by order intake (server/integrations/order_intake.py): its order
#: number (also an ``external_ref`` of the order), its own status as it sends it, and the consignee.
sales_order_intake = Table(
    "sales_order_intake",
    metadata,
    Column("order_id", IdType, ForeignKey("sales_order.id"), primary_key=True),
    Column("source", String(64), nullable=False),
    Column("external_order_id", String(128), nullable=False),
    Column("platform_status", String(32), nullable=False, server_default=""),
    Column("platform_status_at", UtcDateTime, nullable=False),
    Column("consignee_name", String(64), nullable=False, server_default=""),
    Column("consignee_phone", String(32), nullable=False, server_default=""),
    Column("ship_address", String(300), nullable=False, server_default=""),
    Column("hold_code", String(32), nullable=False, server_default=""),  # why submitting was refused; "" none
    Column("received_at", UtcDateTime, nullable=False),
    UniqueConstraint("source", "external_order_id"),
)

__all__ = ["EXTERNAL_ENTITY_TYPES", "external_ref", "sales_order_intake", "webhook_delivery", "webhook_endpoint"]
