"""A Bulk Data export written by a real `flask worker` process on PostgreSQL: the API queues the
job, the worker (its own process, its own connections) claims it and writes the NDJSON files
into the shared FHIR_EXPORT_DIR, and the API serves them with the counts its searches give."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

import pytest

from tests.conftest import TEST_DATABASE_URL
from tests.factories import auth, make_clinic
from tests.fhir_world import BASE, make_history, validate

pytestmark = pytest.mark.postgres
ROOT = Path(__file__).resolve().parent.parent
ASYNC = {"Prefer": "respond-async", "Accept": "application/fhir+json"}


@pytest.fixture
def app_config(tmp_path):
    return {"PUBLIC_BASE_URL": BASE, "FHIR_EXPORT_DIR": str(tmp_path / "exports")}


def start_worker(tmp_path) -> subprocess.Popen:
    environ = os.environ | {
        "DATABASE_URL": TEST_DATABASE_URL,
        "SECRET_KEY": "test-secret-key-that-is-long-enough-for-hs256",
        "SMS_GATEWAY": "console",
        "FHIR_EXPORT_DIR": str(tmp_path / "exports"),
        "FHIR_EXPORT_POLL_SECONDS": "0.5",
        "LOG_LEVEL": "WARNING",
    }
    with open(tmp_path / "worker.log", "ab") as log:
        return subprocess.Popen(
            [sys.executable, "-m", "flask", "--app", "api", "worker"],
            cwd=ROOT,
            env=environ,
            stdout=subprocess.DEVNULL,
            stderr=log,
        )


def poll(client, url, headers, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        response = client.get(url, headers=headers)
        if response.status_code != 202:
            return response
        assert response.headers["X-Progress"]
        time.sleep(0.3)
    raise AssertionError("the worker did not finish the export")


def test_a_worker_process_writes_the_export_the_api_serves(client, app, tmp_path):
    history = make_history(make_clinic())
    headers = auth(history.nurse)
    kickoff = client.get(
        f"/fhir/R4/Group/{history.patient.clinic_id}/$export", headers=headers | ASYNC
    )
    assert kickoff.status_code == 202
    status_url = kickoff.headers["Content-Location"].removeprefix(BASE)
    worker = start_worker(tmp_path)
    try:
        done = poll(client, status_url, headers)
    finally:
        worker.send_signal(signal.SIGTERM)
        code = worker.wait(timeout=30)
    assert code == 0, (tmp_path / "worker.log").read_text()
    assert done.status_code == 200, done.json
    for output in done.json["output"]:
        response = client.get(output["url"].removeprefix(BASE), headers=headers)
        lines = response.get_data(as_text=True).splitlines()
        response.close()
        assert len(lines) == output["count"]
        for line in lines:
            validate(json.loads(line))
        # The export is a snapshot at transactionTime (the worker's own jobs go on meanwhile:
        # the unacknowledged alert may be paged again after it).
        until = quote(done.json["transactionTime"])
        search = f"/fhir/R4/{output['type']}?_count=0&_lastUpdated=le{until}"
        assert output["count"] == client.get(search, headers=headers).json["total"]
    counts = {o["type"]: o["count"] for o in done.json["output"]}
    assert counts["Patient"] == 1 and counts["Observation"] == 8 and counts["Flag"] == 2
    assert counts["Communication"] >= 4  # two pages and two reminders, and any re-page since
