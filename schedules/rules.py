"""The label's reminder rules as data (clinical-rules §1.3): IDs, sources, texts. Their values
(months, days, times of day) live in clinical.registry with their limits; a rule here carries
them resolved, DEFAULT_RULES with the registry's defaults."""

from dataclasses import dataclass, field, replace

from clinical.parameters import parse_time as parse_time
from clinical.registry import REGISTRY
from clinical.values import DEFAULTS, Parameters


@dataclass(frozen=True)
class Rule:
    id: str
    kind: str  # window | daily_vod | hsct_series | post_infusion | pre_dose | before_first_dose
    title: str
    source: str
    label_section: str
    params: dict = field(default_factory=dict)  # resolved values (clinical.registry)
    enabled: bool = True
    custom: bool = False  # a clinic's own, non-label reminder
    texts: dict = field(default_factory=dict)  # in-app texts by key and language

    @property
    def proposed(self) -> tuple:
        """Values a clinic may move within their limits (a custom rule: all of its own)."""
        if self.custom:
            return tuple(self.params)
        return tuple(n for n in self.params if REGISTRY[f"{self.id}.{n}"].proposed)

    @property
    def minimums(self) -> dict:
        """Label minimums: values that may be lengthened, never shortened."""
        if self.custom:
            return {}
        specs = {n: REGISTRY[f"{self.id}.{n}"] for n in self.params}
        return {n: s.low for n, s in specs.items() if not s.proposed and s.low is not None}

    def resolved(self, parameters: Parameters) -> "Rule":
        """The rule with a clinic's values (custom rules carry their own)."""
        return self if self.custom else replace(self, params=parameters.rule(self.id))

    def with_overrides(self, params=None, enabled=None, texts=None) -> "Rule":
        return replace(
            self,
            params=self.params | (params or {}),
            enabled=self.enabled if enabled is None else enabled,
            texts={**self.texts, **(texts or {})},
        )


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
DEFAULT_RULES = [rule.resolved(DEFAULTS) for rule in DEFAULT_RULES]
RULES_BY_ID = {rule.id: rule for rule in DEFAULT_RULES}
