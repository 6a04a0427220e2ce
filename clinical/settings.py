"""Each clinic's clinical values in the database: read the version in force, add a version.
Takes the session and `now`, never commits; the caller audits the change."""

from datetime import datetime

from sqlalchemy import select

from clinical.values import Parameters, validate
from models import ClinicalSetting


def _latest(session, clinic_id: int) -> ClinicalSetting | None:
    return session.scalars(
        select(ClinicalSetting)
        .where(ClinicalSetting.clinic_id == clinic_id)
        .order_by(ClinicalSetting.version.desc())
        .limit(1)
    ).first()


def clinic_parameters(session, clinic_id: int) -> Parameters:
    """The clinic's values in force: the registry's defaults with its newest overrides."""
    latest = _latest(session, clinic_id)
    return Parameters(latest.overrides, latest.version) if latest else Parameters()


def change_parameters(
    session, clinic_id: int, changes: dict, *, staff_id: int | None, now: datetime, allowed=None
) -> Parameters:
    """Validate the changes against the registry (limits, coherence) and store a new version."""
    latest = _latest(session, clinic_id)
    overrides = validate(latest.overrides if latest else {}, changes, allowed)
    version = (latest.version if latest else 0) + 1
    session.add(
        ClinicalSetting(
            clinic_id=clinic_id,
            version=version,
            overrides=overrides,
            changed=sorted(changes),
            created_by_id=staff_id,
            created_at=now,
        )
    )
    session.flush()
    return Parameters(overrides, version)
