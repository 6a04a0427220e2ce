"""FHIR searches: paging links, date prefixes, _lastUpdated, code tokens, patient scoping, and
strict parameters (a mistyped filter is refused, never silently ignored)."""

from datetime import timedelta
from urllib.parse import quote
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from models import AuditEvent, db
from tests.factories import auth, make_clinic, make_patient
from tests.fhir_world import BASE, make_history
from triage import acknowledgement


@pytest.fixture
def app_config():
    return {"PUBLIC_BASE_URL": BASE}


@pytest.fixture
def world(app):
    history = make_history(make_clinic(timezone="America/New_York"))
    return history, auth(history.nurse)


def ids(response):
    assert response.status_code == 200, response.json
    return [e["resource"]["id"] for e in response.json.get("entry", [])]


def at(instant):
    return quote(instant.isoformat().replace("+00:00", "Z"))


def test_paging_walks_every_match_once_with_next_and_previous(client, world):
    _, headers = world
    first = client.get("/fhir/R4/Observation?_count=3", headers=headers).json
    assert first["total"] == 8 and len(first["entry"]) == 3
    links = {x["relation"]: x["url"] for x in first["link"]}
    assert set(links) == {"self", "next"}
    assert links["next"].startswith(f"{BASE}/fhir/R4/Observation?")
    pages, url = [], "/fhir/R4/Observation?_count=3"
    while url:
        page = client.get(url, headers=headers).json
        pages.append(page)
        url = next((x["url"] for x in page["link"] if x["relation"] == "next"), None)
        url = url and url.removeprefix(BASE)
    seen = [e["resource"]["id"] for p in pages for e in p["entry"]]
    assert len(pages) == 3 and len(seen) == len(set(seen)) == 8
    second = {x["relation"] for x in pages[1]["link"]}
    assert second == {"self", "next", "previous"}
    assert {x["relation"] for x in pages[2]["link"]} == {"self", "previous"}


def test_count_zero_gives_the_total_only_and_a_large_count_is_capped(client, world):
    _, headers = world
    none = client.get("/fhir/R4/Observation?_count=0", headers=headers).json
    assert none["total"] == 8 and none.get("entry", []) == []
    capped = client.get("/fhir/R4/Observation?_count=100000", headers=headers).json
    self_link = next(x["url"] for x in capped["link"] if x["relation"] == "self")
    assert "_count=100" in self_link and len(capped["entry"]) == 8


def test_date_prefixes_on_when_measured(client, world):
    history, headers = world
    after = history.start + timedelta(hours=2.5)
    later = ids(client.get(f"/fhir/R4/Observation?date=ge{at(after)}", headers=headers))
    assert "vs-1" not in later and "vs-4" in later and len(later) == 5
    earlier = ids(client.get(f"/fhir/R4/Observation?date=lt{at(after)}", headers=headers))
    assert sorted(earlier) == ["vs-1", "vs-2", "vs-3"]
    both = f"date=ge{at(history.start)}&date=le{at(history.start + timedelta(hours=1))}"
    assert ids(client.get(f"/fhir/R4/Observation?{both}", headers=headers)) == ["vs-1", "vs-2"]


def test_a_date_without_time_is_the_clinics_calendar_day(client, world):
    history, headers = world
    day = (history.start + timedelta(hours=20)).astimezone(ZoneInfo("America/New_York")).date()
    found = ids(client.get(f"/fhir/R4/Observation?date={day.isoformat()}", headers=headers))
    assert "sx-6" in found  # the pregnancy report, 20 h after the start, that New York day


def test_last_updated_follows_an_acknowledgement(client, world):
    history, headers = world
    cutoff = history.start + timedelta(hours=21)
    assert ids(client.get(f"/fhir/R4/Flag?_lastUpdated=gt{at(cutoff)}", headers=headers)) == []
    late = history.alerts[1]
    acknowledgement.acknowledge(
        db.session, late, history.nurse, now=cutoff + timedelta(hours=1), via="api"
    )
    db.session.commit()
    found = ids(client.get(f"/fhir/R4/Flag?_lastUpdated=gt{at(cutoff)}", headers=headers))
    assert found == [str(late.id)]


def test_code_tokens_find_vital_signs_and_symptoms(client, world):
    _, headers = world
    get = lambda q: ids(client.get(f"/fhir/R4/Observation?{q}", headers=headers))  # noqa: E731
    assert get("code=http://loinc.org|8310-5") == ["vs-1", "vs-4"]
    assert get("code=29463-7") == ["vs-2", "vs-3"]
    assert get("code=http://snomed.info/sct|43724002") == ["sx-5"]
    assert get(f"code={quote(BASE)}/fhir/CodeSystem/symptom|pregnancy") == ["sx-6"]
    assert get("code=http://snomed.info/sct|8310-5") == []  # a LOINC code under SNOMED
    assert sorted(get("code=8310-5,43724002")) == ["sx-5", "vs-1", "vs-4"]
    assert len(get("category=vital-signs")) == 4 and len(get("category=survey")) == 4


def test_patient_and_communication_searches(client, world):
    history, headers = world
    pid = history.patient.id
    assert len(ids(client.get(f"/fhir/R4/Observation?patient={pid}", headers=headers))) == 8
    assert len(ids(client.get(f"/fhir/R4/Flag?subject=Patient/{pid}", headers=headers))) == 2
    reminders = ids(client.get("/fhir/R4/Communication?category=reminder", headers=headers))
    assert len(reminders) == 2 and all(i.startswith("reminder-") for i in reminders)
    pages = ids(client.get("/fhir/R4/Communication?category=alert", headers=headers))
    assert len(pages) == 2
    sent = at(history.start + timedelta(hours=23))
    assert ids(client.get(f"/fhir/R4/Communication?sent=ge{sent}", headers=headers)) == reminders


def test_another_clinics_patient_in_a_search_is_the_same_404_as_a_missing_one(client, world):
    _, headers = world
    theirs = make_patient(make_clinic())
    refused = client.get(f"/fhir/R4/Observation?patient={theirs.id}", headers=headers)
    missing = client.get("/fhir/R4/Observation?patient=999999", headers=headers)
    assert refused.status_code == missing.status_code == 404
    assert refused.json == missing.json
    assert refused.json["resourceType"] == "OperationOutcome"
    denied = db.session.scalars(
        select(AuditEvent).where(
            AuditEvent.outcome == "denied", AuditEvent.target == f"patient:{theirs.id}"
        )
    ).one()
    assert denied.action == "fhir.observation.search"


def test_clinic_wide_searches_record_whose_records_were_shown(client, world):
    history, headers = world
    client.get("/fhir/R4/Observation?_count=2", headers=headers)
    event = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "fhir.observation.search")
    ).one()
    assert event.detail == {"total": 8, "patients": [str(history.patient.id)]}
    client.get(f"/fhir/R4/Flag/{history.alerts[0].id}", headers=headers)
    read = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "fhir.flag.read")).one()
    assert (read.patient_id, read.outcome) == (history.patient.id, "success")


@pytest.mark.parametrize(
    ("query", "name"),
    [
        ("patinet=1", "patinet"),
        ("code:text=fever", "code:text"),
        ("date=yesterday", "date"),
        ("date=2026-13-01", "date"),
        ("date=ge2026-01-05T10:00:00", "date"),  # a dateTime without a zone
        ("patient=Group/1", "patient"),
        ("patient=abc", "patient"),
        ("_count=-1", "_count"),
        ("_offset=x", "_offset"),
    ],
)
def test_malformed_or_unknown_parameters_are_refused(client, world, query, name):
    _, headers = world
    response = client.get(f"/fhir/R4/Observation?{query}", headers=headers)
    assert response.status_code == 400
    issues = response.json["issue"]
    assert issues[0]["code"] == "invalid"
    assert [name] in [issue.get("expression") for issue in issues]


def test_searches_and_reads_never_cross_clinics(client, world):
    history, headers = world
    theirs = make_history(make_clinic())
    for resource_type in ("Patient", "Observation", "Flag", "Communication"):
        bundle = client.get(f"/fhir/R4/{resource_type}?_count=100", headers=headers).json
        for entry in bundle["entry"]:
            resource = entry["resource"]
            subject = resource.get("subject", {}).get("reference", f"Patient/{resource['id']}")
            assert subject == f"Patient/{history.patient.id}"
    their_headers = auth(theirs.nurse)
    mine = client.get(f"/fhir/R4/Flag/{history.alerts[0].id}", headers=their_headers)
    assert mine.status_code == 404
    group = client.get("/fhir/R4/Group", headers=their_headers).json["entry"][0]["resource"]
    assert group["member"] == [
        {"entity": {"reference": f"Patient/{theirs.patient.id}"}, "inactive": False}
    ]
