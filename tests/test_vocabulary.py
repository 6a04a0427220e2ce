"""Statuses and urgencies are one vocabulary each (models/vocabulary.py): the database refuses
anything else, and the urgency rank is the same in Python and in SQL (issue 12)."""

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError

from models import Alert, db
from models.vocabulary import FINAL, UNDELIVERABLE, MessageStatus, Urgency
from tests.factories import make_alert, make_clinic, make_message, make_patient, make_staff


@pytest.mark.parametrize(
    "table, column",
    [
        ("messages", "status"),
        ("messages", "purpose"),
        ("alerts", "status"),
        ("alerts", "urgency"),
        ("alert_pages", "kind"),
        ("reminders", "status"),
        ("symptom_reports", "urgency"),
    ],
)
def test_the_database_refuses_a_word_outside_the_vocabulary(app, table, column):
    clinic = make_clinic()
    make_staff(clinic, phone="+12025550143", on_call=True)  # so the alert has a page
    alert = make_alert(make_patient(clinic))
    make_message(clinic, "a-key", "queued")
    if table == "reminders":
        db.session.execute(
            text(
                "INSERT INTO reminders (patient_id, clinic_id, rule_id, occurrence_key, kind,"
                " local_date, planned_at, due_at, status, created_at, updated_at) SELECT"
                " patient_id, clinic_id, 'R-ECG', 'k', 'reminder', '2026-01-01', created_at,"
                " created_at, 'planned', created_at, created_at FROM alerts"
            )
        )
    if table == "symptom_reports":
        db.session.execute(
            text(
                "INSERT INTO symptom_reports (patient_id, clinic_id, reported_at, urgency,"
                " matched_rules, advice, ruleset_version) SELECT patient_id, clinic_id,"
                " created_at, 'none', '[]', '[]', 'x' FROM alerts"
            )
        )
    db.session.commit()
    assert db.session.execute(text(f"SELECT count(*) FROM {table}")).scalar() >= 1
    assert alert.id
    with pytest.raises(IntegrityError):
        db.session.execute(text(f"UPDATE {table} SET {column} = 'resolvd'"))
        db.session.flush()
    db.session.rollback()


def test_the_urgency_rank_is_the_same_in_sql(app):
    clinic = make_clinic()
    patient = make_patient(clinic)
    for urgency in ("routine", "emergency", "urgent"):
        make_alert(patient, urgency=urgency, codes=(urgency,))
    ranked = db.session.execute(
        select(Alert.urgency, Urgency.sql_rank(Alert.urgency)).order_by(Alert.id)
    ).all()
    assert [(u, Urgency(u).rank) for u, _ in ranked] == [tuple(r) for r in ranked]
    assert Urgency.worst("routine", "emergency", "urgent") is Urgency.EMERGENCY


def test_the_groups_are_what_their_names_say():
    assert set(UNDELIVERABLE) < set(FINAL)
    assert MessageStatus.SENT in FINAL and MessageStatus.SENT not in UNDELIVERABLE
    assert MessageStatus.QUEUED not in FINAL
