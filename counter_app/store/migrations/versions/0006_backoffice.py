"""Supervisor's desk: the counter on applications, payments and refunds; day closes, the token
stock and expiry notices.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from counter_app.store.migrations.common import (
    add_columns,
    columns,
    create_indexes,
    create_table,
    drop_table,
    key,
)
from counter_app.store.types import UTCDateTime

revision = "0006"
down_revision = "0005"

_COUNTED = ("applications", "payments", "refunds")
# A close's till: the cash expected, the cash counted and their difference (fen).
_TILL = ("expected_cash_fen", "counted_cash_fen", "difference_fen")
# The tables this revision makes, in order, with their indexed columns.
_INDEXED = {
    "day_closes": ("day", "counter"),
    "token_stock": ("batch", "status"),
    "expiry_notices": ("serial",),
}


def upgrade() -> None:
    for name in _COUNTED:
        add_columns(name, sa.Column("counter", sa.String(length=32), nullable=True))
        create_indexes(name, "counter")
    create_table(
        "day_closes",
        *key(),
        sa.Column("day", sa.String(length=10), nullable=False),
        sa.Column("counter", sa.String(length=32), nullable=False),
        sa.Column("action", sa.String(length=8), nullable=False),
        *columns(sa.BigInteger(), *_TILL, nullable=True),
        *columns(sa.Text(), "figures", "note"),
        sa.Column("supervisor", sa.String(length=64), nullable=False),
        sa.Column("time", UTCDateTime(), nullable=False),
        indexed=_INDEXED["day_closes"],
    )
    create_table(
        "token_stock",
        *key(),
        *columns(sa.String(length=64), "serial", "batch"),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("application_id", sa.String(length=32), nullable=True),
        sa.Column("received_by", sa.String(length=64), nullable=False),
        *columns(UTCDateTime(), "received_at", "updated_at"),
        sa.UniqueConstraint("serial"),
        indexed=_INDEXED["token_stock"],
    )
    create_table(
        "expiry_notices",
        *key(),
        sa.Column("serial", sa.String(length=64), nullable=False),
        sa.Column("window_days", sa.Integer(), nullable=False),
        sa.Column("recipient", sa.String(length=254), nullable=False),
        sa.Column("subscriber_id", sa.Integer(), nullable=True),
        sa.Column("message_id", sa.String(length=128), nullable=False),
        sa.Column("operator", sa.String(length=64), nullable=False),
        sa.Column("sent_at", UTCDateTime(), nullable=False),
        sa.UniqueConstraint("serial", "window_days", name="uq_expiry_notice_window"),
        indexed=_INDEXED["expiry_notices"],
    )


def downgrade() -> None:
    for table in reversed(_INDEXED):
        drop_table(table, indexed=_INDEXED[table])
    for name in reversed(_COUNTED):
        with op.batch_alter_table(name, schema=None) as batch_op:
            batch_op.drop_index(batch_op.f(f"ix_{name}_counter"))
            batch_op.drop_column("counter")
