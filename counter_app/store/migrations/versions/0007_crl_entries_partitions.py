"""CRL entries kept encoded (behind a covering partial index) and partitioned CRLs.

Each revoked certificate's CRL entry is kept beside it; each certificate may name a partition
CRL (/crl/N); ca_crls keeps the newest CRL of each scope (complete, and each partition).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from counter_app.ca.crl import encode_entry

revision = "0007"
down_revision = "0006"

BATCH = 10_000


def upgrade() -> None:
    with op.batch_alter_table("ca_certificates", schema=None) as batch_op:
        batch_op.add_column(sa.Column("crl_entry", sa.LargeBinary(), nullable=True))
        batch_op.add_column(sa.Column("crl_partition", sa.Integer(), nullable=True))
    with op.batch_alter_table("ca_crls", schema=None) as batch_op:
        batch_op.add_column(sa.Column("partition", sa.Integer(), nullable=True))
        batch_op.create_index("ix_ca_crls_partition", ["partition"])
    # The certificates already on hold or revoked get their entry now. Their row digests name
    # the columns they cover (not this one), so audit verify still matches them.
    conn = op.get_bind()
    rows = conn.execute(
        sa.text(
            "SELECT serial_hex, revoked_epoch, reason FROM ca_certificates"
            " WHERE status IN ('hold', 'revoked')"
        )
    ).all()
    update = sa.text("UPDATE ca_certificates SET crl_entry = :entry WHERE serial_hex = :serial")
    for start in range(0, len(rows), BATCH):
        conn.execute(
            update,
            [
                {"serial": serial, "entry": encode_entry(serial, epoch or 0, reason)}
                for serial, epoch, reason in rows[start : start + BATCH]
            ],
        )
    op.create_index(
        "ix_ca_certificates_crl_entry",
        "ca_certificates",
        ["crl_partition", "crl_entry"],
        sqlite_where=sa.text("crl_entry IS NOT NULL"),
        postgresql_where=sa.text("crl_entry IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_ca_certificates_crl_entry", table_name="ca_certificates")
    with op.batch_alter_table("ca_crls", schema=None) as batch_op:
        batch_op.drop_index("ix_ca_crls_partition")
        batch_op.drop_column("partition")
    with op.batch_alter_table("ca_certificates", schema=None) as batch_op:
        batch_op.drop_column("crl_partition")
        batch_op.drop_column("crl_entry")
