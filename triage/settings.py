"""A clinic's triage settings: shipped defaults, with the clinic's overrides of PROPOSED values."""

from dataclasses import asdict, fields, replace
from decimal import Decimal

from models.errors import DomainError
from triage.engine import Settings

DEFAULTS = Settings()
PROVENANCE = {
    "fever_once_c": "IDSA/ASCO (REF-10)",
    "fever_sustained_c": "IDSA/ASCO (REF-10)",
    "fever_sustained_minutes": "IDSA/ASCO (REF-10)",
    "weight_urgent_pct": "PROPOSED (W-1)",
    "weight_watch_pct": "PROPOSED (W-2)",
    "weight_rise_days": "PROPOSED (W-3, pediatric EBMT element)",
    "weight_above_min_pct": "PROPOSED (W-4)",
    "weight_min_window_days": "PROPOSED (W-4)",
    "vod_days_after_last_dose": "R-VOD-WIN (a), SEED-1: latest observed onset, not a safe bound",
    "vod_days_after_hsct": "PROPOSED (R-VOD-WIN b)",
    "infusion_tail_hours": "PROPOSED (T-IRR)",
    "bilirubin_vod_mg_dl": "REF-6, REF-7 (L-1)",
    "qtc_urgent_ms": "REF-11 (L-4)",
}


def clinic_settings(overrides: dict | None) -> Settings:
    values = {}
    types = {f.name: f.type for f in fields(Settings)}
    for name, value in (overrides or {}).items():
        if name in types:
            values[name] = Decimal(str(value)) if types[name] in (Decimal, "Decimal") else value
    return replace(DEFAULTS, **values)


def describe(overrides: dict | None) -> list[dict]:
    current = asdict(clinic_settings(overrides))
    return [
        {
            "name": name,
            "value": str(value),
            "default": str(getattr(DEFAULTS, name)),
            "overridden": name in (overrides or {}),
            "source": PROVENANCE[name],
        }
        for name, value in current.items()
    ]


def override_settings(clinic, changes: dict) -> None:
    """Set the clinic's overrides; every name must be a setting, every value a positive number."""
    if not changes:
        raise DomainError("Send a JSON object of settings to change.")
    errors = {k: ["Unknown setting."] for k in changes if not hasattr(DEFAULTS, k)}
    errors |= {
        k: ["Must be a positive number."]
        for k, v in changes.items()
        if k not in errors and (isinstance(v, bool) or not isinstance(v, int | float) or v <= 0)
    }
    if errors:
        raise DomainError("Some settings are invalid.", errors)
    clinic.triage_settings = (clinic.triage_settings or {}) | changes
