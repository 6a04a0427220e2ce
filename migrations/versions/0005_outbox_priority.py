"""outbox priority lane: pages are claimed before reminders and system texts

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 19:40:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0005"
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    # A server default fills existing rows (no table rewrite on PostgreSQL 11+), then pages and
    # system texts get their lanes and the default goes: the application always sets it.
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('priority', sa.SmallInteger(), server_default='2', nullable=False))
    op.execute("UPDATE messages SET priority = 0 WHERE purpose = 'escalation'")
    op.execute("UPDATE messages SET priority = 1 WHERE purpose = 'system'")
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.alter_column('priority', existing_type=sa.SmallInteger(), server_default=None)
        batch_op.drop_index('ix_messages_due')
        batch_op.create_index('ix_messages_claim', ['status', 'priority', 'next_attempt_at', 'id'], unique=False)


def downgrade():
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.drop_index('ix_messages_claim')
        batch_op.create_index('ix_messages_due', ['status', 'next_attempt_at'], unique=False)
        batch_op.drop_column('priority')
