"""indexes for the screens' first pages and intake's duplicate check at a million orders

Revision ID: 0019
Revises: 0018
Create Date: 2026-11-29

order(status, created_at, id) and order(platform, created_at, id): the orders screen filtered, newest first;
order(receiver_name): the name search as a prefix range; hold(order_id, resolved_at): an order's open holds
(it replaces ix_hold_order_id, its first column);
a partial index of the open holds by (opened_at, id): the exceptions queue; customer(merged_into_id): the
duplicate check and customer merges. Statistics are refreshed after every upgrade (schema.upgrade_to_head).
"""
import sqlalchemy as sa
from alembic import op

revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None

INDEXES = (
    ('order', 'ix_order_status_created', ['status', 'created_at', 'id']),
    ('order', 'ix_order_platform_created', ['platform', 'created_at', 'id']),
    ('hold', 'ix_hold_order_resolved', ['order_id', 'resolved_at']),
    ('customer', 'ix_customer_merged_into_id', ['merged_into_id']),
)
OPEN_HOLDS = sa.text('resolved_at IS NULL')


def upgrade() -> None:
    op.drop_index('ix_hold_order_id', table_name='hold')  # the first column of ix_hold_order_resolved
    for table, name, columns in INDEXES:
        op.create_index(name, table, columns, unique=False)
    # PostgreSQL reads a LIKE prefix from an index only in pattern order (the database may collate otherwise).
    op.create_index('ix_order_receiver_name', 'order', ['receiver_name'], unique=False,
                    postgresql_ops={'receiver_name': 'text_pattern_ops'})
    op.create_index('ix_hold_open_opened', 'hold', ['opened_at', 'id'], unique=False,
                    sqlite_where=OPEN_HOLDS, postgresql_where=OPEN_HOLDS)


def downgrade() -> None:
    op.drop_index('ix_hold_open_opened', table_name='hold')
    op.drop_index('ix_order_receiver_name', table_name='order')
    for table, name, _columns in reversed(INDEXES):
        op.drop_index(name, table_name=table)
    op.create_index('ix_hold_order_id', 'hold', ['order_id'], unique=False)
