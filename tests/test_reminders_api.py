"""Reminders through the API: planning on every change, release with quiet hours, the app's view,
the admin rules, and a dose recorded -> SMS at the fake Twilio, with an injected clock."""

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from messages.outbox import OutboxPolicy
from models import Message, Reminder, db, utcnow
from schedules import release
from schedules.planning import add_months, local_to_utc
from tests.factories import auth, make_clinic, make_patient, make_staff
from tests.fake_twilio import FakeTwilio
from tests.sms import run_dispatch, twilio_config

STALE = timedelta(hours=24)
NEW_YORK = ZoneInfo("America/New_York")


def local_day(offset=0):
    """A day in the patient's zone relative to today (doses cannot be recorded ahead)."""
    return (utcnow().astimezone(NEW_YORK) + timedelta(days=offset)).date()


PATIENT_PHONE = "+12025550188"


@pytest.fixture
def fake():
    with FakeTwilio() as server:
        yield server
        assert server.errors == []


@pytest.fixture
def app_config(fake):
    return twilio_config(fake)


@pytest.fixture
def team(app):
    clinic = make_clinic(timezone="America/New_York")
    nurse, admin = make_staff(clinic), make_staff(clinic, role="admin")
    patient = make_patient(
        clinic,
        phone=PATIENT_PHONE,
        sms_consent=True,
        language="es",
        created_at=datetime(2026, 3, 1, 15, tzinfo=UTC),
    )
    return clinic, nurse, admin, patient


def record_dose(client, nurse, patient, day=None, cycle_day=1):
    day = day or local_day(-1)
    start = local_to_utc(day, time(10, 0), "America/New_York")
    body = {
        "administered_on": day.isoformat(),
        "infusion_started_at": start.isoformat(),
        "infusion_ended_at": (start + timedelta(hours=1)).isoformat(),
        "cycle": 1,
        "cycle_day": cycle_day,
    }
    response = client.post(f"/api/v1/patients/{patient.id}/doses", json=body, headers=auth(nurse))
    assert response.status_code == 201, response.json
    return response


def planned(patient, rule_id=None):
    stmt = select(Reminder).where(Reminder.patient_id == patient.id, Reminder.status == "planned")
    if rule_id:
        stmt = stmt.where(Reminder.rule_id == rule_id)
    return db.session.scalars(stmt.order_by(Reminder.due_at)).all()


def test_a_dose_plans_the_patients_reminders_and_a_new_dose_extends_them(client, team):
    _, nurse, _, patient = team
    record_dose(client, nurse, patient, local_day(-7))
    assert planned(patient, "R-CONTRA-F")[-1].local_date == add_months(local_day(-7), 8)
    assert planned(patient, "R-WEIGHT")[-1].local_date == local_day(-7) + timedelta(days=56)
    record_dose(client, nurse, patient, local_day(0), 8)  # a new dose extends the VOD watch
    db.session.expire_all()
    assert planned(patient, "R-WEIGHT")[-1].local_date == local_day(0) + timedelta(days=56)
    assert {r.rule_id for r in planned(patient)} >= {"R-CONTRA-F", "R-PREG", "R-WEIGHT", "R-CBC"}
    assert planned(patient, "R-ECG") == []  # only before the first dose


def test_a_corrected_hsct_date_moves_the_liver_test_series(client, team):
    _, nurse, _, patient = team
    record_dose(client, nurse, patient, local_day(-9))
    url = f"/api/v1/patients/{patient.id}/transplant"
    client.put(url, json={"hsct_date": local_day(-2).isoformat()}, headers=auth(nurse))
    first = [r.local_date for r in planned(patient, "R-LFT-HSCT")]
    assert first[0] == local_day(5)  # day +7
    client.put(url, json={"hsct_date": local_day(0).isoformat()}, headers=auth(nurse))
    db.session.expire_all()
    assert planned(patient, "R-LFT-HSCT")[0].local_date == local_day(7)
    cancelled = db.session.scalars(select(Reminder).where(Reminder.status == "cancelled")).all()
    assert len(cancelled) >= len(first)


def test_unenrolment_cancels_everything_pending(client, team):
    _, nurse, _, patient = team
    record_dose(client, nurse, patient)
    client.put(
        f"/api/v1/patients/{patient.id}/transplant",
        json={"hsct_date": "2027-01-10"},
        headers=auth(nurse),
    )
    assert planned(patient)
    client.delete(f"/api/v1/patients/{patient.id}", headers=auth(nurse))
    db.session.expire_all()
    assert planned(patient) == []


def release_at(now):
    stats = release.release_due(db.session, now=now, stale_after=STALE, policy=OutboxPolicy())
    db.session.commit()
    return stats


def test_recorded_dose_to_sms_at_the_fake_twilio(client, app, fake, team):
    _, nurse, _, patient = team
    record_dose(client, nurse, patient)
    weigh_in = planned(patient, "R-WEIGHT")[0]  # tomorrow 08:00 in New York
    assert weigh_in.due_at == local_to_utc(weigh_in.local_date, time(8, 0), "America/New_York")
    assert release_at(weigh_in.due_at - timedelta(seconds=1))["released"] == 0
    assert release_at(weigh_in.due_at)["released"] == 1
    run_dispatch(app, weigh_in.due_at)
    assert fake.bodies_to(PATIENT_PHONE) == [
        "Tiene un mensaje nuevo de su equipo de atención. Abra la aplicación para leerlo. "
        "Responda STOP para dejar de recibir textos."
    ]
    mine = client.get("/api/v1/me/reminders?when=past", headers=auth(patient)).json
    assert mine[0]["rule_id"] == "R-WEIGHT" and mine[0]["text"].startswith("Buenos días. Pésese")
    acked = client.post(
        f"/api/v1/me/reminders/{mine[0]['id']}/ack", json={"kind": "done"}, headers=auth(patient)
    )
    assert acked.status_code == 200 and acked.json["ack_kind"] == "done"
    # A late "read" (the app opened it again) or a retried "done" never downgrades or re-stamps.
    for kind in ("read", "done"):
        again = client.post(
            f"/api/v1/me/reminders/{mine[0]['id']}/ack", json={"kind": kind}, headers=auth(patient)
        )
        assert again.status_code == 200 and again.json["ack_kind"] == "done"
        assert again.json["acknowledged_at"] == acked.json["acknowledged_at"]


def test_quiet_hours_defer_to_the_next_allowed_local_time(client, app, fake, team):
    _, nurse, _, patient = team
    record_dose(client, nurse, patient)
    weight = planned(patient, "R-WEIGHT")[0]  # 08:00 local, quiet hours end 08:00
    patient.quiet_hours_start, patient.quiet_hours_end = time(21, 0), time(9, 30)
    db.session.commit()
    assert release_at(weight.due_at)["deferred"] == 1
    db.session.refresh(weight)
    assert weight.due_at == local_to_utc(weight.local_date, time(9, 30), "America/New_York")
    assert release_at(weight.due_at)["released"] == 1


def test_stale_reminders_expire_instead_of_arriving_late(client, app, fake, team):
    _, nurse, _, patient = team
    record_dose(client, nurse, patient)
    weight = planned(patient, "R-WEIGHT")[0]
    assert release_at(weight.due_at + timedelta(hours=25))["expired"] >= 1
    db.session.refresh(weight)
    assert weight.status == "expired" and weight.message_id is None
    keys = db.session.scalars(select(Message.idempotency_key)).all()
    assert f"reminder:{weight.id}" not in keys  # the next day's weigh-in (1 h old) did go


def test_no_sms_without_consent_but_the_app_shows_it(client, app, fake, team):
    _, nurse, _, patient = team
    patient.sms_consent = False
    db.session.commit()
    record_dose(client, nurse, patient)
    check_in = planned(patient, "R-WEIGHT")[0]
    release_at(check_in.due_at)
    assert db.session.scalars(select(Message)).all() == []
    assert client.get("/api/v1/me/reminders?when=past", headers=auth(patient)).json


def test_a_patient_cannot_acknowledge_anothers_reminder(client, app, team):
    clinic, nurse, _, patient = team
    record_dose(client, nurse, patient)
    check_in = planned(patient, "R-WEIGHT")[0]
    release_at(check_in.due_at)
    other = make_patient(clinic)
    response = client.post(
        f"/api/v1/me/reminders/{check_in.id}/ack", json={"kind": "read"}, headers=auth(other)
    )
    assert response.status_code == 404
    missing = client.post(
        "/api/v1/me/reminders/999999/ack", json={"kind": "read"}, headers=auth(other)
    )
    assert missing.json == response.json


def test_admin_changes_a_proposed_value_and_the_clinic_is_replanned(client, team):
    _, nurse, admin, patient = team
    record_dose(client, nurse, patient)
    rules = {r["id"]: r for r in client.get("/api/v1/schedule-rules", headers=auth(admin)).json}
    assert rules["R-CONTRA-F"]["minimums"] == {"months": 8}
    assert "time_of_day" in rules["R-CONTRA-F"]["proposed"]
    assert rules["R-CONTRA-F"]["source"].startswith("SEED-0/1")
    changed = client.patch(
        "/api/v1/schedule-rules/R-CONTRA-F",
        json={"params": {"time_of_day": "18:30", "months": 7}},
        headers=auth(admin),
    )
    assert changed.status_code == 422  # months is a label minimum: never shortened
    changed = client.patch(
        "/api/v1/schedule-rules/R-CONTRA-F",
        json={"params": {"time_of_day": "18:30", "months": 9}},  # lengthened: allowed
        headers=auth(admin),
    )
    assert changed.status_code == 200 and changed.json["values_version"] == 1
    assert changed.json["params"]["months"] == 9
    db.session.expire_all()
    due = planned(patient, "R-CONTRA-F")[0].due_at
    assert due.astimezone(__import__("zoneinfo").ZoneInfo("America/New_York")).time() == time(
        18, 30
    )


@pytest.mark.parametrize(
    "rule, body, message",
    [
        ("R-PREG", {"params": {"months_female": 6}}, "At least 8 months"),
        ("R-WEIGHT", {"params": {"days_after_last_dose": 30}}, "vod_days_after_last_dose"),
        ("R-LFT-HSCT", {"params": {"until_day": 0}}, "At least 28"),
        ("R-CONTRA-F", {"enabled": False}, "comes from the label"),
        ("R-CBC", {"params": {"time_of_day": "25:00"}}, "HH:MM"),
    ],
)
def test_label_minimums_cannot_be_shortened(client, team, rule, body, message):
    _, _, admin, _ = team
    response = client.patch(f"/api/v1/schedule-rules/{rule}", json=body, headers=auth(admin))
    assert response.status_code == 422
    assert message in str(response.json["errors"])


def test_custom_reminders_can_be_added_and_switched_off(client, team):
    _, nurse, admin, patient = team
    record_dose(client, nurse, patient)
    created = client.post(
        "/api/v1/schedule-rules",
        headers=auth(admin),
        json={
            "title": "Mouth care",
            "every_days": 7,
            "until_days_after_last_dose": 60,
            "text_en": "Rinse your mouth after meals.",
        },
    )
    assert created.status_code == 201 and created.json["custom"] is True
    rule_id = created.json["id"]
    assert planned(patient, rule_id)
    off = client.patch(
        f"/api/v1/schedule-rules/{rule_id}", json={"enabled": False}, headers=auth(admin)
    )
    assert off.status_code == 200 and off.json["enabled"] is False
    db.session.expire_all()
    assert planned(patient, rule_id) == []


def test_unacknowledged_liver_tests_are_listed_for_the_care_team(client, app, team):
    _, nurse, _, patient = team
    client.put(
        f"/api/v1/patients/{patient.id}/transplant",
        json={"hsct_date": "2026-01-01"},
        headers=auth(nurse),
    )
    reminder = Reminder(
        patient_id=patient.id,
        clinic_id=patient.clinic_id,
        rule_id="R-LFT-HSCT",
        occurrence_key="x:lft",
        kind="reminder",
        local_date=utcnow().date(),
        planned_at=utcnow() - timedelta(days=3),
        due_at=utcnow() - timedelta(days=3),
        status="released",
        released_at=utcnow() - timedelta(hours=49),
    )
    db.session.add(reminder)
    db.session.commit()
    listed = client.get("/api/v1/reminders/unacknowledged-liver-tests", headers=auth(nurse)).json
    assert [r["id"] for r in listed] == [reminder.id]
    other = make_staff(make_clinic())
    assert (
        client.get("/api/v1/reminders/unacknowledged-liver-tests", headers=auth(other)).json == []
    )


def test_reminders_due_together_send_one_sms(client, app, fake, team):
    """Issue 10, item 4: contraception, breastfeeding and pregnancy reminders fall due at the same
    10:00: the patient gets one "new message" SMS, not three."""
    _, nurse, _, patient = team
    patient.breastfeeding = True
    db.session.commit()
    record_dose(client, nurse, patient, local_day(-3))
    month = add_months(local_day(-3), 1)
    due = local_to_utc(month, time(10, 0), "America/New_York")
    together = [r for r in planned(patient) if r.local_date == month and r.due_at == due]
    assert {r.rule_id for r in together} == {"R-CONTRA-F", "R-LACT", "R-PREG"}
    assert release_at(due)["released"] >= 3  # with that morning's weigh-in
    run_dispatch(app, due)
    assert len(fake.bodies_to(PATIENT_PHONE)) == 1
    released = db.session.scalars(select(Reminder).where(Reminder.status == "released")).all()
    assert len({r.message_id for r in released}) == 1
    # A reminder released while that SMS still waits in the outbox rides on it too.
    weight = planned(patient, "R-WEIGHT")[0]
    db.session.scalar(select(Message)).status = "queued"
    db.session.commit()
    release_at(weight.due_at)
    assert db.session.scalars(select(Message)).all() == [db.session.get(Message, weight.message_id)]


def test_a_replan_does_not_cancel_a_reminder_deferred_by_quiet_hours(client, app, fake, team):
    _, nurse, _, patient = team
    record_dose(client, nurse, patient)
    weight = planned(patient, "R-WEIGHT")[0]
    patient.quiet_hours_start, patient.quiet_hours_end = time(21, 0), time(9, 30)
    db.session.commit()
    release_at(weight.due_at)  # 08:00 is quiet: deferred to 09:30
    from schedules.reconcile import replan_patient

    replan_patient(db.session, patient, now=weight.due_at + timedelta(minutes=45))
    db.session.commit()
    db.session.refresh(weight)
    assert weight.status == "planned"
    assert release_at(weight.due_at)["released"] == 1


def all_upcoming(client, patient) -> list[dict]:
    rows, page, headers = [], 1, auth(patient)
    while batch := client.get(
        f"/api/v1/me/reminders?when=upcoming&page_size=100&page={page}", headers=headers
    ).json:
        rows, page = rows + batch, page + 1
    return rows


def test_each_window_says_what_ends_and_when_with_a_title_and_end_date(client, team):
    """Issue 10, item 9: R-LACT's end is about breastfeeding, not 'stopping'; each window rule
    has its own end text in en and es with the date; the app gets a title and ends_on."""
    _, nurse, _, patient = team
    patient.breastfeeding = True
    db.session.commit()
    last = local_day(-3)
    record_dose(client, nurse, patient, last)
    client.put(
        f"/api/v1/patients/{patient.id}/treatment-end",
        json={"treatment_ended_on": last.isoformat()},
        headers=auth(nurse),
    )
    rows = all_upcoming(client, patient)
    ends = {r["rule_id"]: r for r in rows if r["kind"] == "window_end"}
    assert set(ends) == {"R-CONTRA-F", "R-LACT", "R-PREG"}
    lact = ends["R-LACT"]
    end = add_months(last, 2)
    assert lact["ends_on"] == end.isoformat() and lact["title"] == "No amamantar"
    assert "no debe amamantar" in lact["text"] and "empezar a amamantar" in lact["text"]
    from babel.dates import format_date

    assert format_date(end, "long", locale="es") in lact["text"]
    assert "anticonceptivo" in ends["R-CONTRA-F"]["text"]
    assert ends["R-CONTRA-F"]["text"] != lact["text"]
    monthly = next(r for r in rows if r["rule_id"] == "R-CONTRA-F" and r["kind"] == "reminder")
    assert monthly["ends_on"] == add_months(last, 8).isoformat()
    weight = next(r for r in rows if r["rule_id"] == "R-WEIGHT")
    assert weight["ends_on"] is None and weight["title"] == "Peso diario"
    patient.language = "en"
    db.session.commit()
    english = all_upcoming(client, patient)
    lact_en = next(r for r in english if r["rule_id"] == "R-LACT" and r["kind"] == "window_end")
    assert format_date(end, "long", locale="en_US") in lact_en["text"]
    assert "before you start breastfeeding" in lact_en["text"]
