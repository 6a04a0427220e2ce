"""FHIR Bulk Data export jobs

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 10:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

STATUSES = "'queued', 'running', 'complete', 'failed', 'cancelled', 'expired'"


def upgrade():
    op.create_table(
        "fhir_exports",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("clinic_id", sa.Integer(), nullable=False),
        sa.Column("requested_by_id", sa.Integer(), nullable=False),
        sa.Column("request_url", sa.String(length=2000), nullable=False),
        sa.Column("base_url", sa.String(length=200), nullable=False),
        sa.Column("types", sa.JSON(), nullable=False),
        sa.Column("since", sa.DateTime(timezone=True), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("progress", sa.String(length=64), nullable=True),
        sa.Column("output", sa.JSON(), nullable=True),
        sa.Column("error", sa.String(length=200), nullable=True),
        sa.Column("attempts", sa.SmallInteger(), nullable=False),
        sa.Column("leased_by", sa.String(length=64), nullable=True),
        sa.Column("lease_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("transaction_time", sa.DateTime(timezone=True), nullable=True),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(f"status IN ({STATUSES})", name=op.f("ck_fhir_exports_status")),
        sa.ForeignKeyConstraint(
            ["clinic_id"], ["clinics.id"], name=op.f("fk_fhir_exports_clinic_id_clinics")
        ),
        sa.ForeignKeyConstraint(
            ["requested_by_id"], ["staff.id"], name=op.f("fk_fhir_exports_requested_by_id_staff")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fhir_exports")),
    )
    with op.batch_alter_table("fhir_exports", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_fhir_exports_clinic_id"), ["clinic_id"], unique=False)
        batch_op.create_index("ix_fhir_exports_status", ["status", "created_at"], unique=False)


def downgrade():
    with op.batch_alter_table("fhir_exports", schema=None) as batch_op:
        batch_op.drop_index("ix_fhir_exports_status")
        batch_op.drop_index(batch_op.f("ix_fhir_exports_clinic_id"))
    op.drop_table("fhir_exports")
