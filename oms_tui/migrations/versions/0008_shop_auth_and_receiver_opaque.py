"""shop authorization tokens; the receiver data a platform withholds

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30

``shopauth``: each shop's access and refresh token from `oms shop authorize`, refreshed by the scheduler
(tokens live in the database, never in the config file). ``order.receiver_opaque``: the platform's receiver
ciphertexts / opaque receiver id, kept for a waybill request only.
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('shopauth',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('shop', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('platform', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('access_token', sa.Text(), nullable=False),
    sa.Column('refresh_token', sa.Text(), nullable=False),
    sa.Column('expires_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('refresh_expires_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('platform_user', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('authorized_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('authorized_by', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('refreshed_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('refresh_error', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('refresh_failed_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('refused_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('alerted_for', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('shopauth', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_shopauth_shop'), ['shop'], unique=True)
    with op.batch_alter_table('order', schema=None) as batch_op:
        batch_op.add_column(sa.Column('receiver_opaque', sa.Text(), nullable=False, server_default=''))


def downgrade() -> None:
    with op.batch_alter_table('order', schema=None) as batch_op:
        batch_op.drop_column('receiver_opaque')
    with op.batch_alter_table('shopauth', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_shopauth_shop'))
    op.drop_table('shopauth')
