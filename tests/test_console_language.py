"""The console's language (Flask-Babel): `?lang=` switches and is remembered in the session, else
the browser's Accept-Language among en/es, else English; strings from Python (flash messages,
errors) follow it too; the JSON API is unaffected; clinical texts stay data in both languages."""

import re

import pytest

from tests.factories import make_alert, make_clinic, make_patient, make_staff
from tests.test_console import csrf_of, sign_in
from triage.catalogue import CATALOGUE


def heading(response) -> str:
    return re.search(r"<h1>(.*?)</h1>", response.get_data(as_text=True)).group(1)


def html_lang(response) -> str:
    return re.search(r'<html lang="(\w+)">', response.get_data(as_text=True)).group(1)


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        (None, "en"),
        ("es", "es"),
        ("es-MX,es;q=0.9,en;q=0.5", "es"),
        ("fr-FR, es;q=0.5", "es"),
        ("fr-FR, de;q=0.5", "en"),
        ("en-GB,es;q=0.8", "en"),  # the browser's order, not the first exact tag
        ("es-US,en-US;q=0.8,en;q=0.6", "es"),
        ("ES_es", "es"),
        ("es;q=0, en;q=0.1", "en"),
        ("*", "en"),
    ],
)
def test_the_browsers_language_among_english_and_spanish(client, accept, expected):
    headers = {"Accept-Language": accept} if accept else {}
    page = client.get("/console/login", headers=headers)
    assert html_lang(page) == expected
    assert heading(page) == {"en": "Sign in", "es": "Entrar"}[expected]


def test_lang_switches_and_is_remembered_over_the_browsers_language(client):
    spanish_browser = {"Accept-Language": "es"}
    assert heading(client.get("/console/login?lang=en", headers=spanish_browser)) == "Sign in"
    assert heading(client.get("/console/login", headers=spanish_browser)) == "Sign in"
    assert heading(client.get("/console/login?lang=es")) == "Entrar"
    assert heading(client.get("/console/login")) == "Entrar"
    assert heading(client.get("/console/login?lang=fr")) == "Entrar"  # not offered: ignored
    assert heading(client.get("/c/no-such-token")) == "Este enlace ha caducado."


def test_the_json_api_is_unaffected(client):
    english = client.get("/api/v1/me")
    spanish = client.get("/api/v1/me?lang=es", headers={"Accept-Language": "es"})
    assert spanish.status_code == english.status_code == 401
    assert spanish.json == english.json
    assert "Set-Cookie" not in spanish.headers  # nothing remembered
    assert heading(client.get("/console/login")) == "Sign in"


def test_python_side_strings_follow_the_language(client, world):
    _, nurse, admin, _, _ = world
    page = client.get("/console/login?lang=es")
    refused = client.post(
        "/console/login",
        data={"email": nurse.email, "password": "nope", "csrf_token": csrf_of(page)},
    )
    assert refused.status_code == 401
    assert "Correo o contraseña incorrectos." in refused.get_data(as_text=True)
    sign_in(client, admin)
    client.get("/console/?lang=es")
    form = client.get("/console/admin/rules")
    saved = client.post(
        "/console/admin/rules",
        data={
            "csrf_token": csrf_of(form),
            "rule_id": "R-CONTRA-F",
            "name": "time_of_day",
            "value": "18:30",
        },
        follow_redirects=True,
    )
    assert "Guardado; pacientes replanificados." in saved.get_data(as_text=True)
    form = client.get("/console/admin/escalation")
    bad_json = client.post(
        "/console/admin/escalation",
        data={"csrf_token": csrf_of(form), "levels": "[{", "repeat_count": "1"},
    )
    assert "No es un JSON válido." in bad_json.get_data(as_text=True)


def test_spanish_pages_with_placeholders_plurals_and_clinical_data(client, world):
    _, nurse, _, patient, alert = world
    sign_in(client, nurse)
    board = client.get("/console/?lang=es").get_data(as_text=True)
    assert "Alertas" in board and "SIN CONFIRMAR" in board and "URGENTE" in board
    assert re.search(r">\d+ min<", board)  # ngettext
    page = client.get(f"/console/alerts/{alert.id}").get_data(as_text=True)
    assert f"Caso {alert.case_code}" in page and f"Llamar a {patient.display_name}" in page
    assert "T-FEV (ficha técnica 5.2, 5.3): urgente" in page
    # Symptom names are the catalogue's reviewed Spanish, not gettext's.
    temperature = CATALOGUE["temperature"].text
    assert temperature["es"] in page and temperature["en"] not in page
    # The advice is what the patient was told, in the patient's language (English here).
    assert "Your blood counts may be low" in page
    chart = client.get(f"/console/patients/{patient.id}").get_data(as_text=True)
    assert 'aria-label="Peso (kg)"' in chart and ">referencia<" in chart
    assert "Recordatorios — Próximos" in chart


def test_english_pages_say_what_they_said(client, world):
    _, nurse, _, patient, alert = world
    sign_in(client, nurse)
    page = client.get(f"/console/alerts/{alert.id}").get_data(as_text=True)
    assert f"Case {alert.case_code}" in page and f"Call {patient.display_name}" in page
    assert "T-FEV (label 5.2, 5.3): urgent" in page and "severity 2/4" in page
    assert CATALOGUE["temperature"].text["en"] in page
    assert re.search(r">\d+ min<", client.get("/console/").get_data(as_text=True))


def test_values_in_translated_sentences_are_escaped(client, app):
    clinic = make_clinic()
    nurse = make_staff(clinic, phone="+12025550143", on_call=True)
    alert = make_alert(make_patient(clinic, display_name="<b>Ana</b>"))
    sign_in(client, nurse)
    page = client.get(f"/console/alerts/{alert.id}?lang=es").get_data(as_text=True)
    assert "Llamar a &lt;b&gt;Ana&lt;/b&gt;" in page and "<b>Ana</b>" not in page
