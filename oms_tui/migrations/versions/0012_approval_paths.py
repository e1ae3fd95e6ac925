"""approval paths: the rule and steps a request follows, who it waits for, when it escalates; signatures

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-29

Requests already there keep an empty path, which the code reads as the default path (one CS lead), and
no due time (they do not escalate).
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('approvalrequest', schema=None) as batch_op:
        batch_op.add_column(sa.Column('rule', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False,
                                      server_default=''))
        batch_op.add_column(sa.Column('path', sa.Text(), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('waiting_for', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False,
                                      server_default=''))
        batch_op.add_column(sa.Column('due_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('escalations', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('escalate_minutes', sa.Integer(), nullable=False, server_default='120'))
        batch_op.create_index(batch_op.f('ix_approvalrequest_due_at'), ['due_at'], unique=False)

    op.create_table('approvaldecision',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('step', sa.Integer(), nullable=False),
    sa.Column('role', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('decided_by', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('approve', sa.Boolean(), nullable=False),
    sa.Column('comment', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('decided_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['request_id'], ['approvalrequest.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('approvaldecision', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_approvaldecision_request_id'), ['request_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('approvaldecision', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_approvaldecision_request_id'))
    op.drop_table('approvaldecision')
    with op.batch_alter_table('approvalrequest', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_approvalrequest_due_at'))
        for column in ('escalate_minutes', 'escalations', 'due_at', 'waiting_for', 'path', 'rule'):
            batch_op.drop_column(column)
