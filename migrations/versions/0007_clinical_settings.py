"""clinical settings: one versioned table for every clinic-tunable clinical value, carrying over
the triage overrides (clinics.triage_settings) and the label rules' value overrides

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 21:00:00

"""
import json
from datetime import datetime, timezone

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

LABEL_RULES = ("R-CONTRA-F", "R-CONTRA-M", "R-LACT", "R-PREG", "R-LFT-HSCT", "R-WEIGHT",
               "R-IRR", "R-CBC", "R-ECG")
# Rule values that became values shared with triage.
RENAMED = {
    "R-WEIGHT.days_after_last_dose": "vod_days_after_last_dose",
    "R-WEIGHT.days_after_hsct": "vod_days_after_hsct",
    "R-IRR.missing_end_minutes": "infusion_missing_end_minutes",
}


def _json(value):
    return json.loads(value) if isinstance(value, str) else (value or {})


def _carried_over(conn) -> dict:
    """{clinic id: overrides} from the triage column and the newest label-rule settings."""
    found = {}
    for clinic_id, settings in conn.execute(sa.text("SELECT id, triage_settings FROM clinics")):
        if settings:
            found[clinic_id] = {k: v for k, v in _json(settings).items()}
    rows = conn.execute(
        sa.text("SELECT clinic_id, rule_id, params FROM schedule_rule_settings ORDER BY version")
    )
    for clinic_id, rule_id, params in rows:
        if rule_id not in LABEL_RULES:
            continue
        for name, value in _json(params).items():
            key = RENAMED.get(f"{rule_id}.{name}", f"{rule_id}.{name}")
            held = found.setdefault(clinic_id, {}).get(key)
            # Two old homes for one value: keep the wider window, the conservative choice.
            found[clinic_id][key] = value if held is None else max(held, value)
    return found


def upgrade():
    op.create_table(
        "clinical_settings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("clinic_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("overrides", sa.JSON(), nullable=False),
        sa.Column("changed", sa.JSON(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["clinic_id"], ["clinics.id"], name=op.f("fk_clinical_settings_clinic_id_clinics")),
        sa.ForeignKeyConstraint(["created_by_id"], ["staff.id"], name=op.f("fk_clinical_settings_created_by_id_staff")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_clinical_settings")),
        sa.UniqueConstraint("clinic_id", "version", name=op.f("uq_clinical_settings_clinic_id_version")),
    )
    conn = op.get_bind()
    table = sa.table(
        "clinical_settings",
        sa.column("clinic_id", sa.Integer),
        sa.column("version", sa.Integer),
        sa.column("overrides", sa.JSON),
        sa.column("changed", sa.JSON),
        sa.column("created_at", sa.DateTime(timezone=True)),
    )
    now = datetime.now(timezone.utc)
    rows = [
        {"clinic_id": c, "version": 1, "overrides": o, "changed": sorted(o), "created_at": now}
        for c, o in _carried_over(conn).items()
    ]
    if rows:
        op.bulk_insert(table, rows)
    label = ", ".join(f"'{r}'" for r in LABEL_RULES)
    conn.execute(sa.text(f"UPDATE schedule_rule_settings SET params = '{{}}' WHERE rule_id IN ({label})"))
    with op.batch_alter_table("clinics", schema=None) as batch_op:
        batch_op.drop_column("triage_settings")


def downgrade():
    with op.batch_alter_table("clinics", schema=None) as batch_op:
        batch_op.add_column(sa.Column("triage_settings", sa.JSON(), nullable=True))
    conn = op.get_bind()
    latest = conn.execute(
        sa.text(
            "SELECT s.clinic_id, s.overrides FROM clinical_settings s WHERE s.version = "
            "(SELECT MAX(version) FROM clinical_settings t WHERE t.clinic_id = s.clinic_id)"
        )
    )
    for clinic_id, overrides in latest.fetchall():
        triage = {k: v for k, v in _json(overrides).items() if "." not in k}
        conn.execute(
            sa.text("UPDATE clinics SET triage_settings = :s WHERE id = :id"),
            {"s": json.dumps(triage), "id": clinic_id},
        )
    op.drop_table("clinical_settings")
