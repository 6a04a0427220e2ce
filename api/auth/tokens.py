"""Token families: issue, rotate (with reuse detection) and revoke.

Each sign-in starts a family. A refresh token is single use: refreshing marks it used and issues
its successor. Presenting a used token again means it was copied, so the whole family is revoked,
except within a short grace period after first use: a phone on a flaky network may never have
received the response and retries; the retry gets a new successor and the one it never saw is
revoked, so only one live chain remains.
"""

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_jwt_extended import create_access_token, create_refresh_token, decode_token
from sqlalchemy import select, update

from models import Patient, RefreshToken, Staff, TokenFamily


@dataclass
class RefreshOutcome:
    tokens: dict | None = None
    family: TokenFamily | None = None
    reuse_detected: bool = False


def subject_key(subject: Staff | Patient) -> tuple[str, int]:
    return ("staff" if isinstance(subject, Staff) else "patient", subject.id)


def _role(subject) -> str:
    return subject.role if isinstance(subject, Staff) else "patient"


def _issue_pair(session, subject, family: TokenFamily, now: datetime, refresh_days: int) -> tuple:
    identity = "{}:{}".format(*subject_key(subject))
    claims = {"role": _role(subject), "clinic": subject.clinic_id, "fam": family.id}
    access = create_access_token(identity=identity, additional_claims=claims)
    refresh = create_refresh_token(identity=identity, additional_claims={"fam": family.id})
    row = RefreshToken(
        jti=decode_token(refresh)["jti"],
        family=family,
        issued_at=now,
        expires_at=now + timedelta(days=refresh_days),
    )
    session.add(row)
    return {"access_token": access, "refresh_token": refresh, "token_type": "Bearer"}, row


def issue_tokens(session, subject, *, now: datetime, refresh_days: int) -> tuple[dict, TokenFamily]:
    subject_type, subject_id = subject_key(subject)
    family = TokenFamily(
        id=str(uuid.uuid4()), subject_type=subject_type, subject_id=subject_id, created_at=now
    )
    session.add(family)
    tokens, _ = _issue_pair(session, subject, family, now, refresh_days)
    return tokens, family


def revoke_family(family: TokenFamily, *, now: datetime, reason: str) -> None:
    if family.revoked_at is None:
        family.revoked_at = now
        family.revoked_reason = reason


def revoke_subject(session, subject, *, now: datetime, reason: str) -> None:
    """Revoke every sign-in of a staff member or patient (deactivation, unenrolment)."""
    subject_type, subject_id = subject_key(subject)
    session.execute(
        update(TokenFamily)
        .where(
            TokenFamily.subject_type == subject_type,
            TokenFamily.subject_id == subject_id,
            TokenFamily.revoked_at.is_(None),
        )
        .values(revoked_at=now, revoked_reason=reason)
    )


def rotate_refresh_token(
    session, jti: str, subject, *, now: datetime, refresh_days: int, grace_seconds: int
) -> RefreshOutcome:
    token = session.execute(
        select(RefreshToken).where(RefreshToken.jti == jti).with_for_update()
    ).scalar_one_or_none()
    if token is None:
        return RefreshOutcome()
    family = session.get(TokenFamily, token.family_id)
    if family.revoked_at is not None or token.expires_at <= now:
        return RefreshOutcome(family=family)
    if token.revoked_at is not None or token.used_at is not None:
        successor = session.get(RefreshToken, token.replaced_by) if token.replaced_by else None
        retry = (
            token.revoked_at is None
            and token.used_at is not None
            and now - token.used_at <= timedelta(seconds=grace_seconds)
            and successor is not None
            and successor.used_at is None
        )
        if not retry:
            revoke_family(family, now=now, reason="refresh_reuse")
            return RefreshOutcome(family=family, reuse_detected=True)
        successor.revoked_at = now
    else:
        token.used_at = now
    tokens, new_row = _issue_pair(session, subject, family, now, refresh_days)
    token.replaced_by = new_row.jti
    return RefreshOutcome(tokens=tokens, family=family)
