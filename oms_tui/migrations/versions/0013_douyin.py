"""Douyin Shop: the platform's opaque address id on an order

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-29

``order.receiver_address_id``: Douyin's ``open_address_id`` (the same address, the same id), what orders to
one masked receiver are matched on; indexed with the platform (an id means nothing across platforms).
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('order', schema=None) as batch_op:
        batch_op.add_column(sa.Column('receiver_address_id', sqlmodel.sql.sqltypes.AutoString(length=200),
                                      nullable=False, server_default=''))
        batch_op.create_index('ix_order_receiver_address_id', ['platform', 'receiver_address_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('order', schema=None) as batch_op:
        batch_op.drop_index('ix_order_receiver_address_id')
        batch_op.drop_column('receiver_address_id')
