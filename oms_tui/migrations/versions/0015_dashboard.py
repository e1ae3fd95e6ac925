"""the dashboard's daily rollup and the indexes its figures and the KPI report read

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-30

Table dashboardrollup (one figure of one shop-local day, refreshed by the dashboard_rollup job);
indexes on the times the figures count by: order created (with platform) and shipped, hold opened,
audit and scan times, returns and platform refunds first seen, approvals by status and decision.
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None

INDEXES = (
    ('order', 'ix_order_created_platform', ['created_at', 'platform']),
    ('order', 'ix_order_shipped', ['shipped_at']),
    ('hold', 'ix_hold_opened', ['opened_at']),
    ('auditevent', 'ix_audit_at', ['at']),
    ('scanevent', 'ix_scanevent_at', ['at']),
    ('returnrecord', 'ix_returnrecord_created', ['created_at']),
    ('platformrefund', 'ix_platformrefund_first_seen', ['first_seen_at']),
    ('approvalrequest', 'ix_approval_status_requested', ['status', 'requested_at']),
    ('approvalrequest', 'ix_approval_decided', ['decided_at']),
)


def upgrade() -> None:
    op.create_table('dashboardrollup',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('day', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('figure', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('key', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('value', sa.BigInteger(), nullable=False),
    sa.Column('computed_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('day', 'figure', 'key', name='uq_dashboardrollup_day_figure_key')
    )
    op.create_index('ix_dashboardrollup_figure_day', 'dashboardrollup', ['figure', 'day'], unique=False)
    for table, name, columns in INDEXES:
        op.create_index(name, table, columns, unique=False)


def downgrade() -> None:
    for table, name, _columns in reversed(INDEXES):
        op.drop_index(name, table_name=table)
    op.drop_index('ix_dashboardrollup_figure_day', table_name='dashboardrollup')
    op.drop_table('dashboardrollup')
