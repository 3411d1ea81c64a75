"""Supervisor's desk: the counter on applications, payments and refunds; day closes, the token
stock and expiry notices.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from counter_app.store.types import UTCDateTime

revision = "0006"
down_revision = "0005"

_COUNTED = ("applications", "payments", "refunds")


def upgrade() -> None:
    for name in _COUNTED:
        with op.batch_alter_table(name, schema=None) as batch_op:
            batch_op.add_column(sa.Column("counter", sa.String(length=32), nullable=True))
            batch_op.create_index(batch_op.f(f"ix_{name}_counter"), ["counter"], unique=False)
    op.create_table(
        "day_closes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("day", sa.String(length=10), nullable=False),
        sa.Column("counter", sa.String(length=32), nullable=False),
        sa.Column("action", sa.String(length=8), nullable=False),
        sa.Column("expected_cash_fen", sa.BigInteger(), nullable=True),
        sa.Column("counted_cash_fen", sa.BigInteger(), nullable=True),
        sa.Column("difference_fen", sa.BigInteger(), nullable=True),
        sa.Column("figures", sa.Text(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("supervisor", sa.String(length=64), nullable=False),
        sa.Column("time", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("day_closes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_day_closes_day"), ["day"], unique=False)
        batch_op.create_index(batch_op.f("ix_day_closes_counter"), ["counter"], unique=False)
    op.create_table(
        "token_stock",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("serial", sa.String(length=64), nullable=False),
        sa.Column("batch", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("application_id", sa.String(length=32), nullable=True),
        sa.Column("received_by", sa.String(length=64), nullable=False),
        sa.Column("received_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("serial"),
    )
    with op.batch_alter_table("token_stock", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_token_stock_batch"), ["batch"], unique=False)
        batch_op.create_index(batch_op.f("ix_token_stock_status"), ["status"], unique=False)
    op.create_table(
        "expiry_notices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("serial", sa.String(length=64), nullable=False),
        sa.Column("window_days", sa.Integer(), nullable=False),
        sa.Column("recipient", sa.String(length=254), nullable=False),
        sa.Column("subscriber_id", sa.Integer(), nullable=True),
        sa.Column("message_id", sa.String(length=128), nullable=False),
        sa.Column("operator", sa.String(length=64), nullable=False),
        sa.Column("sent_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("serial", "window_days", name="uq_expiry_notice_window"),
    )
    with op.batch_alter_table("expiry_notices", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_expiry_notices_serial"), ["serial"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("expiry_notices", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_expiry_notices_serial"))
    op.drop_table("expiry_notices")
    with op.batch_alter_table("token_stock", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_token_stock_status"))
        batch_op.drop_index(batch_op.f("ix_token_stock_batch"))
    op.drop_table("token_stock")
    with op.batch_alter_table("day_closes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_day_closes_counter"))
        batch_op.drop_index(batch_op.f("ix_day_closes_day"))
    op.drop_table("day_closes")
    for name in reversed(_COUNTED):
        with op.batch_alter_table(name, schema=None) as batch_op:
            batch_op.drop_index(batch_op.f(f"ix_{name}_counter"))
            batch_op.drop_column("counter")
