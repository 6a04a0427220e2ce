"""The symptom catalogue the app shows (clinical-rules §2.3), with the details each symptom
may carry. Codes are stable API values; rule IDs are the spec's."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Symptom:
    code: str
    rule_id: str
    label_section: str
    text: dict
    details: tuple[str, ...] = ()
    measurement: str | None = None  # "temperature" or "weight": a value with a unit is expected


CATALOGUE = {
    s.code: s
    for s in [
        Symptom(
            "weight_gain",
            "T-WT",
            "5.1",
            {"en": "Rapid weight gain", "es": "Aumento rápido de peso"},
            measurement="weight",
        ),
        Symptom(
            "abdominal_swelling",
            "T-ABD",
            "5.1",
            {"en": "Swelling of the belly", "es": "Hinchazón del abdomen"},
        ),
        Symptom(
            "abdominal_pain",
            "T-PAIN",
            "5.1",
            {"en": "Belly pain", "es": "Dolor abdominal"},
            details=("right_upper",),
        ),
        Symptom(
            "yellow_skin",
            "T-JAUN",
            "5.1",
            {"en": "Yellow skin or eyes", "es": "Piel u ojos amarillos"},
        ),
        Symptom(
            "fever",
            "T-FEV",
            "5.2, 5.3",
            {"en": "Fever", "es": "Fiebre"},
            details=("rigors", "confusion"),
            measurement="temperature",
        ),
        Symptom("chills", "T-CHILL", "5.4", {"en": "Chills", "es": "Escalofríos"}),
        Symptom(
            "rash",
            "T-RASH",
            "5.4",
            {"en": "Rash", "es": "Sarpullido"},
            details=("face_lip_throat_swelling", "pinpoint_or_purple_spots"),
        ),
        Symptom(
            "breathing",
            "T-BREATH",
            "5.4",
            {"en": "Trouble breathing", "es": "Dificultad para respirar"},
            details=("at_rest", "chest_pain"),
        ),
        Symptom(
            "bleeding",
            "T-BLEED",
            "5.3",
            {"en": "Bleeding or bruising", "es": "Sangrado o moretones"},
            details=(
                "unstoppable",
                "vomiting_blood",
                "black_or_bloody_stool",
                "sudden_severe_headache",
                "new_bruising",
                "nose_or_gum",
            ),
        ),
        Symptom("dizziness", "T-DIZZ", "5.5", {"en": "Dizziness", "es": "Mareo"}),
        Symptom("fainting", "T-SYNC", "5.5", {"en": "Fainting", "es": "Desmayo"}),
        Symptom(
            "pregnancy",
            "T-PREG",
            "5.7, 8.1",
            {
                "en": "Pregnancy or possible pregnancy (you or your partner)",
                "es": "Embarazo o posible embarazo (usted o su pareja)",
            },
        ),
        Symptom(
            "infection",
            "T-INF",
            "5.2, 5.3",
            {"en": "Signs of infection", "es": "Signos de infección"},
        ),
        Symptom(
            "new_medicine",
            "T-MED",
            "5.5",
            {"en": "Started a new medicine", "es": "Empezó un medicamento nuevo"},
        ),
        Symptom(
            "temperature",
            "T-FEV",
            "5.2, 5.3",
            {"en": "Temperature reading", "es": "Temperatura medida"},
            measurement="temperature",
        ),
        Symptom(
            "weight",
            "W-1",
            "5.1",
            {"en": "Weight reading", "es": "Peso medido"},
            measurement="weight",
        ),
    ]
}

TEMPERATURE_UNITS = ("C", "F")
TEMPERATURE_SITES = ("oral", "ear", "forehead", "armpit", "other")
WEIGHT_UNITS = ("kg", "lb")
