"""Admins see the clinic's outbox (dead letters first of all) and can retry; /metrics counts."""

from messages.templates import TEMPLATES, placeholders, render
from models import Message, db
from tests.factories import auth, make_clinic, make_message, make_patient, make_staff


def test_dead_letters_are_listed_per_clinic_and_can_be_retried(client, app):
    clinic, other = make_clinic(), make_clinic()
    admin = make_staff(clinic, role="admin")
    dead = make_message(clinic, "a", "dead")
    make_message(clinic, "b", "sent")
    theirs = make_message(other, "c", "dead")
    listed = client.get("/api/v1/messages?status=dead", headers=auth(admin)).json
    assert [m["id"] for m in listed] == [dead.id]
    assert "body" not in listed[0] and "to_phone" not in listed[0]
    retried = client.post(f"/api/v1/messages/{dead.id}/retry", headers=auth(admin))
    assert retried.status_code == 200 and retried.json["status"] == "queued"
    again = client.post(f"/api/v1/messages/{dead.id}/retry", headers=auth(admin))
    assert again.status_code == 409
    assert (
        client.post(f"/api/v1/messages/{theirs.id}/retry", headers=auth(admin)).status_code == 404
    )
    assert db.session.get(Message, theirs.id).status == "dead"


def test_metrics_count_messages_by_status(client, app):
    clinic = make_clinic()
    for key, status in [("a", "dead"), ("b", "dead"), ("c", "sent")]:
        make_message(clinic, key, status)
    text = client.get("/metrics").get_data(as_text=True)
    assert 'besponsa_outbox_messages{status="dead"} 2' in text
    assert 'besponsa_outbox_messages{status="sent"} 1' in text
    assert 'besponsa_outbox_messages{status="queued"} 0' in text


FORBIDDEN = [
    "besponsa",
    "inotuzumab",
    "ozogamicin",
    "chemo",
    "leukemia",
    "leucemia",
    "cancer",
    "oncolog",
    "transplant",
    "trasplante",
    "hsct",
    "pregnan",
    "embaraz",
    "contracept",
    "anticoncep",
    "breastfeed",
    "lactancia",
    "amamant",
    "liver",
    "hígado",
    "fever",
    "fiebre",
    "bleed",
    "weight",
    "peso",
    "bilirubin",
]


def test_no_template_can_carry_phi(app):
    """Render every template in every language with real patient data around it: nothing of
    the patient's or the treatment's reaches the text."""
    patient = make_patient(
        make_clinic(name="Leukemia Center"), display_name="Maria Lopez", phone="+34612345678"
    )
    values = {
        "urgency": "URGENT",
        "case": "7KQ2",
        "link": "https://care.example.org/a/t0k3n",
        "help_number": "+1 202 555 0100",
    }
    for name, languages in TEMPLATES.items():
        for language, template in languages.items():
            assert placeholders(template) <= set(values)
            text = render(name, language, **{k: values[k] for k in placeholders(template)})
            lowered = text.lower()
            for word in FORBIDDEN + [
                patient.display_name.lower(),
                patient.phone,
                patient.clinic.name.lower(),
            ]:
                assert word not in lowered, (name, language, word)
            assert len(text) <= 320  # two SMS segments at most


def test_templates_refuse_values_that_could_carry_phi():
    import pytest

    with pytest.raises(ValueError, match="not allowed"):
        render("escalation_page", urgency="URGENT", case="1", link="x", symptom="fever")
