"""Counter services: subscribers, applications, agreement records, payments, items, journal."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from counter_app.store.migrations.common import (
    columns,
    create_table,
    drop_table,
    key,
    of_application,
)
from counter_app.store.types import UTCDateTime

revision = "0003"
down_revision = "0002"

_TABLES = (
    "sequences",
    "subscribers",
    "applications",
    "agreement_records",
    "certificate_items",
    "journal",
    "payments",
)
# The indexed columns of each table, as Alembic named and made their indexes.
_INDEXED = {
    "subscribers": ("identity", "name"),
    "applications": ("new_serial", "old_serial", "service", "status", "subscriber_id"),
    "certificate_items": ("serial",),
    "journal": ("state",),
    "payments": ("application_id",),
}
_TOKEN = ("token_serial", "token_label")  # the token a service writes to


def upgrade() -> None:
    op.create_table(
        "sequences",
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("day", sa.String(length=8), nullable=False),
        sa.Column("value", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("name", "day"),
    )
    create_table(
        "subscribers",
        *key(),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("identity", sa.String(length=128), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("data", sa.Text(), nullable=False),
        *columns(UTCDateTime(), "created_at", "updated_at"),
        sa.UniqueConstraint("kind", "identity", name="uq_subscriber_identity"),
        indexed=_INDEXED["subscribers"],
    )
    create_table(
        "applications",
        sa.Column("id", sa.String(length=32), nullable=False),
        *columns(sa.String(length=16), "service", "status", "certificate_type"),
        sa.Column("subscriber_id", sa.Integer(), nullable=False),
        sa.Column("clerk", sa.String(length=64), nullable=False),
        sa.Column("reviewer", sa.String(length=64), nullable=True),
        sa.Column("key_algorithm", sa.String(length=16), nullable=True),
        *columns(sa.String(length=64), *_TOKEN, "old_serial", "new_serial", nullable=True),
        sa.Column("data", sa.Text(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("closed_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["subscriber_id"], ["subscribers.id"]),
        sa.PrimaryKeyConstraint("id"),
        indexed=_INDEXED["applications"],
    )
    op.create_table(
        "agreement_records",
        *key(),
        sa.Column("application_id", sa.String(length=32), nullable=False),
        sa.Column("version", sa.String(length=16), nullable=False),
        sa.Column("text_sha256", sa.String(length=64), nullable=False),
        sa.Column("accepted_at", UTCDateTime(), nullable=False),
        *columns(sa.String(length=64), "clerk", "reviewer", "signature"),
        of_application(),
        sa.UniqueConstraint("application_id"),
    )
    create_table(
        "certificate_items",
        *key(),
        *columns(sa.String(length=64), "serial", "item_code"),
        sa.Column("application_id", sa.String(length=32), nullable=False),
        sa.Column("added_at", UTCDateTime(), nullable=False),
        of_application(),
        sa.UniqueConstraint("serial", "item_code", name="uq_certificate_item"),
        indexed=_INDEXED["certificate_items"],
    )
    create_table(
        "journal",
        *key(),
        sa.Column("application_id", sa.String(length=32), nullable=False),
        sa.Column("service", sa.String(length=16), nullable=False),
        sa.Column("step", sa.String(length=24), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        *columns(sa.String(length=64), *_TOKEN, "key_id", "cert_serial", nullable=True),
        sa.Column("data", sa.Text(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        of_application(),
        sa.UniqueConstraint("application_id"),
        indexed=_INDEXED["journal"],
    )
    create_table(
        "payments",
        *key(),
        *columns(sa.String(length=32), "receipt_number", "application_id"),
        *columns(sa.String(length=16), "service", "certificate_type"),
        sa.Column("payer", sa.String(length=200), nullable=False),
        sa.Column("fee_fen", sa.Integer(), nullable=False),
        sa.Column("method", sa.String(length=16), nullable=False),
        *columns(sa.Integer(), "tendered_fen", "change_fen"),
        sa.Column("waiver_reference", sa.String(length=128), nullable=True),
        sa.Column("waiver_approved_by", sa.String(length=64), nullable=True),
        sa.Column("clerk", sa.String(length=64), nullable=False),
        sa.Column("time", UTCDateTime(), nullable=False),
        of_application(),
        sa.UniqueConstraint("receipt_number"),
        indexed=_INDEXED["payments"],
    )


def downgrade() -> None:
    for table in reversed(_TABLES):
        drop_table(table, indexed=_INDEXED.get(table, ()))
