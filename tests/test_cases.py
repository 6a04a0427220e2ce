"""The joining rule (clinical-rules §2.5, E-JOIN-1 to E-JOIN-4) as a table: first the pure
decision, then every combination through the database, where it must have its effect."""

import itertools
from datetime import timedelta

import pytest
from sqlalchemy import select

from messages.outbox import OutboxPolicy
from models import Alert, AlertPage, EscalationPolicy, db, utcnow
from tests.factories import make_clinic, make_patient, make_staff
from triage import acknowledgement, cases
from triage.cases import Join

STATUSES = ("open", "acknowledged", "resolved")
URGENCIES = ("routine", "urgent", "emergency")

# (case status, case urgency, report urgency, shares a symptom) -> decision. Written out,
# not computed: this is the table a clinician signs off.
N, J, NO, RP, RO = Join.NEW_CASE, Join.JOIN, Join.NOTICE, Join.REPAGE, Join.REOPEN
TABLE = {
    # E-JOIN-4: no shared symptom -> a new case, whatever the rest.
    **{(s, o, n, False): N for s in STATUSES for o in URGENCIES for n in URGENCIES},
    # E-JOIN-3: a resolved case is never joined.
    **{("resolved", o, n, True): N for o in URGENCIES for n in URGENCIES},
    # E-JOIN-1, open: same or lower urgency joins; paging goes on as it was.
    ("open", "routine", "routine", True): J,
    ("open", "urgent", "routine", True): J,
    ("open", "urgent", "urgent", True): J,
    ("open", "emergency", "routine", True): J,
    ("open", "emergency", "urgent", True): J,
    ("open", "emergency", "emergency", True): J,
    # E-JOIN-1, acknowledged: same or lower urgency joins with a notice to the holder.
    ("acknowledged", "routine", "routine", True): NO,
    ("acknowledged", "urgent", "routine", True): NO,
    ("acknowledged", "urgent", "urgent", True): NO,
    ("acknowledged", "emergency", "routine", True): NO,
    ("acknowledged", "emergency", "urgent", True): NO,
    ("acknowledged", "emergency", "emergency", True): NO,
    # E-JOIN-2: higher urgency pages now, whatever the status.
    ("open", "routine", "urgent", True): RP,
    ("open", "routine", "emergency", True): RP,
    ("open", "urgent", "emergency", True): RP,
    ("acknowledged", "routine", "urgent", True): RO,
    ("acknowledged", "routine", "emergency", True): RO,
    ("acknowledged", "urgent", "emergency", True): RO,
}
COMBINATIONS = list(itertools.product(STATUSES, URGENCIES, URGENCIES, (True, False)))


def test_the_table_covers_every_combination():
    assert set(TABLE) == set(COMBINATIONS)


@pytest.mark.parametrize("status, old, new, shared", COMBINATIONS)
def test_decide_follows_the_table(status, old, new, shared):
    assert cases.decide(status, old, new, shared) is TABLE[(status, old, new, shared)]


POLICY = OutboxPolicy()
TIMEOUTS = {"urgent": 10, "emergency": 5}


@pytest.fixture
def ward(app):
    clinic = make_clinic()
    holder = make_staff(clinic, phone="+12025550143", on_call=True)
    second = make_staff(clinic, phone="+12025550144")
    db.session.add(
        EscalationPolicy(
            clinic_id=clinic.id,
            version=1,
            repeat_count=0,
            levels=[
                {"recipients": [holder.id], "timeout_minutes": TIMEOUTS},
                {"recipients": [second.id], "timeout_minutes": TIMEOUTS},
            ],
        )
    )
    db.session.commit()
    return clinic, holder, second, make_patient(clinic)


def raise_(patient, urgency, codes, now):
    alert = cases.raise_alert(
        db.session,
        patient,
        urgency=urgency,
        source="report",
        symptom_codes=list(codes),
        rule_ids=["T-FEV"],
        now=now,
        base_url="https://care.example.org",
        outbox_policy=POLICY,
    )
    db.session.commit()
    return alert


def pages_of(alert, after_id=0):
    return db.session.scalars(
        select(AlertPage).where(AlertPage.alert_id == alert.id, AlertPage.id > after_id)
    ).all()


@pytest.mark.parametrize("status, old, new, shared", COMBINATIONS)
def test_each_combination_has_its_effect_in_the_database(ward, status, old, new, shared):
    clinic, holder, second, patient = ward
    t0 = utcnow()
    case = raise_(patient, old, ["temperature"], t0)
    if status == "acknowledged":
        acknowledgement.acknowledge(db.session, case, holder, now=t0, via="api")
    elif status == "resolved":
        acknowledgement.resolve(db.session, case, holder, "Called back.", now=t0)
    db.session.commit()
    before = max((p.id for p in pages_of(case)), default=0)
    epoch = case.epoch
    t1 = t0 + timedelta(minutes=2)

    joined = raise_(patient, new, ["temperature"] if shared else ["rash"], t1)
    decision = TABLE[(status, old, new, shared)]
    new_pages = pages_of(case, before)

    if decision is Join.NEW_CASE:  # E-JOIN-3, E-JOIN-4
        assert joined.id != case.id and new_pages == []
        assert (case.status, case.urgency) == (status, old)
        assert [p.staff_id for p in pages_of(joined)] == (
            [holder.id] if new in ("urgent", "emergency") else []
        )
        return
    assert joined.id == case.id and case.urgency == max(old, new, key=URGENCIES.index)
    assert case.last_report_at == t1
    if decision is Join.JOIN:  # E-JOIN-1, open
        assert new_pages == [] and case.status == "open" and case.epoch == epoch
    elif decision is Join.NOTICE:  # E-JOIN-1, acknowledged
        assert [(p.kind, p.staff_id) for p in new_pages] == [("notice", holder.id)]
        assert case.status == "acknowledged" and case.has_unseen_report
    else:  # E-JOIN-2: a page now, with the new urgency, in a new epoch
        assert case.status == "open" and case.epoch == epoch + 1
        assert [(p.kind, p.urgency, p.staff_id, p.level) for p in new_pages] == [
            ("page", new, holder.id, 0)
        ]
        assert case.next_escalation_at <= t1 + timedelta(minutes=TIMEOUTS[new])
        if decision is Join.REOPEN:
            assert case.acknowledged_at is None and case.level == 0


def test_a_report_sharing_some_symptoms_joins_and_the_case_gains_the_others(ward):
    """E-JOIN-4, second sentence."""
    _, _, _, patient = ward
    case = raise_(patient, "urgent", ["temperature"], utcnow())
    joined = raise_(patient, "urgent", ["temperature", "chills"], utcnow())
    assert joined.id == case.id and case.symptom_codes == ["chills", "temperature"]


def test_a_second_notice_waits_until_the_holder_has_seen_the_first(ward):
    """E-JOIN-1: one notice, not one per reading; after the case is opened, the next report
    gets its notice."""
    _, holder, _, patient = ward
    t0 = utcnow()
    case = raise_(patient, "urgent", ["temperature"], t0)
    acknowledgement.acknowledge(db.session, case, holder, now=t0, via="api")
    for minutes in (5, 10):
        raise_(patient, "urgent", ["temperature"], t0 + timedelta(minutes=minutes))
    assert len([p for p in pages_of(case) if p.kind == "notice"]) == 1
    acknowledgement.mark_reviewed(case, now=t0 + timedelta(minutes=11))
    assert not case.has_unseen_report
    raise_(patient, "urgent", ["temperature"], t0 + timedelta(minutes=12))
    assert len([p for p in pages_of(case) if p.kind == "notice"]) == 2
    assert case.has_unseen_report


def test_an_exhausted_open_case_that_gets_worse_is_paged_again_from_level_1(ward):
    """E-JOIN-2 on a case whose every level was used: paging starts over."""
    _, holder, second, patient = ward
    t0 = utcnow()
    case = raise_(patient, "urgent", ["temperature"], t0)
    from triage import escalation

    for minutes in (10, 20):
        escalation.escalate_due(
            db.session, now=t0 + timedelta(minutes=minutes), outbox_policy=POLICY
        )
    db.session.commit()
    assert case.exhausted_at is not None and case.next_escalation_at is None
    raise_(patient, "emergency", ["temperature", "fainting"], t0 + timedelta(minutes=30))
    assert case.exhausted_at is None and case.level == 0
    assert case.next_escalation_at == t0 + timedelta(minutes=35)
    latest = pages_of(case)[-1]
    assert (latest.staff_id, latest.urgency, latest.epoch) == (holder.id, "emergency", 1)


def test_the_holder_is_paged_when_a_case_reopens_even_if_not_on_level_1(ward):
    """E-JOIN-2, acknowledged: whoever took the case hears that it got worse."""
    _, holder, second, patient = ward
    t0 = utcnow()
    case = raise_(patient, "urgent", ["temperature"], t0)
    acknowledgement.acknowledge(db.session, case, second, now=t0, via="api")
    before = pages_of(case)[-1].id
    raise_(patient, "emergency", ["temperature"], t0 + timedelta(minutes=3))
    assert sorted(p.staff_id for p in pages_of(case, before)) == sorted([holder.id, second.id])


def test_a_case_is_chosen_by_urgency_when_several_share_the_symptom(ward):
    _, holder, _, patient = ward
    t0 = utcnow()
    urgent = raise_(patient, "urgent", ["chills"], t0)
    routine = raise_(patient, "routine", ["rash"], t0)
    joined = raise_(patient, "urgent", ["rash", "chills"], t0 + timedelta(minutes=1))
    assert joined.id == urgent.id and routine.symptom_codes == ["rash"]
    assert db.session.scalar(select(Alert).where(Alert.id == routine.id)).urgency == "routine"
