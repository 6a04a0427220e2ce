"""The label's reminder rules as data (clinical-rules §1.3), with their IDs, sources and which
values are PROPOSED (clinic-configurable) or label minimums (never shortened)."""

from dataclasses import dataclass, field, replace
from datetime import time


@dataclass(frozen=True)
class Rule:
    id: str
    kind: str  # window | daily_vod | hsct_series | post_infusion | pre_dose | before_first_dose
    title: str
    source: str
    label_section: str
    params: dict = field(default_factory=dict)
    proposed: tuple = ()  # params a clinic may change
    minimums: dict = field(default_factory=dict)  # label minimums: may be lengthened only
    enabled: bool = True
    custom: bool = False  # a clinic's own, non-label reminder
    texts: dict = field(default_factory=dict)  # in-app texts by key and language

    def with_overrides(self, params=None, enabled=None, texts=None) -> "Rule":
        return replace(
            self,
            params=self.params | (params or {}),
            enabled=self.enabled if enabled is None else enabled,
            texts={**self.texts, **(texts or {})},
        )


MONTHLY = {"cadence_months": 1, "time_of_day": "10:00"}
WINDOW_PROPOSED = ("cadence_months", "time_of_day")
# End-of-window texts: what ends and when ({end_date}: the window's last day, in the patient's
# language); never an automatic all-clear (clinical-rules §1.3).
CONTRACEPTION_END = {
    "en": "The time after your last dose in which you must keep using effective contraception "
    "ends on {end_date}. Ask your care team before you stop using contraception.",
    "es": "El tiempo después de su última dosis en el que debe seguir usando un método "
    "anticonceptivo eficaz termina el {end_date}. Consulte a su equipo antes de dejar de usar "
    "el método anticonceptivo.",
}
CONTRACEPTION_TITLE = {"en": "Contraception", "es": "Anticoncepción"}

DEFAULT_RULES = [
    Rule(
        "R-CONTRA-F",
        "window",
        "Contraception (females of reproductive potential)",
        "SEED-0/1; REF-1, REF-2, REF-3",
        "US PI 8.3, 17",
        params={"months": 8, **MONTHLY},
        proposed=WINDOW_PROPOSED,
        minimums={"months": 8},
        texts={
            "reminder": {
                "en": "Keep using effective contraception during treatment and for at least 8 months "
                "after your last dose.",
                "es": "Siga usando un método anticonceptivo eficaz durante el tratamiento y al menos "
                "8 meses después de su última dosis.",
            },
            "window_end": CONTRACEPTION_END,
            "title": CONTRACEPTION_TITLE,
        },
    ),
    Rule(
        "R-CONTRA-M",
        "window",
        "Contraception (males with female partners of reproductive potential)",
        "SEED-0/1; REF-1, REF-2, REF-3",
        "US PI 8.3, 17",
        params={"months": 5, **MONTHLY},
        proposed=WINDOW_PROPOSED,
        minimums={"months": 5},
        texts={
            "reminder": {
                "en": "Keep using effective contraception during treatment and for at least 5 months "
                "after your last dose.",
                "es": "Siga usando un método anticonceptivo eficaz durante el tratamiento y al menos "
                "5 meses después de su última dosis.",
            },
            "window_end": CONTRACEPTION_END,
            "title": CONTRACEPTION_TITLE,
        },
    ),
    Rule(
        "R-LACT",
        "window",
        "No breastfeeding",
        "SEED-0/1; REF-1, REF-2",
        "US PI 8.2, 17",
        params={"months": 2, **MONTHLY},
        proposed=WINDOW_PROPOSED,
        minimums={"months": 2},
        texts={
            "reminder": {
                "en": "Do not breastfeed during treatment and for at least 2 months after your last "
                "dose.",
                "es": "No amamante durante el tratamiento y al menos 2 meses después de su última "
                "dosis.",
            },
            "window_end": {
                "en": "The time after your last dose in which you should not breastfeed ends on "
                "{end_date}. Ask your care team before you start breastfeeding.",
                "es": "El tiempo después de su última dosis en el que no debe amamantar termina el "
                "{end_date}. Consulte a su equipo antes de empezar a amamantar.",
            },
            "title": {"en": "No breastfeeding", "es": "No amamantar"},
        },
    ),
    Rule(
        "R-PREG",
        "window",
        "Report a pregnancy",
        "SEED-0 (US: during treatment); REF-1 (EU)",
        "US PI 5.7, 17",
        params={"months_female": 8, "months_partner": 5, **MONTHLY},
        proposed=("months_partner",) + WINDOW_PROPOSED,
        minimums={"months_female": 8},
        texts={
            "reminder": {
                "en": "If you or your partner become pregnant, or think you may be, tell your care "
                "team right away.",
                "es": "Si usted o su pareja quedan embarazadas, o creen que podrían estarlo, avise a "
                "su equipo de inmediato.",
            },
            "window_end": {
                "en": "The time after your last dose in which a pregnancy (yours or your "
                "partner's) needs to be reported ends on {end_date}. If a pregnancy is possible, "
                "still tell your care team.",
                "es": "El tiempo después de su última dosis en el que se debe avisar de un "
                "embarazo (suyo o de su pareja) termina el {end_date}. Si es posible un "
                "embarazo, avise igualmente a su equipo.",
            },
            "title": {"en": "Pregnancy", "es": "Embarazo"},
        },
    ),
    Rule(
        "R-LFT-HSCT",
        "hsct_series",
        "Liver tests after HSCT",
        "SEED-1; REF-5",
        "US PI 5.1",
        params={
            "weekly_until_day": 28,
            "then_every_days": 14,
            "until_day": 100,
            "time_of_day": "09:00",
        },
        proposed=("then_every_days", "until_day", "time_of_day"),
        minimums={"weekly_until_day": 28},
        texts={
            "reminder": {
                "en": "You are due for liver blood tests this week. Please make sure they are done.",
                "es": "Le toca hacerse análisis de sangre del hígado esta semana. Asegúrese de "
                "hacérselos.",
            },
            "title": {"en": "Liver blood tests", "es": "Análisis de sangre del hígado"},
        },
    ),
    Rule(
        "R-WEIGHT",
        "daily_vod",
        "Daily weight during the VOD watch (R-VOD-WIN)",
        "REF-5; SEED-1 (window)",
        "US PI 5.1",
        params={"days_after_last_dose": 56, "days_after_hsct": 100, "time_of_day": "08:00"},
        proposed=("days_after_hsct", "time_of_day"),
        minimums={"days_after_last_dose": 56},
        texts={
            "reminder": {
                "en": "Good morning. Weigh yourself now, on the same scale, and enter your weight.",
                "es": "Buenos días. Pésese ahora, en la misma báscula, e ingrese su peso.",
            },
            "title": {"en": "Daily weight", "es": "Peso diario"},
        },
    ),
    Rule(
        "R-IRR",
        "post_infusion",
        "Check-in after an infusion",
        "SEED-1; REF-4",
        "US PI 5.4",
        params={"minutes_after_end": 60, "missing_end_minutes": 60},
        proposed=("missing_end_minutes",),
        minimums={"minutes_after_end": 60},
        texts={
            "reminder": {
                "en": "How are you feeling after your infusion? Report fever, chills, rash or "
                "breathing problems now.",
                "es": "¿Cómo se siente después de la infusión? Informe ahora fiebre, escalofríos, "
                "sarpullido o problemas para respirar.",
            },
            "title": {"en": "After your infusion", "es": "Después de la infusión"},
        },
    ),
    Rule(
        "R-CBC",
        "pre_dose",
        "Blood count before each dose",
        "SEED-1; REF-4 (cycle timing)",
        "US PI 2.3, 5.3",
        params={"days_before": 1, "cycle1_days": 21, "cycle_days": 28, "time_of_day": "09:00"},
        proposed=("days_before", "cycle1_days", "time_of_day"),
        texts={
            "reminder": {
                "en": "You need a blood count (CBC) before your next dose.",
                "es": "Necesita un hemograma antes de su próxima dosis.",
            },
            "title": {"en": "Blood count", "es": "Hemograma"},
        },
    ),
    Rule(
        "R-ECG",
        "before_first_dose",
        "ECG before the first dose",
        "SEED-1",
        "US PI 5.5",
        params={"time_of_day": "10:00"},
        proposed=("time_of_day",),
        texts={
            "reminder": {
                "en": "You need an ECG (heart tracing) and blood salts checked before your first "
                "dose.",
                "es": "Necesita un electrocardiograma y un control de electrolitos antes de su "
                "primera dosis.",
            },
            "title": {
                "en": "ECG before your first dose",
                "es": "Electrocardiograma antes de la primera dosis",
            },
        },
    ),
]
RULES_BY_ID = {rule.id: rule for rule in DEFAULT_RULES}


def parse_time(value: str) -> time:
    hours, minutes = value.split(":")
    return time(int(hours), int(minutes))
