"""shop sync paused until a platform's rate-limit ban ends

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-29

Taobao answers code 7 with "This ban will last for N more seconds": the shop's sync pauses until
then (shopsync.paused_until) instead of failing every run meanwhile.
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('shopsync', schema=None) as batch_op:
        batch_op.add_column(sa.Column('paused_until', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('shopsync', schema=None) as batch_op:
        batch_op.drop_column('paused_until')
