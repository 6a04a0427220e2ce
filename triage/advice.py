"""What the app tells the patient to do now (clinical-rules §3), in English and Spanish.

Every reply ends with the emergency line. Placeholders: {emergency_number}, {care_team_phone},
{review_by}."""

ADVICE = {
    "emergency": {
        "en": "Call {emergency_number} now or go to the nearest emergency department. Tell them "
        "you are being treated for leukemia and bring your treatment card. We have alerted your "
        "care team.",
        "es": "Llame al {emergency_number} ahora o vaya a la sala de emergencias más cercana. "
        "Dígales que está en tratamiento para leucemia y lleve su tarjeta de tratamiento. Hemos "
        "avisado a su equipo de atención.",
    },
    "urgent_liver": {
        "en": "These can be signs of a serious liver problem caused by this treatment. You need "
        "medical advice right away: call {care_team_phone} now.",
        "es": "Pueden ser signos de un problema grave del hígado causado por este tratamiento. "
        "Necesita consejo médico de inmediato: llame al {care_team_phone} ahora.",
    },
    "urgent_infection": {
        "en": "Your blood counts may be low. Report fever or other signs of infection now: call "
        "{care_team_phone}.",
        "es": "Sus defensas pueden estar bajas. Informe la fiebre u otros signos de infección "
        "ahora: llame al {care_team_phone}.",
    },
    "fever_recheck": {
        "en": "Take your temperature again in 1 hour and report it.",
        "es": "Vuelva a tomarse la temperatura en 1 hora e infórmela.",
    },
    "urgent_bleeding": {
        "en": "Report bleeding or new bruising to your care team now: call {care_team_phone}.",
        "es": "Informe el sangrado o los moretones nuevos a su equipo ahora: llame al "
        "{care_team_phone}.",
    },
    "urgent_call": {
        "en": "Call your care team now: {care_team_phone}. If it gets worse, call "
        "{emergency_number}.",
        "es": "Llame a su equipo de atención ahora: {care_team_phone}. Si empeora, llame al "
        "{emergency_number}.",
    },
    "infusion": {
        "en": "If you are at the clinic, tell your nurse right away.",
        "es": "Si está en la clínica, avise a su enfermera de inmediato.",
    },
    "dizziness": {
        "en": "Report this now, and tell us about every medicine you take, including new ones: "
        "call {care_team_phone}.",
        "es": "Infórmelo ahora y díganos todos los medicamentos que toma, incluidos los nuevos: "
        "llame al {care_team_phone}.",
    },
    "pregnancy": {
        "en": "Contact your care team today, before your next dose: {care_team_phone}. This "
        "medicine may harm an unborn baby.",
        "es": "Comuníquese con su equipo hoy, antes de su próxima dosis: {care_team_phone}. Este "
        "medicamento puede dañar al bebé en gestación.",
    },
    "weight_recheck": {
        "en": "Weigh yourself again tomorrow morning, on the same scale, and report it.",
        "es": "Vuelva a pesarse mañana por la mañana, en la misma báscula, e infórmelo.",
    },
    "medicine": {
        "en": "Your care team will review your medicines before your next dose.",
        "es": "Su equipo revisará sus medicamentos antes de su próxima dosis.",
    },
    "routine": {
        "en": "Thank you. Your care team will review this by {review_by}. If it gets worse, "
        "report again or call.",
        "es": "Gracias. Su equipo lo revisará antes del {review_by}. Si empeora, vuelva a "
        "informarlo o llame.",
    },
    "none": {
        "en": "Thank you, this has been recorded for your care team.",
        "es": "Gracias, esto ha quedado registrado para su equipo de atención.",
    },
    # Lab results are entered by staff; these keys are for the care team, not the patient.
    "lab": {"en": "Lab value meets an urgent rule.", "es": "Valor de laboratorio urgente."},
    "lab_dose_interruption": {
        "en": "Label dose-interruption criteria may apply.",
        "es": "Pueden aplicar los criterios de interrupción de dosis.",
    },
}

EMERGENCY_LINE = {
    "en": "If you think this is an emergency, call {emergency_number}.",
    "es": "Si cree que es una emergencia, llame al {emergency_number}.",
}


def advice_text(keys: list[str], language: str, **values: str) -> list[str]:
    """The advice lines for the patient, most urgent first, ending with the emergency line."""
    keys = keys or ["none"]
    lines = [ADVICE[k].get(language, ADVICE[k]["en"]).format(**values) for k in keys]
    return lines + [EMERGENCY_LINE.get(language, EMERGENCY_LINE["en"]).format(**values)]
