"""cases: urgency epochs, notices to the case's holder, reviewed and last-report times;
reminders carry the end date of their window

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 20:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("epoch", sa.SmallInteger(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("last_report_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("notified_at", sa.DateTime(timezone=True), nullable=True))
    op.execute("UPDATE alerts SET last_report_at = created_at")
    with op.batch_alter_table("alert_pages", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("kind", sa.String(length=8), nullable=False, server_default="page")
        )
        batch_op.add_column(sa.Column("urgency", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("epoch", sa.SmallInteger(), nullable=False, server_default="0"))
    with op.batch_alter_table("reminders", schema=None) as batch_op:
        batch_op.add_column(sa.Column("ends_on", sa.Date(), nullable=True))


def downgrade():
    with op.batch_alter_table("reminders", schema=None) as batch_op:
        batch_op.drop_column("ends_on")
    with op.batch_alter_table("alert_pages", schema=None) as batch_op:
        batch_op.drop_column("epoch")
        batch_op.drop_column("urgency")
        batch_op.drop_column("kind")
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.drop_column("notified_at")
        batch_op.drop_column("reviewed_at")
        batch_op.drop_column("last_report_at")
        batch_op.drop_column("epoch")
