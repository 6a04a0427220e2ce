"""Two requests with one Idempotency-Key at the same time, on PostgreSQL: the second waits on the
key's unique index and replays the first's answer, or gets 409 with Retry-After when the first
takes longer than IDEMPOTENCY_WAIT_SECONDS. Exactly one report is stored either way."""

import threading
import time

import pytest
from sqlalchemy import func, select

from models import Message, SymptomReport, db
from tests.factories import auth, make_clinic, make_patient, make_staff
from triage import reports

pytestmark = pytest.mark.postgres
FEVER = {"items": [{"symptom": "temperature", "value": "38.6", "unit": "C"}]}


@pytest.fixture
def app_config():
    return {"IDEMPOTENCY_WAIT_SECONDS": 1.0}


@pytest.fixture
def headers(app):
    clinic = make_clinic()
    make_staff(clinic, phone="+12025550143", on_call=True)
    return auth(make_patient(clinic)) | {"Idempotency-Key": "same-key-0001"}


@pytest.fixture
def slow_first(monkeypatch):
    """The first request's work takes `delay` seconds, inside its transaction."""
    real, state = reports.record_report, {"delay": 0.0}

    def slow(*args, **kwargs):
        result = real(*args, **kwargs)
        time.sleep(state.pop("delay", 0.0))
        return result

    monkeypatch.setattr(reports, "record_report", slow)
    return state


def post_in_thread(client, headers, results, name):
    def run():
        response = client.post("/api/v1/me/symptom-reports", json=FEVER, headers=headers)
        results[name] = (response.status_code, response.json, response.headers)

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def test_a_concurrent_retry_waits_and_replays_the_first_answer(client, headers, slow_first):
    slow_first["delay"] = 0.6
    results = {}
    first = post_in_thread(client, headers, results, "first")
    time.sleep(0.2)
    second = post_in_thread(client, headers, results, "second")
    first.join(10)
    second.join(10)
    assert results["first"][0] == results["second"][0] == 201
    assert results["first"][1] == results["second"][1]
    assert db.session.scalar(select(func.count()).select_from(SymptomReport)) == 1
    assert db.session.scalar(select(func.count()).select_from(Message)) == 1  # one page


def test_a_retry_that_would_wait_too_long_gets_409_with_retry_after(client, headers, slow_first):
    slow_first["delay"] = 2.5
    results = {}
    first = post_in_thread(client, headers, results, "first")
    time.sleep(0.2)
    second = post_in_thread(client, headers, results, "second")
    second.join(10)
    status, body, response_headers = results["second"]
    assert status == 409 and int(response_headers["Retry-After"]) >= 1
    assert body["error"] == "idempotency_in_progress"  # the envelope's machine-readable code
    first.join(10)
    assert results["first"][0] == 201
    again = client.post("/api/v1/me/symptom-reports", json=FEVER, headers=headers)
    assert again.status_code == 201 and again.json == results["first"][1]
    assert db.session.scalar(select(func.count()).select_from(SymptomReport)) == 1
