"""Service pipeline: frozen snapshots, supervisors, refunds, journal leases, 64-bit money."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from counter_app.store.migrations.common import (
    add_columns,
    columns,
    create_table,
    drop_columns,
    drop_table,
    key,
    of_application,
)
from counter_app.store.types import UTCDateTime

revision = "0004"
down_revision = "0003"

_MONEY = ("fee_fen", "tendered_fen", "change_fen")
_REFUNDS_INDEXED = ("application_id", "receipt_number")


def upgrade() -> None:
    add_columns(
        "applications",
        sa.Column("supervisor", sa.String(length=64), nullable=True),
        sa.Column("snapshot", sa.Text(), nullable=True),
    )
    add_columns(
        "journal",
        sa.Column("owner", sa.String(length=128), nullable=True),
        sa.Column("lease_until", UTCDateTime(), nullable=True),
    )
    # The domain allows amounts of twelve digits of yuan: fen need 64 bits.
    with op.batch_alter_table("payments", schema=None) as batch_op:
        for column in _MONEY:
            batch_op.alter_column(
                column, existing_type=sa.Integer(), type_=sa.BigInteger(), existing_nullable=False
            )
    create_table(
        "refunds",
        *key(),
        *columns(sa.String(length=32), "refund_number", "receipt_number", "application_id"),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False),
        sa.Column("method", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("clerk", sa.String(length=64), nullable=False),
        sa.Column("time", UTCDateTime(), nullable=False),
        of_application(),
        sa.ForeignKeyConstraint(["receipt_number"], ["payments.receipt_number"]),
        sa.UniqueConstraint("refund_number"),
        indexed=_REFUNDS_INDEXED,
    )


def downgrade() -> None:
    drop_table("refunds", indexed=_REFUNDS_INDEXED)
    with op.batch_alter_table("payments", schema=None) as batch_op:
        for column in _MONEY:
            batch_op.alter_column(
                column, existing_type=sa.BigInteger(), type_=sa.Integer(), existing_nullable=False
            )
    drop_columns("journal", "lease_until", "owner")
    drop_columns("applications", "snapshot", "supervisor")
