"""the buyer portal: sign-in codes and sessions

Revision ID: 0018
Revises: 0017
Create Date: 2026-11-29

Tables portalcode (a texted sign-in code's keyed hash, its tries and expiry; the rate limits count these rows)
and portalsession (a signed-in buyer's cookie token hash and when it ends).
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op


revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None

_S = sqlmodel.sql.sqltypes.AutoString
_T = sqlmodel.sql.sqltypes.UTCDateTime


def upgrade() -> None:
    op.create_table('portalcode',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('phone', _S(length=20), nullable=False),
    sa.Column('ip', _S(length=64), nullable=False),
    sa.Column('code_hash', _S(length=64), nullable=False),
    sa.Column('created_at', _T(), nullable=False),
    sa.Column('expires_at', _T(), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('used_at', _T(), nullable=True),
    sa.Column('texted', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('portalcode', schema=None) as batch_op:
        batch_op.create_index('ix_portalcode_phone_created', ['phone', 'created_at'], unique=False)
        batch_op.create_index('ix_portalcode_ip_created', ['ip', 'created_at'], unique=False)

    op.create_table('portalsession',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token_hash', _S(length=64), nullable=False),
    sa.Column('phone', _S(length=20), nullable=False),
    sa.Column('ip', _S(length=64), nullable=False),
    sa.Column('created_at', _T(), nullable=False),
    sa.Column('expires_at', _T(), nullable=False),
    sa.Column('ended_at', _T(), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('token_hash')
    )


def downgrade() -> None:
    op.drop_table('portalsession')
    with op.batch_alter_table('portalcode', schema=None) as batch_op:
        batch_op.drop_index('ix_portalcode_ip_created')
        batch_op.drop_index('ix_portalcode_phone_created')
    op.drop_table('portalcode')
