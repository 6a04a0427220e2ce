"""Bulk Data export: kick-off, status, manifest and files for the clinic that asked; counts that
match the API's searches; _type and _since; cancellation, expiry, lease takeover and failure.
The job functions are called directly with a fixed clock (test_fhir_export_worker.py runs a
real worker process)."""

import json
from datetime import timedelta
from pathlib import Path

import pytest

from fhir_r4 import export
from models import FhirExport, db, utcnow
from tests.factories import auth, make_clinic, make_staff
from tests.fhir_world import BASE, make_history, validate

ASYNC = {"Prefer": "respond-async", "Accept": "application/fhir+json"}


@pytest.fixture
def app_config(tmp_path):
    return {"PUBLIC_BASE_URL": BASE, "FHIR_EXPORT_DIR": str(tmp_path / "exports")}


@pytest.fixture
def world(app):
    clinic = make_clinic()
    history = make_history(clinic)
    return history, auth(history.nurse)


def kick_off(client, headers, query=""):
    group = headers_clinic(headers)
    response = client.get(f"/fhir/R4/Group/{group}/$export{query}", headers=headers | ASYNC)
    assert response.status_code == 202, response.json
    return response.headers["Content-Location"].removeprefix(BASE)


def headers_clinic(headers):
    from flask_jwt_extended import decode_token

    from models import Staff

    claims = decode_token(headers["Authorization"].split()[1])
    return db.session.get(Staff, int(claims["sub"].split(":")[1])).clinic_id


def run_worker(app, now=None, worker_id="test-worker"):
    """What the worker's fhir_exports job does, with a fixed clock."""
    now = now or utcnow()
    config = app.config
    export.delete_stale_files(db.session, directory=config["FHIR_EXPORT_DIR"], now=now)
    db.session.commit()
    while (job := export.claim_next(db.session, now=now, worker_id=worker_id)) is not None:
        db.session.commit()
        export.run_job(
            db.session,
            job,
            directory=config["FHIR_EXPORT_DIR"],
            hours=config["FHIR_EXPORT_HOURS"],
            worker_id=worker_id,
            now_fn=lambda: now,
            commit=db.session.commit,
        )


def download(client, headers, manifest):
    files = {}
    for output in manifest["output"]:
        response = client.get(output["url"].removeprefix(BASE), headers=headers)
        assert response.status_code == 200
        assert response.mimetype == "application/fhir+ndjson"
        lines = [json.loads(line) for line in response.get_data(as_text=True).splitlines()]
        response.close()  # send_file's open file
        for resource in lines:
            validate(resource)
        assert len(lines) == output["count"]
        files[output["type"]] = lines
    return files


def search_total(client, headers, resource_type):
    return client.get(f"/fhir/R4/{resource_type}?_count=0", headers=headers).json["total"]


def all_ids(client, headers, resource_type):
    response = client.get(f"/fhir/R4/{resource_type}?_count=100", headers=headers).json
    return sorted(e["resource"]["id"] for e in response.get("entry", []))


def test_a_patients_full_history_round_trips_with_the_apis_counts(client, app, world):
    history, headers = world
    status_url = kick_off(client, headers)
    waiting = client.get(status_url, headers=headers)
    assert waiting.status_code == 202 and waiting.headers["X-Progress"] == "queued"
    run_worker(app)
    done = client.get(status_url, headers=headers)
    assert done.status_code == 200 and done.mimetype == "application/json"
    assert "Expires" in done.headers
    manifest = done.json
    assert manifest["requiresAccessToken"] is True and manifest["error"] == []
    assert manifest["request"].startswith(f"{BASE}/fhir/R4/Group/")
    files = download(client, headers, manifest)
    assert set(files) == {"Patient", "Observation", "Flag", "Communication"}
    for resource_type, resources in files.items():
        assert len(resources) == search_total(client, headers, resource_type)
        assert sorted(r["id"] for r in resources) == all_ids(client, headers, resource_type)
    counts = {t: len(r) for t, r in files.items()}
    assert counts == {"Patient": 1, "Observation": 8, "Flag": 2, "Communication": 4}
    temperatures = [o for o in files["Observation"] if o["code"]["coding"][0]["code"] == "8310-5"]
    assert sorted(o["valueQuantity"]["value"] for o in temperatures) == [37.2, 38.61]


def test_type_and_since_select_what_is_exported(client, app, world):
    history, headers = world
    url = kick_off(client, headers, "?_type=Observation,Flag")
    run_worker(app)
    manifest = client.get(url, headers=headers).json
    assert [o["type"] for o in manifest["output"]] == ["Observation", "Flag"]
    since = (history.start + timedelta(hours=10)).isoformat().replace("+00:00", "Z")
    url = kick_off(client, headers, f"?_type=Observation&_since={since}")
    run_worker(app)
    files = download(client, headers, client.get(url, headers=headers).json)
    assert sorted(o["id"] for o in files["Observation"]) == ["sx-6", "sx-7"]  # reported later


@pytest.mark.parametrize(
    ("query", "headers", "status"),
    [
        ("", {"Accept": "application/fhir+json"}, 400),  # no Prefer: respond-async
        ("?_type=MedicationRequest", ASYNC, 400),
        ("?_outputFormat=text/csv", ASYNC, 400),
        ("?_since=2026-01-05", ASYNC, 400),  # a date, not an instant
        ("?_typeFilter=Observation%3Fcode%3D1", ASYNC, 400),
        ("?_since=2999-01-01T00:00:00Z", ASYNC, 422),
    ],
)
def test_kick_off_refusals_are_operation_outcomes(client, world, query, headers, status):
    history, staff_headers = world
    clinic_id = history.patient.clinic_id
    response = client.get(
        f"/fhir/R4/Group/{clinic_id}/$export{query}", headers=staff_headers | headers
    )
    assert response.status_code == status
    assert response.json["resourceType"] == "OperationOutcome"


def test_only_three_exports_at_once_per_clinic(client, world):
    _, headers = world
    for _ in range(3):
        kick_off(client, headers)
    group = headers_clinic(headers)
    fourth = client.get(f"/fhir/R4/Group/{group}/$export", headers=headers | ASYNC)
    assert fourth.status_code == 429 and fourth.headers["Retry-After"] == "60"
    assert fourth.json["issue"][0]["code"] == "throttled"


def test_another_clinics_staff_see_no_export_and_no_file(client, app, world):
    _, headers = world
    url = kick_off(client, headers)
    run_worker(app)
    manifest = client.get(url, headers=headers).json
    file_url = manifest["output"][0]["url"].removeprefix(BASE)
    theirs = auth(make_staff(make_clinic()))
    missing = url[:-32] + "0" * 32
    for path in (url, file_url):
        refused = client.get(path, headers=theirs)
        absent = client.get(path.replace(url[-32:], "0" * 32), headers=theirs)
        assert refused.status_code == absent.status_code == 404
        assert refused.json == absent.json
    assert client.delete(url, headers=theirs).status_code == 404
    assert client.delete(missing, headers=headers).status_code == 404
    assert client.get(url, headers=headers).status_code == 200  # still there for its clinic


def test_cancel_stops_the_export_and_its_files_go(client, app, world, tmp_path):
    _, headers = world
    url = kick_off(client, headers)
    run_worker(app)
    file_url = client.get(url, headers=headers).json["output"][0]["url"].removeprefix(BASE)
    cancelled = client.delete(url, headers=headers)
    assert cancelled.status_code == 202
    assert client.get(url, headers=headers).status_code == 404
    assert client.get(file_url, headers=headers).status_code == 404
    run_worker(app)
    assert list((tmp_path / "exports").iterdir()) == []


def test_a_job_cancelled_while_running_stops_and_leaves_no_files(app, world, tmp_path):
    history, _ = world
    job = export_job(history)
    claimed = export.claim_next(db.session, now=utcnow(), worker_id="w1")
    db.session.commit()
    db.session.get(FhirExport, job).status = "cancelled"  # the DELETE, committed meanwhile
    db.session.commit()
    finished = export.run_job(
        db.session,
        claimed,
        directory=tmp_path,
        hours=24,
        worker_id="w1",
        now_fn=utcnow,
        commit=db.session.commit,
    )
    assert finished is False
    assert db.session.get(FhirExport, job).status == "cancelled"  # not overwritten
    assert not (tmp_path / job).exists()


def export_job(history) -> str:
    from fhir_r4 import bulk

    job = bulk.kick_off(
        db.session,
        clinic_id=history.patient.clinic_id,
        staff_id=history.nurse.id,
        request_url=f"{BASE}/fhir/R4/Group/1/$export",
        base_url=BASE,
        types=list(bulk.TYPES),
        since=None,
        now=utcnow(),
    )
    db.session.commit()
    return job.id


def test_an_abandoned_run_is_taken_over_after_its_lease(app, world, tmp_path):
    history, _ = world
    job = export_job(history)
    now = utcnow()
    first = export.claim_next(db.session, now=now, worker_id="dead")
    db.session.commit()
    assert first is not None
    assert export.claim_next(db.session, now=now, worker_id="w2") is None  # leased
    later = now + export.LEASE + timedelta(seconds=1)
    second = export.claim_next(db.session, now=later, worker_id="w2")
    db.session.commit()
    assert (second.id, second.attempts) == (job, 2)
    assert export.run_job(
        db.session,
        second,
        directory=tmp_path,
        hours=24,
        worker_id="w2",
        now_fn=lambda: later,
        commit=db.session.commit,
    )
    assert db.session.get(FhirExport, job).status == "complete"


def test_expired_exports_are_gone_and_their_files_deleted(client, app, world, tmp_path):
    _, headers = world
    url = kick_off(client, headers)
    run_worker(app)
    file_url = client.get(url, headers=headers).json["output"][0]["url"].removeprefix(BASE)
    job = db.session.get(FhirExport, url[-32:])
    assert job.expires_at - job.completed_at == timedelta(hours=24)  # FHIR_EXPORT_HOURS
    assert (tmp_path / "exports" / job.id).is_dir()
    export.delete_stale_files(
        db.session, directory=tmp_path / "exports", now=job.expires_at + timedelta(seconds=1)
    )
    db.session.commit()
    assert not (tmp_path / "exports" / job.id).exists()
    for path in (url, file_url):
        gone = client.get(path, headers=headers)
        assert gone.status_code == 410 and gone.json["issue"][0]["code"] == "deleted"


def test_a_failed_run_is_reported_and_leaves_no_files(client, app, world, tmp_path, monkeypatch):
    _, headers = world
    url = kick_off(client, headers)

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(export, "_write", broken)
    with pytest.raises(RuntimeError):
        run_worker(app)
    response = client.get(url, headers=headers)
    assert response.status_code == 500
    assert "RuntimeError" in response.json["issue"][0]["diagnostics"]
    assert not Path(app.config["FHIR_EXPORT_DIR"], url[-32:]).exists()


def test_a_run_whose_lease_was_taken_over_stops_and_leaves_the_new_owners_files(
    app, world, tmp_path
):
    history, _ = world
    job = export_job(history)
    now = utcnow()
    slow = export.claim_next(db.session, now=now, worker_id="slow")
    db.session.commit()
    later = now + export.LEASE + timedelta(seconds=1)
    fresh = export.claim_next(
        db.session, now=later, worker_id="fresh"
    )  # the slow one's lease ran out
    db.session.commit()
    assert (
        export.run_job(
            db.session,
            slow,
            directory=tmp_path,
            hours=24,
            worker_id="slow",
            now_fn=lambda: later,
            commit=db.session.commit,
        )
        is False
    )
    assert db.session.get(FhirExport, job).leased_by == "fresh"
    assert (
        export.run_job(
            db.session,
            fresh,
            directory=tmp_path,
            hours=24,
            worker_id="fresh",
            now_fn=lambda: later,
            commit=db.session.commit,
        )
        is True
    )
    assert sorted(p.name for p in (tmp_path / job).iterdir()) == [
        "Communication.ndjson",
        "Flag.ndjson",
        "Observation.ndjson",
        "Patient.ndjson",
    ]


def test_a_worker_shutting_down_gives_its_export_back_to_the_queue(app, world, tmp_path):
    import threading

    history, _ = world
    job = export_job(history)
    claimed = export.claim_next(db.session, now=utcnow(), worker_id="w1")
    db.session.commit()
    stop = threading.Event()
    stop.set()  # SIGTERM
    assert (
        export.run_job(
            db.session,
            claimed,
            directory=tmp_path,
            hours=24,
            worker_id="w1",
            now_fn=utcnow,
            commit=db.session.commit,
            stop=stop,
        )
        is False
    )
    back = db.session.get(FhirExport, job)
    assert (back.status, back.leased_by) == ("queued", None)
    again = export.claim_next(db.session, now=utcnow(), worker_id="w2")  # at once, no lease wait
    assert again is not None and again.id == job
