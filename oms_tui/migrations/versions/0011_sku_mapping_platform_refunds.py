"""platform SKU mapping (商品对应) and bundles, the shops' pulled items, platform refunds

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-29

Tables skumapping (+ skumappingcomponent), platformitem, platformrefund, refundcursor; order lines
keep the platform's item and SKU ids and the units the platform sold (rows already there get empty
ids and 0, which the code reads as "as many as the line").
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('platformitem',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('shop', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('platform', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('platform_item_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('platform_sku_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('outer_item_code', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('outer_sku_code', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('title', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
    sa.Column('spec', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('pulled_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('shop', 'platform_item_id', 'platform_sku_id', name='uq_platformitem_shop_item_sku')
    )
    with op.batch_alter_table('platformitem', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_platformitem_shop'), ['shop'], unique=False)

    op.create_table('refundcursor',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('shop', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('platform', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('cursor_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('last_started_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('last_finished_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('last_status', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('last_seen', sa.Integer(), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=False),
    sa.Column('runs', sa.Integer(), nullable=False),
    sa.Column('errors', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('refundcursor', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_refundcursor_shop'), ['shop'], unique=True)

    op.create_table('skumapping',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('shop', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('platform', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('platform_item_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('platform_sku_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('title', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
    sa.Column('outer_code', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('created_by', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('updated_by', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('shop', 'platform_item_id', 'platform_sku_id', name='uq_skumapping_shop_item_sku')
    )
    with op.batch_alter_table('skumapping', schema=None) as batch_op:
        batch_op.create_index('ix_skumapping_shop_sku', ['shop', 'platform_sku_id'], unique=False)

    op.create_table('skumappingcomponent',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('mapping_id', sa.Integer(), nullable=False),
    sa.Column('sku_id', sa.Integer(), nullable=False),
    sa.Column('qty', sa.Integer(), nullable=False),
    sa.CheckConstraint('qty >= 1 AND qty <= 1000000000', name='ck_skumappingcomponent_qty'),
    sa.ForeignKeyConstraint(['mapping_id'], ['skumapping.id'], ),
    sa.ForeignKeyConstraint(['sku_id'], ['sku.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('mapping_id', 'sku_id', name='uq_skumappingcomponent_mapping_sku')
    )
    with op.batch_alter_table('skumappingcomponent', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_skumappingcomponent_mapping_id'), ['mapping_id'], unique=False)

    op.create_table('platformrefund',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('platform', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('shop', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('refund_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('platform_order_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('platform_line_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=True),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('state', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('amount_fen', sa.BigInteger(), nullable=False),
    sa.Column('modified_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('first_seen_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('return_id', sa.Integer(), nullable=True),
    sa.CheckConstraint('amount_fen >= 0 AND amount_fen <= 1000000000', name='ck_platformrefund_amount_fen'),
    sa.ForeignKeyConstraint(['order_id'], ['order.id'], ),
    sa.ForeignKeyConstraint(['return_id'], ['returnrecord.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('platform', 'refund_id', name='uq_platformrefund_platform_refund')
    )
    with op.batch_alter_table('platformrefund', schema=None) as batch_op:
        batch_op.create_index('ix_platformrefund_order', ['platform', 'platform_order_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_platformrefund_order_id'), ['order_id'], unique=False)

    with op.batch_alter_table('orderline', schema=None) as batch_op:
        batch_op.add_column(sa.Column('platform_item_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False,
                                      server_default=''))
        batch_op.add_column(sa.Column('platform_sku_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False,
                                      server_default=''))
        batch_op.add_column(sa.Column('platform_qty', sa.Integer(), nullable=False, server_default='0'))



def downgrade() -> None:
    with op.batch_alter_table('orderline', schema=None) as batch_op:
        batch_op.drop_column('platform_qty')
        batch_op.drop_column('platform_sku_id')
        batch_op.drop_column('platform_item_id')

    with op.batch_alter_table('platformrefund', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_platformrefund_order_id'))
        batch_op.drop_index('ix_platformrefund_order')

    op.drop_table('platformrefund')
    with op.batch_alter_table('skumappingcomponent', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_skumappingcomponent_mapping_id'))

    op.drop_table('skumappingcomponent')
    with op.batch_alter_table('skumapping', schema=None) as batch_op:
        batch_op.drop_index('ix_skumapping_shop_sku')

    op.drop_table('skumapping')
    with op.batch_alter_table('refundcursor', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_refundcursor_shop'))

    op.drop_table('refundcursor')
    with op.batch_alter_table('platformitem', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_platformitem_shop'))

    op.drop_table('platformitem')
