"""Signing module: certificates, the newest CRL and the CRL number."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from counter_app.store.types import UTCDateTime

revision = "0002"
down_revision = "0001"


def upgrade() -> None:
    op.create_table(
        "ca_certificates",
        sa.Column("serial_hex", sa.String(40), primary_key=True),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("profile", sa.String(32), nullable=False),
        sa.Column("application_id", sa.String(64), nullable=True),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("not_before", UTCDateTime(), nullable=False),
        sa.Column("not_after", UTCDateTime(), nullable=False),
        sa.Column("tbs_der", sa.LargeBinary(), nullable=False),
        sa.Column("der", sa.LargeBinary(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("revoked_at", UTCDateTime(), nullable=True),
        sa.Column("revoked_epoch", sa.BigInteger(), nullable=True),
        sa.Column("reason", sa.String(32), nullable=True),
        sa.CheckConstraint(
            "status IN ('pending','good','hold','revoked')", name="ck_ca_certificate_status"
        ),
    )
    op.create_index("ix_ca_certificates_status", "ca_certificates", ["status"])
    op.create_index("ix_ca_certificates_application_id", "ca_certificates", ["application_id"])
    op.create_table(
        "ca_crls",
        sa.Column("number", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("this_update", UTCDateTime(), nullable=False),
        sa.Column("next_update", UTCDateTime(), nullable=False),
        sa.Column("der", sa.LargeBinary(), nullable=False),
    )
    op.create_table(
        "ca_state",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("crl_number", sa.Integer(), nullable=False),
    )
    op.execute("INSERT INTO ca_state (id, crl_number) VALUES (1, 0)")


def downgrade() -> None:
    op.drop_table("ca_state")
    op.drop_table("ca_crls")
    op.drop_index("ix_ca_certificates_application_id", "ca_certificates")
    op.drop_index("ix_ca_certificates_status", "ca_certificates")
    op.drop_table("ca_certificates")
