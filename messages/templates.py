"""SMS texts. SMS only notifies; the content stays in the app or the console.

Never in any SMS (clinical-rules §3.1): drug or class names, diagnosis, transplant, symptoms,
triage reasons, values, anything on pregnancy, contraception or breastfeeding, names, dates of
birth, patient free text, PHI in URLs. Staff texts may carry the urgency, an opaque case code and
a console link; patient texts a generic notice.
"""

import string

TEMPLATES: dict[str, dict[str, str]] = {
    # To a patient when a reminder falls due (details are in the app's inbox).
    "reminder_notice": {
        "en": "You have a new message from your care team. Open the app to read it. "
        "Reply STOP to stop texts.",
        "es": "Tiene un mensaje nuevo de su equipo de atención. Abra la aplicación para leerlo. "
        "Responda STOP para dejar de recibir textos.",
    },
    # To a patient when the care team has acknowledged their report (SMS when push failed).
    "case_seen_notice": {
        "en": "Your care team has seen your report. Open the app for details. "
        "Reply STOP to stop texts.",
        "es": "Su equipo de atención ha visto su informe. Abra la aplicación para ver los "
        "detalles. Responda STOP para dejar de recibir textos.",
    },
    # Push titles (a title and an opaque id only; the app fetches the content).
    "push_reminder": {
        "en": "New message from your care team",
        "es": "Mensaje nuevo de su equipo de atención",
    },
    "push_case_seen": {
        "en": "Your care team has seen your report",
        "es": "Su equipo de atención ha visto su informe",
    },
    # To a care-team member paged about an alert.
    "escalation_page": {
        "en": "{urgency} alert, case {case}. Review: {link} Reply ACK {case} when you take it.",
        "es": "Alerta {urgency}, caso {case}. Revisar: {link} Responda ACK {case} al atenderla.",
    },
    # The case's urgency rose (E-JOIN-2): paged again, whatever its status was.
    "escalation_raised": {
        "en": "{urgency} alert, case {case}: urgency raised. Review: {link} Reply ACK {case} "
        "when you take it.",
        "es": "Alerta {urgency}, caso {case}: urgencia aumentada. Revisar: {link} Responda ACK "
        "{case} al atenderla.",
    },
    # To whoever acknowledged a case when a new report joins it (E-JOIN-1).
    "case_update": {
        "en": "Case {case} has a new report since you acknowledged it. Review: {link}",
        "es": "El caso {case} tiene un informe nuevo desde que lo confirmó. Revisar: {link}",
    },
    "help": {
        "en": "Care team messages. For help call {help_number}. Reply STOP to stop texts, "
        "START to resume. In an emergency call your local emergency number.",
        "es": "Mensajes del equipo de atención. Para ayuda llame al {help_number}. Responda STOP "
        "para dejar de recibir textos, START para reanudar. En una emergencia llame al número "
        "de emergencias local.",
    },
    "help_no_number": {
        "en": "Care team messages. For help, call your care team. Reply STOP to stop texts, "
        "START to resume. In an emergency call your local emergency number.",
        "es": "Mensajes del equipo de atención. Para ayuda, llame a su equipo de atención. "
        "Responda STOP para dejar de recibir textos, START para reanudar. En una emergencia "
        "llame al número de emergencias local.",
    },
    # Replies to a nurse's "ACK <case>".
    "ack_done": {
        "en": "Case {case} acknowledged. Thank you.",
        "es": "Caso {case} confirmado. Gracias.",
    },
    "ack_already": {
        "en": "Case {case} was already acknowledged. Nothing changed.",
        "es": "El caso {case} ya estaba confirmado. Nada cambió.",
    },
    "ack_unknown": {  # no such case, resolved, or not paged to this number: one answer
        "en": "No open case {case} was paged to this number. Nothing changed.",
        "es": "No hay un caso abierto {case} avisado a este número. Nada cambió.",
    },
    "ack_how": {
        "en": "To take case {case}, reply ACK and the case code, e.g. ACK {case}.",
        "es": "Para atender el caso {case}, responda ACK y el código, p. ej. ACK {case}.",
    },
    "ack_choose": {
        "en": "Several open cases: {case}. Reply ACK and the case code of the one you take.",
        "es": "Varios casos abiertos: {case}. Responda ACK y el código del que atiende.",
    },
    "ack_none_open": {
        "en": "No open case was paged to this number. Nothing changed.",
        "es": "No hay casos abiertos avisados a este número. Nada cambió.",
    },
    "opted_out": {
        "en": "You will get no more texts from this number. Reply START to resume.",
        "es": "No recibirá más textos de este número. Responda START para reanudar.",
    },
    "opted_in": {
        "en": "Texts resumed. Reply STOP to stop them.",
        "es": "Textos reanudados. Responda STOP para detenerlos.",
    },
}

# The only values a template may receive: none of them can carry PHI by construction.
ALLOWED_VALUES = {"urgency", "case", "link", "help_number"}


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def render(name: str, language: str = "en", **values: str) -> str:
    """The template in the language (English when there is no translation), filled in."""
    if set(values) - ALLOWED_VALUES:
        raise ValueError(f"not allowed in an SMS: {sorted(set(values) - ALLOWED_VALUES)}")
    texts = TEMPLATES[name]
    return texts.get(language, texts["en"]).format(**values)
