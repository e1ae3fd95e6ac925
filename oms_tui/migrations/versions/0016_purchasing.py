"""purchasing (purchase orders, stock counts, supplier e-mail, safety stock) and settlement imports

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-29

Tables purchaseorder (+ purchaseorderline), stockcount (+ stockcountline), settlementimport
(+ settlementline); supplier.email (the weekly order mail) and sku.safety_stock (purchase suggestions),
both empty / 0 on rows already there.
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op


revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None

_S = sqlmodel.sql.sqltypes.AutoString
_T = sqlmodel.sql.sqltypes.UTCDateTime


def upgrade() -> None:
    with op.batch_alter_table('supplier', schema=None) as batch_op:
        batch_op.add_column(sa.Column('email', _S(length=200), nullable=False, server_default=''))
    with op.batch_alter_table('sku', schema=None) as batch_op:
        batch_op.add_column(sa.Column('safety_stock', sa.Integer(), nullable=False, server_default='0'))

    op.create_table('purchaseorder',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', _S(length=32), nullable=False),
    sa.Column('supplier_id', sa.Integer(), nullable=False),
    sa.Column('warehouse_id', sa.Integer(), nullable=False),
    sa.Column('status', _S(length=16), nullable=False),
    sa.Column('note', _S(length=300), nullable=False),
    sa.Column('created_at', _T(), nullable=False),
    sa.Column('created_by', _S(length=64), nullable=False),
    sa.Column('received_at', _T(), nullable=True),
    sa.ForeignKeyConstraint(['supplier_id'], ['supplier.id'], ),
    sa.ForeignKeyConstraint(['warehouse_id'], ['warehouse.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('purchaseorder', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_purchaseorder_code'), ['code'], unique=True)
        batch_op.create_index(batch_op.f('ix_purchaseorder_supplier_id'), ['supplier_id'], unique=False)

    op.create_table('purchaseorderline',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('po_id', sa.Integer(), nullable=False),
    sa.Column('sku_id', sa.Integer(), nullable=False),
    sa.Column('qty', sa.Integer(), nullable=False),
    sa.Column('received_qty', sa.Integer(), nullable=False),
    sa.Column('cost_fen', sa.BigInteger(), nullable=False),
    sa.CheckConstraint('qty >= 1 AND qty <= 1000000000', name='ck_purchaseorderline_qty'),
    sa.CheckConstraint('received_qty >= 0 AND received_qty <= qty', name='ck_purchaseorderline_received_qty'),
    sa.ForeignKeyConstraint(['po_id'], ['purchaseorder.id'], ),
    sa.ForeignKeyConstraint(['sku_id'], ['sku.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('po_id', 'sku_id', name='uq_purchaseorderline_po_sku')
    )
    with op.batch_alter_table('purchaseorderline', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_purchaseorderline_po_id'), ['po_id'], unique=False)

    op.create_table('stockcount',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('warehouse_id', sa.Integer(), nullable=False),
    sa.Column('note', _S(length=300), nullable=False),
    sa.Column('created_at', _T(), nullable=False),
    sa.Column('created_by', _S(length=64), nullable=False),
    sa.ForeignKeyConstraint(['warehouse_id'], ['warehouse.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('stockcountline',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('count_id', sa.Integer(), nullable=False),
    sa.Column('sku_id', sa.Integer(), nullable=False),
    sa.Column('expected', sa.Integer(), nullable=False),
    sa.Column('counted', sa.Integer(), nullable=False),
    sa.Column('delta', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['count_id'], ['stockcount.id'], ),
    sa.ForeignKeyConstraint(['sku_id'], ['sku.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('stockcountline', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_stockcountline_count_id'), ['count_id'], unique=False)

    op.create_table('settlementimport',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('platform', _S(length=16), nullable=False),
    sa.Column('month', _S(length=7), nullable=False),
    sa.Column('filename', _S(length=300), nullable=False),
    sa.Column('rows', sa.Integer(), nullable=False),
    sa.Column('imported_at', _T(), nullable=False),
    sa.Column('imported_by', _S(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('settlementimport', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_settlementimport_month'), ['month'], unique=False)

    op.create_table('settlementline',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('import_id', sa.Integer(), nullable=False),
    sa.Column('platform_order_id', _S(length=64), nullable=False),
    sa.Column('amount_fen', sa.BigInteger(), nullable=False),
    sa.Column('refund_fen', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['import_id'], ['settlementimport.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('import_id', 'platform_order_id', name='uq_settlementline_import_order')
    )
    with op.batch_alter_table('settlementline', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_settlementline_import_id'), ['import_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('settlementline', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_settlementline_import_id'))
    op.drop_table('settlementline')
    with op.batch_alter_table('settlementimport', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_settlementimport_month'))
    op.drop_table('settlementimport')
    with op.batch_alter_table('stockcountline', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_stockcountline_count_id'))
    op.drop_table('stockcountline')
    op.drop_table('stockcount')
    with op.batch_alter_table('purchaseorderline', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_purchaseorderline_po_id'))
    op.drop_table('purchaseorderline')
    with op.batch_alter_table('purchaseorder', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_purchaseorder_supplier_id'))
        batch_op.drop_index(batch_op.f('ix_purchaseorder_code'))
    op.drop_table('purchaseorder')
    with op.batch_alter_table('sku', schema=None) as batch_op:
        batch_op.drop_column('safety_stock')
    with op.batch_alter_table('supplier', schema=None) as batch_op:
        batch_op.drop_column('email')
