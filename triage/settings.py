"""A clinic's triage settings: the shipped defaults (clinical.parameters) with the clinic's
overrides, checked by the one validation every clinic-tunable value goes through."""

from dataclasses import replace

from clinical.parameters import TRIAGE, check_triage, typed_triage
from triage.engine import Settings

DEFAULTS = Settings()


def clinic_settings(overrides: dict | None) -> Settings:
    return replace(DEFAULTS, **typed_triage(overrides))


def describe(overrides: dict | None) -> list[dict]:
    current = typed_triage(overrides)
    return [
        {
            "name": p.name,
            "value": str(current.get(p.name, p.default)),
            "default": str(p.default),
            "unit": p.unit,
            "proposed": p.proposed,
            "minimum": str(p.low),
            "maximum": str(p.high),
            "overridden": p.name in current,
            "source": p.source,
        }
        for p in TRIAGE
    ]


def override_settings(clinic, changes: dict) -> None:
    """Set the clinic's overrides; a DomainError names each refused value and its limit."""
    clinic.triage_settings = check_triage(clinic.triage_settings or {}, changes)
