"""One-time enrollment codes that let a patient's app sign in.

A code reads `LOOKUP-SECR-ETXX`: 5 lookup characters that find the row, so that wrong guesses are
counted against that code and lock it, and 8 secret characters of which only an HMAC is stored.
"""

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

from sqlalchemy import select, update

from models import EnrollmentCode, Patient

ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no I, L, O, 0, 1: read aloud and typed on phones
LOOKUP_LEN, SECRET_LEN = 5, 8


def _digest(key: str, secret: str) -> str:
    return hmac.new(key.encode(), secret.encode(), hashlib.sha256).hexdigest()


def _random(n: int) -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(n))


def normalize_code(raw: str) -> str:
    return "".join(ch for ch in raw.upper() if ch.isalnum())


def issue_code(
    session, patient: Patient, *, staff_id: int, now: datetime, hours: int, key: str
) -> tuple[str, EnrollmentCode]:
    """Create a code for the patient; earlier unused codes stop working."""
    session.execute(
        update(EnrollmentCode)
        .where(
            EnrollmentCode.patient_id == patient.id,
            EnrollmentCode.used_at.is_(None),
            EnrollmentCode.revoked_at.is_(None),
        )
        .values(revoked_at=now)
    )
    while True:
        lookup = _random(LOOKUP_LEN)
        if session.scalar(select(EnrollmentCode.id).where(EnrollmentCode.lookup == lookup)) is None:
            break
    secret = _random(SECRET_LEN)
    row = EnrollmentCode(
        patient_id=patient.id,
        lookup=lookup,
        secret_hash=_digest(key, secret),
        created_by_id=staff_id,
        created_at=now,
        expires_at=now + timedelta(hours=hours),
    )
    session.add(row)
    return f"{lookup}-{secret[:4]}-{secret[4:]}", row


def redeem_code(
    session, raw: str, *, now: datetime, key: str, max_attempts: int
) -> tuple[Patient | None, EnrollmentCode | None]:
    """Return the patient the code belongs to, or None. The caller commits either way, so that
    a failed attempt is counted."""
    code = normalize_code(raw)
    if len(code) != LOOKUP_LEN + SECRET_LEN:
        return None, None
    row = session.execute(
        select(EnrollmentCode).where(EnrollmentCode.lookup == code[:LOOKUP_LEN]).with_for_update()
    ).scalar_one_or_none()
    if row is None:
        return None, None
    usable = (
        row.used_at is None
        and row.revoked_at is None
        and row.expires_at > now
        and row.failed_attempts < max_attempts
    )
    if not usable:
        return None, row
    if not hmac.compare_digest(row.secret_hash, _digest(key, code[LOOKUP_LEN:])):
        row.failed_attempts += 1
        return None, row
    patient = session.get(Patient, row.patient_id)
    if patient is None or patient.status != "active":
        return None, row
    row.used_at = now
    return patient, row


def revoke_codes(session, patient: Patient, *, now: datetime) -> None:
    session.execute(
        update(EnrollmentCode)
        .where(EnrollmentCode.patient_id == patient.id, EnrollmentCode.used_at.is_(None))
        .values(revoked_at=now)
    )
