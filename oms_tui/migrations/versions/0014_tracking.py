"""e-waybill requests (Kuaidi100), shipments being tracked and their timeline events

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-29

Tables waybillrequest (one per parcel), shipment (one per shipped parcel), trackingevent.
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op


revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('waybillrequest',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('parcel_id', sa.Integer(), nullable=False),
    sa.Column('client_order_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('courier', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('waybill', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('courier_order_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('label', sa.Text(), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('last_error', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('requested_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('requested_by', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('issued_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('cancelled_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['parcel_id'], ['parcel.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('client_order_id'),
    sa.UniqueConstraint('parcel_id')
    )
    with op.batch_alter_table('waybillrequest', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_waybillrequest_waybill'), ['waybill'], unique=False)

    op.create_table('shipment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('parcel_id', sa.Integer(), nullable=False),
    sa.Column('courier', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('waybill', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('phone_tail', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
    sa.Column('state', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('shipped_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('last_event_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('last_checked_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('next_poll_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('finished', sa.Boolean(), nullable=False),
    sa.Column('subscribed_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('stalled_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('polls', sa.Integer(), nullable=False),
    sa.Column('errors', sa.Integer(), nullable=False),
    sa.Column('last_error', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.ForeignKeyConstraint(['parcel_id'], ['parcel.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('parcel_id')
    )
    with op.batch_alter_table('shipment', schema=None) as batch_op:
        batch_op.create_index('ix_shipment_poll', ['finished', 'next_poll_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_shipment_waybill'), ['waybill'], unique=False)

    op.create_table('trackingevent',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('shipment_id', sa.Integer(), nullable=False),
    sa.Column('at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('context', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('location', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('state', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('digest', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.ForeignKeyConstraint(['shipment_id'], ['shipment.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('shipment_id', 'digest', name='uq_trackingevent_shipment_digest')
    )
    with op.batch_alter_table('trackingevent', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_trackingevent_shipment_id'), ['shipment_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('trackingevent', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_trackingevent_shipment_id'))
    op.drop_table('trackingevent')
    with op.batch_alter_table('shipment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_shipment_waybill'))
        batch_op.drop_index('ix_shipment_poll')
    op.drop_table('shipment')
    with op.batch_alter_table('waybillrequest', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_waybillrequest_waybill'))
    op.drop_table('waybillrequest')
