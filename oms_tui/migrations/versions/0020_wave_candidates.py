"""a partial index of the orders a wave can take

Revision ID: 0020
Revises: 0019
Create Date: 2026-11-29

order(id) where status = 'ready' and wave_id is null: the pick list's preview counts (up to its cap) the
ready orders no wave has taken yet, and wave creation reads them; at a million orders PostgreSQL otherwise
walks the primary key past nine orders in ten to find them.
"""
import sqlalchemy as sa
from alembic import op

revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None

WAVE_CANDIDATES = sa.text("status = 'ready' AND wave_id IS NULL")


def upgrade() -> None:
    op.create_index('ix_order_wave_candidates', 'order', ['id'], unique=False,
                    sqlite_where=WAVE_CANDIDATES, postgresql_where=WAVE_CANDIDATES)


def downgrade() -> None:
    op.drop_index('ix_order_wave_candidates', table_name='order')
