"""Service pipeline: frozen snapshots, supervisors, refunds, journal leases, 64-bit money."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from counter_app.store.types import UTCDateTime

revision = "0004"
down_revision = "0003"

_MONEY = ("fee_fen", "tendered_fen", "change_fen")


def upgrade() -> None:
    with op.batch_alter_table("applications", schema=None) as batch_op:
        batch_op.add_column(sa.Column("supervisor", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("snapshot", sa.Text(), nullable=True))
    with op.batch_alter_table("journal", schema=None) as batch_op:
        batch_op.add_column(sa.Column("owner", sa.String(length=128), nullable=True))
        batch_op.add_column(sa.Column("lease_until", UTCDateTime(), nullable=True))
    # The domain allows amounts of twelve digits of yuan: fen need 64 bits.
    with op.batch_alter_table("payments", schema=None) as batch_op:
        for column in _MONEY:
            batch_op.alter_column(
                column, existing_type=sa.Integer(), type_=sa.BigInteger(), existing_nullable=False
            )
    op.create_table(
        "refunds",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("refund_number", sa.String(length=32), nullable=False),
        sa.Column("receipt_number", sa.String(length=32), nullable=False),
        sa.Column("application_id", sa.String(length=32), nullable=False),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False),
        sa.Column("method", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("clerk", sa.String(length=64), nullable=False),
        sa.Column("time", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["application_id"], ["applications.id"]),
        sa.ForeignKeyConstraint(["receipt_number"], ["payments.receipt_number"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("refund_number"),
    )
    with op.batch_alter_table("refunds", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_refunds_application_id"), ["application_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_refunds_receipt_number"), ["receipt_number"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("refunds", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_refunds_receipt_number"))
        batch_op.drop_index(batch_op.f("ix_refunds_application_id"))
    op.drop_table("refunds")
    with op.batch_alter_table("payments", schema=None) as batch_op:
        for column in _MONEY:
            batch_op.alter_column(
                column, existing_type=sa.BigInteger(), type_=sa.Integer(), existing_nullable=False
            )
    with op.batch_alter_table("journal", schema=None) as batch_op:
        batch_op.drop_column("lease_until")
        batch_op.drop_column("owner")
    with op.batch_alter_table("applications", schema=None) as batch_op:
        batch_op.drop_column("snapshot")
        batch_op.drop_column("supervisor")
