"""notification channels: an alert's per-channel messages point back at it

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01

An `alert` outbox row is routed into one `notify` row per channel (services/messaging/routing.py);
``outbox.alert_id`` links each back to its alert, unique per (alert, channel) so a channel gets an
alert exactly once, and an index on (channel, subject) finds the same subject sent recently.
"""
from alembic import op
import sqlalchemy as sa

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.add_column(sa.Column('alert_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key('fk_outbox_alert_id_outbox', 'outbox', ['alert_id'], ['id'])
        batch_op.create_index(batch_op.f('ix_outbox_alert_id'), ['alert_id'], unique=False)
        batch_op.create_index('ix_outbox_channel_subject', ['channel', 'subject'], unique=False)
        batch_op.create_unique_constraint('uq_outbox_alert_channel', ['alert_id', 'channel'])


def downgrade() -> None:
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_constraint('uq_outbox_alert_channel', type_='unique')
        batch_op.drop_index('ix_outbox_channel_subject')
        batch_op.drop_index(batch_op.f('ix_outbox_alert_id'))
        batch_op.drop_constraint('fk_outbox_alert_id_outbox', type_='foreignkey')
        batch_op.drop_column('alert_id')
