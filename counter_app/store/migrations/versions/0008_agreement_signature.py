"""The subscriber's signature from the signature pad beside the agreement record (双屏).

Two nullable columns: the PNG drawn and its SHA-256. Rows before this keep NULL (signed on
paper); their row digests name the columns they cover, so audit verify still matches them.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"


def upgrade() -> None:
    with op.batch_alter_table("agreement_records", schema=None) as batch_op:
        batch_op.add_column(sa.Column("signature_png", sa.LargeBinary(), nullable=True))
        batch_op.add_column(sa.Column("signature_sha256", sa.String(64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("agreement_records", schema=None) as batch_op:
        batch_op.drop_column("signature_sha256")
        batch_op.drop_column("signature_png")
