"""Every FHIR resource the API emits is valid (fhir.resources), and maps what the service holds:
vital signs to the FHIR vital-signs profile (°F kept as entered, °C as the value), symptoms with
SNOMED CT where verified and their PRO-CTCAE attributes, alerts as Flags, SMS as
Communications carrying no more than the SMS did."""

import json

import pytest

from fhir_r4.search import TYPES
from tests.factories import auth, make_clinic
from tests.fhir_world import BASE, make_history, validate

VITAL_UNITS = {"8310-5": {"Cel", "[degF]"}, "29463-7": {"kg", "[lb_av]", "g"}}


@pytest.fixture
def app_config():
    return {"PUBLIC_BASE_URL": BASE}


@pytest.fixture
def world(app):
    history = make_history(make_clinic())
    return history, auth(history.nurse)


def everything(client, headers, resource_type):
    """Every resource of the type, following the Bundle's next links."""
    found, url = [], f"/fhir/R4/{resource_type}?_count=3"
    while url:
        response = client.get(url, headers=headers)
        assert response.status_code == 200
        assert response.content_type == "application/fhir+json; charset=utf-8"
        validate(response.json)  # the Bundle, and each entry's resource with it
        found += [entry["resource"] for entry in response.json.get("entry", [])]
        url = next((x["url"] for x in response.json["link"] if x["relation"] == "next"), None)
        url = url and url.removeprefix(BASE)
    return found


def by_id(client, headers, resource_type):
    return {r["id"]: r for r in everything(client, headers, resource_type)}


def test_every_resource_type_emitted_validates_and_reads_back_the_same(client, world):
    history, headers = world
    seen = 0
    for resource_type in [*TYPES, "Group"]:
        for resource in everything(client, headers, resource_type):
            model = validate(resource)
            assert model.get_resource_type() == resource_type
            read = client.get(f"/fhir/R4/{resource_type}/{resource['id']}", headers=headers)
            assert read.status_code == 200 and read.json == resource
            seen += 1
    metadata = client.get("/fhir/R4/metadata")
    assert validate(metadata.json).fhirVersion == "4.0.1"
    outcome = client.get("/fhir/R4/Observation/vs-999999", headers=headers)
    assert validate(outcome.json).get_resource_type() == "OperationOutcome"
    assert seen == 1 + 8 + 2 + 4 + 1  # patient, observations, flags, communications, group


def test_temperature_in_fahrenheit_is_celsius_with_the_entered_value_kept(client, world):
    history, headers = world
    fever = next(
        o
        for o in by_id(client, headers, "Observation").values()
        if o["code"]["coding"][0]["code"] == "8310-5" and "extension" in o["valueQuantity"]
    )
    quantity = fever["valueQuantity"]
    assert (quantity["value"], quantity["code"], quantity["system"]) == (
        38.61,
        "Cel",
        "http://unitsofmeasure.org",
    )
    entered = quantity["extension"][0]
    assert entered["url"] == "http://hl7.org/fhir/StructureDefinition/iso21090-PQ-translation"
    assert (entered["valueQuantity"]["value"], entered["valueQuantity"]["code"]) == (
        101.5,
        "[degF]",
    )
    assert fever["bodySite"] == {"text": "oral"}
    assert "http://hl7.org/fhir/StructureDefinition/bodytemp" in fever["meta"]["profile"]


def test_celsius_and_kilogram_readings_have_no_translation(client, world):
    history, headers = world
    observations = by_id(client, headers, "Observation")
    assert "extension" not in observations["vs-1"]["valueQuantity"]  # 37.2 °C as entered
    assert observations["vs-2"]["valueQuantity"]["value"] == 70.5
    pounds = observations["vs-3"]["valueQuantity"]
    assert (pounds["value"], pounds["code"]) == (70.76, "kg")  # 156 lb
    assert pounds["extension"][0]["valueQuantity"]["code"] == "[lb_av]"


def test_vital_signs_carry_what_the_vital_signs_profile_requires(client, world):
    history, headers = world
    vitals = [o for o in by_id(client, headers, "Observation").values() if o["id"][:3] == "vs-"]
    assert len(vitals) == 4
    for o in vitals:
        assert "http://hl7.org/fhir/StructureDefinition/vitalsigns" in o["meta"]["profile"]
        assert o["status"] == "final"
        categories = [c for cat in o["category"] for c in cat["coding"]]
        assert {
            "system": "http://terminology.hl7.org/CodeSystem/observation-category",
            "code": "vital-signs",
            "display": "Vital Signs",
        } in categories
        loinc = [c["code"] for c in o["code"]["coding"] if c["system"] == "http://loinc.org"]
        assert len(loinc) == 1 and loinc[0] in VITAL_UNITS
        assert o["subject"]["reference"] == f"Patient/{history.patient.id}"
        assert o["effectiveDateTime"].endswith("Z")
        quantity = o["valueQuantity"]
        assert set(quantity) >= {"value", "unit", "system", "code"}
        assert quantity["code"] in VITAL_UNITS[loinc[0]]


def test_symptoms_are_snomed_coded_where_verified_with_their_attributes(client, world):
    history, headers = world
    symptoms = [o for o in by_id(client, headers, "Observation").values() if o["id"][:3] == "sx-"]
    chills = next(o for o in symptoms if o["code"]["text"] == "Chills")
    assert chills["code"]["coding"][0] == {
        "system": "http://snomed.info/sct",
        "code": "43724002",
        "display": "Chill (finding)",
    }
    attributes = {c["code"]["coding"][0]["code"]: c["valueInteger"] for c in chills["component"]}
    assert attributes == {"presence": 1, "frequency": 2, "severity": 2, "interference": 1}
    assert chills["valueBoolean"] is True
    assert chills["category"][0]["coding"][0]["code"] == "survey"
    pregnancy = next(o for o in symptoms if "regnancy" in o["code"]["text"])
    systems = {c["system"] for c in pregnancy["code"]["coding"]}
    assert systems == {f"{BASE}/fhir/CodeSystem/symptom"}  # no SNOMED code is guessed
    pain = next(o for o in symptoms if o["code"]["text"] == "Belly pain")
    details = [c for c in pain["component"] if "valueBoolean" in c]
    assert details[0]["code"]["coding"][0]["code"] == "right_upper"


def test_alerts_are_flags_with_urgency_rules_and_acknowledgement(client, world):
    history, headers = world
    flags = list(by_id(client, headers, "Flag").values())
    acknowledged = next(
        f for f in flags if any("acknowledgement" in e["url"] for e in f["extension"])
    )
    open_flag = next(f for f in flags if f is not acknowledged)
    ext = {e["url"].rsplit("/", 1)[1]: e for e in acknowledged["extension"]}
    ack = {part["url"]: part for part in ext["alert-acknowledgement"]["extension"]}
    assert ack["by"]["valueReference"]["display"] == history.nurse.name
    assert ext["alert-status"]["valueCode"] == "acknowledged"
    assert ext["flag-priority"]["valueCodeableConcept"]["coding"][0]["code"] == "PH"  # emergency
    rules = [
        e["valueCoding"]["code"] for e in acknowledged["extension"] if "alert-rule" in e["url"]
    ]
    assert "T-FEV" in rules
    assert acknowledged["status"] == "active" and "end" not in acknowledged["period"]
    open_ext = {e["url"].rsplit("/", 1)[1] for e in open_flag["extension"]}
    assert "alert-acknowledgement" not in open_ext
    for flag in flags:  # each detail reference resolves
        for e in flag["extension"]:
            if e["url"].endswith("flag-detail"):
                target = e["valueReference"]["reference"]
                assert client.get(f"/fhir/R4/{target}", headers=headers).status_code == 200


def test_a_resolved_alert_is_an_inactive_flag_with_its_end(client, world):
    from models import db
    from triage import acknowledgement

    history, headers = world
    alert = history.alerts[0]
    acknowledgement.resolve(db.session, alert, history.nurse, "Called back.", now=history.start)
    db.session.commit()
    flag = client.get(f"/fhir/R4/Flag/{alert.id}", headers=headers).json
    assert flag["status"] == "inactive" and flag["period"]["end"]
    assert "Called back" not in json.dumps(flag)  # staff free text is not exported


def test_communications_carry_only_what_the_sms_carried(client, world):
    history, headers = world
    communications = list(by_id(client, headers, "Communication").values())
    pages = [c for c in communications if c["id"].startswith("page-")]
    reminders = [c for c in communications if c["id"].startswith("reminder-")]
    assert len(pages) == 2 and len(reminders) == 2
    for page in pages:
        text = page["payload"][0]["contentString"]
        assert "[console link]" in text and "/c/" not in text  # the link's token stays out
        assert page["status"] == "completed" and page["sent"]
        assert page["about"][0]["reference"].startswith("Flag/")
        assert page["recipient"][0]["display"] == history.nurse.name
    topics = sorted(r["topic"]["text"] for r in reminders)
    assert topics == ["R-CONTRA-F", "R-LACT"]
    for reminder in reminders:
        assert reminder["payload"][0]["contentString"].startswith("You have a new message")
        assert "contracep" not in json.dumps(reminder["payload"]).lower()


def test_the_patient_resource_holds_no_phone_and_no_clinical_facts(client, world):
    history, headers = world
    patient = client.get(f"/fhir/R4/Patient/{history.patient.id}", headers=headers).json
    text = json.dumps(patient)
    assert "2025550177" not in text and "telecom" not in patient
    assert patient["identifier"][0]["system"] == f"{BASE}/fhir/sid/patient-id"
    assert patient["identifier"][0]["value"] == str(history.patient.id)
    assert patient["name"] == [{"text": history.patient.display_name}]
    assert set(patient) == {
        "resourceType",
        "id",
        "meta",
        "identifier",
        "active",
        "name",
        "gender",
        "communication",
    }
