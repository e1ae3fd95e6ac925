"""row counts kept for the screens' "page 1 of ~N"

Revision ID: 0021
Revises: 0020
Create Date: 2026-11-29

Tables ordertally (orders per shop-local day, platform and status), openholdtally (open holds per day
opened, kind and blocking) and tallymark (when each was counted and the highest row id it covers),
refreshed by the ``order-tally`` job (services/reports/tally.py): at a million orders the Orders screen's
total is a sum of a few thousand rows instead of a count(*) of hundreds of thousands.
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None

_S = sqlmodel.sql.sqltypes.AutoString
_T = sqlmodel.sql.sqltypes.UTCDateTime


def upgrade() -> None:
    op.create_table('tallymark',
    sa.Column('subject', _S(length=20), nullable=False),
    sa.Column('computed_at', _T(), nullable=False),
    sa.Column('last_id', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('subject')
    )
    op.create_table('ordertally',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('day', _S(length=10), nullable=False),
    sa.Column('platform', _S(length=20), nullable=False),
    sa.Column('status', _S(length=20), nullable=False),
    sa.Column('orders', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('day', 'platform', 'status', name='uq_ordertally_day_platform_status')
    )
    op.create_table('openholdtally',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('day', _S(length=10), nullable=False),
    sa.Column('kind', _S(length=32), nullable=False),
    sa.Column('blocking', sa.Boolean(), nullable=False),
    sa.Column('holds', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('day', 'kind', 'blocking', name='uq_openholdtally_day_kind_blocking')
    )


def downgrade() -> None:
    op.drop_table('openholdtally')
    op.drop_table('ordertally')
    op.drop_table('tallymark')
