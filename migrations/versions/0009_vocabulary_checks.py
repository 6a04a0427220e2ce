"""vocabulary checks: CHECK constraints on every status, urgency, purpose and page kind

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 22:10:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

MESSAGE_STATUSES = ("queued", "sending", "sent", "delivered", "undelivered", "failed", "dead",
                    "expired", "opted_out")
CHECKS = {
    "messages": {"status": MESSAGE_STATUSES, "purpose": ("escalation", "system", "reminder")},
    "alerts": {
        "status": ("open", "acknowledged", "resolved"),
        "urgency": ("routine", "urgent", "emergency"),
    },
    "alert_pages": {"kind": ("page", "notice")},
    "symptom_reports": {"urgency": ("none", "routine", "urgent", "emergency")},
    "reminders": {"status": ("planned", "released", "cancelled", "expired")},
}


def _sql(column, values):
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def upgrade():
    for table, columns in CHECKS.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            for column, values in columns.items():
                batch_op.create_check_constraint(column, _sql(column, values))


def downgrade():
    for table, columns in CHECKS.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            for column in columns:
                batch_op.drop_constraint(op.f(f"ck_{table}_{column}"), type_="check")
