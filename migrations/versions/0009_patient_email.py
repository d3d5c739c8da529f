"""A patient's optional email address (the email consent is a new value in the ledger's kinds).

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30 07:50:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("patients", schema=None) as batch_op:
        batch_op.add_column(sa.Column("email", sa.String(length=254), nullable=True))


def downgrade() -> None:
    op.execute("DELETE FROM consents WHERE kind = 'email'")
    with op.batch_alter_table("patients", schema=None) as batch_op:
        batch_op.drop_column("email")
