"""Staff sign-in, the same for the API and the console: argon2 verification (a dummy one for an
unknown email, so both cost the same), a rehash when argon2's parameters moved on, every outcome
audited, and one answer for a wrong password, an unknown email and an inactive account."""

from datetime import datetime

from sqlalchemy import func, select

from access.audit import record
from access.passwords import hash_password, needs_rehash, verify_password
from models import Staff
from models.errors import Unauthorized


def authenticate_staff(session, email: str, password: str, *, via: str, now: datetime) -> Staff:
    """The staff member, or Unauthorized (the refusal is audited and kept after a rollback)."""
    address = email.strip().lower()
    staff = session.scalar(select(Staff).where(func.lower(Staff.email) == address))
    action = "auth.login" if via == "api" else f"{via}.login"
    if not verify_password(staff.password_hash if staff else None, password):
        reason = "bad_credentials" if staff else "unknown_email"
        record(session, action, actor=staff, outcome="failure", detail={"reason": reason}, now=now)
        raise Unauthorized("Wrong email or password.", code="bad_credentials")
    if not staff.active:
        record(session, action, actor=staff, outcome="denied", detail={"reason": "inactive"})
        raise Unauthorized("Wrong email or password.", code="bad_credentials")
    if needs_rehash(staff.password_hash):
        staff.password_hash = hash_password(password)
    record(session, action, actor=staff, now=now)
    return staff
