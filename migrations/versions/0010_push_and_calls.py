"""push and calls: devices, notifications, the outbox's channel

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 00:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "devices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("clinic_id", sa.Integer(), nullable=False),
        sa.Column("platform", sa.String(length=8), nullable=False),
        sa.Column("token", sa.String(length=512), nullable=False),
        sa.Column("app_version", sa.String(length=32), nullable=True),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("notifications_consent", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("platform IN ('android', 'ios')", name=op.f("ck_devices_platform")),
        sa.ForeignKeyConstraint(["clinic_id"], ["clinics.id"], name=op.f("fk_devices_clinic_id_clinics")),
        sa.ForeignKeyConstraint(["patient_id"], ["patients.id"], name=op.f("fk_devices_patient_id_patients")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_devices")),
        sa.UniqueConstraint("token", name=op.f("uq_devices_token")),
    )
    with op.batch_alter_table("devices", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_devices_patient_id"), ["patient_id"], unique=False)

    op.create_table(
        "notifications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("public_id", sa.String(length=32), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("clinic_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("ref", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("sms_fallback_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("sms_fallback_sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("kind IN ('reminder', 'case_seen')", name=op.f("ck_notifications_kind")),
        sa.ForeignKeyConstraint(["clinic_id"], ["clinics.id"], name=op.f("fk_notifications_clinic_id_clinics")),
        sa.ForeignKeyConstraint(["patient_id"], ["patients.id"], name=op.f("fk_notifications_patient_id_patients")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notifications")),
        sa.UniqueConstraint("public_id", name=op.f("uq_notifications_public_id")),
    )
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_notifications_patient_id"), ["patient_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_notifications_sms_fallback_at"), ["sms_fallback_at"], unique=False)

    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("channel", sa.String(length=8), nullable=False, server_default="sms"))
        batch_op.add_column(sa.Column("device_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("notification_id", sa.Integer(), nullable=True))
        batch_op.alter_column("twilio_sid", existing_type=sa.String(length=34), type_=sa.String(length=128))
        batch_op.create_foreign_key(
            batch_op.f("fk_messages_device_id_devices"), "devices", ["device_id"], ["id"], ondelete="SET NULL"
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_messages_notification_id_notifications"), "notifications", ["notification_id"], ["id"]
        )
        batch_op.create_index(batch_op.f("ix_messages_notification_id"), ["notification_id"], unique=False)
        batch_op.create_check_constraint("channel", "channel IN ('sms', 'push', 'call')")
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.alter_column("channel", server_default=None)


def downgrade():
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_messages_channel"), type_="check")
        batch_op.drop_index(batch_op.f("ix_messages_notification_id"))
        batch_op.drop_constraint(batch_op.f("fk_messages_notification_id_notifications"), type_="foreignkey")
        batch_op.drop_constraint(batch_op.f("fk_messages_device_id_devices"), type_="foreignkey")
        batch_op.alter_column("twilio_sid", existing_type=sa.String(length=128), type_=sa.String(length=34))
        batch_op.drop_column("notification_id")
        batch_op.drop_column("device_id")
        batch_op.drop_column("channel")
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_notifications_sms_fallback_at"))
        batch_op.drop_index(batch_op.f("ix_notifications_patient_id"))
    op.drop_table("notifications")
    with op.batch_alter_table("devices", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_devices_patient_id"))
    op.drop_table("devices")
