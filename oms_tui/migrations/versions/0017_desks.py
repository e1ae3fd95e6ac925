"""desks: SSH public keys mapped to users; PostgreSQL tells listening desks what changed

Revision ID: 0017
Revises: 0016
Create Date: 2026-11-29

Table userkey. On PostgreSQL, a statement-level trigger on the tables the screens show (orders and
their lines, stock levels, holds, print jobs, users, the audit trail) calls pg_notify('oms_changes',
table) inside the changing transaction, so the notice is delivered exactly when it commits and never
for a rolled-back change (oms_tui/services/core/changes.py listens). SQLite has no such thing: its
desks keep polling.
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None

CHANNEL = "oms_changes"  # the same name as oms_tui.services.core.changes.CHANNEL, fixed here for good
NOTIFYING_TABLES = ("order", "orderline", "stocklevel", "hold", "printjob", "user", "auditevent")


def upgrade() -> None:
    op.create_table('userkey',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('fingerprint', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('public_key', sa.Text(), nullable=False),
    sa.Column('comment', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('added_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('added_by', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('removed_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('userkey', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_userkey_fingerprint'), ['fingerprint'], unique=True)
        batch_op.create_index(batch_op.f('ix_userkey_user_id'), ['user_id'], unique=False)

    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"""
            CREATE OR REPLACE FUNCTION oms_notify_change() RETURNS trigger AS $$
            BEGIN
                PERFORM pg_notify('{CHANNEL}', TG_TABLE_NAME);
                RETURN NULL;
            END;
            $$ LANGUAGE plpgsql""")
        for table in NOTIFYING_TABLES:
            op.execute(f'CREATE TRIGGER oms_notify_change AFTER INSERT OR UPDATE OR DELETE ON "{table}" '
                       f'FOR EACH STATEMENT EXECUTE FUNCTION oms_notify_change()')


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in NOTIFYING_TABLES:
            op.execute(f'DROP TRIGGER IF EXISTS oms_notify_change ON "{table}"')
        op.execute("DROP FUNCTION IF EXISTS oms_notify_change()")
    with op.batch_alter_table('userkey', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_userkey_user_id'))
        batch_op.drop_index(batch_op.f('ix_userkey_fingerprint'))
    op.drop_table('userkey')
