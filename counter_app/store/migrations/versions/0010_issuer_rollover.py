"""Issuing-CA rollover: each certificate and each stored CRL names its issuing CA.

``ca rollover`` makes a new issuing CA (2, 3, ...) for new certificates while the old one keeps
answering status for its own until they expire: each issuer has its own CRL, listing only the
certificates it signed. Every existing row belongs to the first issuing CA (1). Row digests
name the columns they cover (not this one), so audit verify still matches the existing rows.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"

_ENTRY_WHERE = sa.text("crl_entry IS NOT NULL")


def upgrade() -> None:
    for table in ("ca_certificates", "ca_crls"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(
                sa.Column("issuer", sa.Integer(), server_default=sa.text("1"), nullable=False)
            )
    # The covering index of the kept CRL entries, now per issuer (a CRL reads one issuer's).
    op.drop_index("ix_ca_certificates_crl_entry", table_name="ca_certificates")
    _entry_index(["issuer", "crl_partition", "crl_entry"])
    op.create_index("ix_ca_certificates_issuer_status", "ca_certificates", ["issuer", "status"])


def downgrade() -> None:
    op.drop_index("ix_ca_certificates_issuer_status", table_name="ca_certificates")
    op.drop_index("ix_ca_certificates_crl_entry", table_name="ca_certificates")
    _entry_index(["crl_partition", "crl_entry"])
    for table in ("ca_crls", "ca_certificates"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("issuer")


def _entry_index(columns: list[str]) -> None:
    op.create_index(
        "ix_ca_certificates_crl_entry",
        "ca_certificates",
        columns,
        sqlite_where=_ENTRY_WHERE,
        postgresql_where=_ENTRY_WHERE,
    )
