"""Several audit chains: one per counter and one for the signing module (docs/audit.md).

The events already written become the chain ``main`` (the default counter's name), hashed as
before, so an existing store still verifies; its head row becomes ``main``'s. Each event now
names its chain and is numbered within it; ``audit_row_versions`` orders a row's records across
chains (store/state.py).

Downgrading is possible while every event is still in ``main``: the old schema holds one chain
only, and events of other chains cannot be renumbered into it without breaking their hashes.
"""

from __future__ import annotations

import warnings

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"

LEGACY_CHAIN = "main"  # counter_app.store.audit.LEGACY_CHAIN, fixed here as this revision saw it


def _head_values() -> list[tuple[str, int, str]]:
    rows = op.get_bind().execute(sa.text("SELECT seq, hash FROM audit_head")).all()
    return [(LEGACY_CHAIN, int(seq), str(digest)) for seq, digest in rows[:1]]


def upgrade() -> None:
    with op.batch_alter_table("audit_events", recreate="always") as batch_op:
        batch_op.add_column(
            sa.Column("chain", sa.String(64), nullable=False, server_default=LEGACY_CHAIN)
        )
    with (
        warnings.catch_warnings(),
        op.batch_alter_table("audit_events", recreate="always") as batch_op,
    ):
        # SQLite's copy of the table is made with the new key, as intended ("not matching").
        warnings.filterwarnings("ignore", "Table '_alembic_tmp_audit_events' specifies")
        batch_op.alter_column("chain", server_default=None)
        batch_op.create_primary_key("pk_audit_events", ["chain", "seq"])
    heads = _head_values()
    op.drop_table("audit_head")
    head = op.create_table(
        "audit_head",
        sa.Column("chain", sa.String(64), primary_key=True),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
    )
    op.bulk_insert(head, [{"chain": c, "seq": s, "hash": h} for c, s, h in heads])
    op.create_table(
        "audit_row_versions",
        sa.Column("table_name", sa.String(64), primary_key=True),
        sa.Column("row_key", sa.String(255), primary_key=True),
        sa.Column("version", sa.Integer(), nullable=False),
    )


def downgrade() -> None:
    conn = op.get_bind()
    others = conn.execute(
        sa.text("SELECT count(*) FROM audit_events WHERE chain <> :main"), {"main": LEGACY_CHAIN}
    ).scalar()
    if others:
        raise RuntimeError(
            f"{others} audit events are in chains other than {LEGACY_CHAIN!r}: the schema before "
            "0009 holds one chain only, so this store cannot be downgraded"
        )
    row = conn.execute(
        sa.text("SELECT seq, hash FROM audit_head WHERE chain = :main"), {"main": LEGACY_CHAIN}
    ).first()
    seq, digest = (int(row[0]), str(row[1])) if row else (0, "0" * 64)
    op.drop_table("audit_row_versions")
    op.drop_table("audit_head")
    head = op.create_table(
        "audit_head",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
    )
    op.bulk_insert(head, [{"id": 1, "seq": seq, "hash": digest}])
    with op.batch_alter_table("audit_events", recreate="always") as batch_op:
        batch_op.drop_constraint("pk_audit_events", type_="primary")
        batch_op.drop_column("chain")
        batch_op.create_primary_key("audit_events_pkey", ["seq"])
