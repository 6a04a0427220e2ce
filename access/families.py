"""Token families: each sign-in is a family; its refresh tokens rotate (with reuse detection)
and it is revoked as a whole. No JWT here: the API encodes the tokens (api/auth/tokens.py), the
console keeps a family's id in its session.

A refresh token is single use: refreshing marks it used and issues its successor. Presenting a
used token again means it was copied, so the whole family is revoked, except within a short grace
period after first use: a phone on a flaky network may never have received the response and
retries; the retry gets a new successor and the one it never saw is revoked, so only one live
chain remains. Two refreshes that race (two requests met `token_expired` together) may answer out
of order, and the phone keeps the twin that was revoked: within the same grace that twin is a
retry too, while nothing issued after it has been used.
"""

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update

from models import Patient, RefreshToken, Staff, TokenFamily


def subject_key(subject: Staff | Patient) -> tuple[str, int]:
    return ("staff" if isinstance(subject, Staff) else "patient", subject.id)


def start_family(session, subject, *, now: datetime) -> TokenFamily:
    subject_type, subject_id = subject_key(subject)
    family = TokenFamily(
        id=str(uuid.uuid4()), subject_type=subject_type, subject_id=subject_id, created_at=now
    )
    session.add(family)
    return family


def new_refresh_token(session, family: TokenFamily, *, now: datetime, days: int) -> RefreshToken:
    """A refresh token's row; its `jti` goes into the token the front end encodes."""
    row = RefreshToken(
        jti=str(uuid.uuid4()), family=family, issued_at=now, expires_at=now + timedelta(days=days)
    )
    session.add(row)
    return row


def is_live(session, family_id: str | None) -> bool:
    family = session.get(TokenFamily, family_id) if family_id else None
    return family is not None and family.revoked_at is None


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


@dataclass
class Rotation:
    successor: RefreshToken | None = None  # the row to encode; None: refused
    family: TokenFamily | None = None
    reuse_detected: bool = False


def _is_retry(token: RefreshToken, successor: RefreshToken | None, now, grace_seconds) -> bool:
    """A phone's retry, not a copy: within the grace period of the token's use (its response was
    lost), or of its being superseded by such a retry (two refreshes raced and the answers came
    back out of order), while what replaced it has not been used yet."""
    changed = token.revoked_at if token.used_at is None else token.used_at
    return (
        successor is not None
        and successor.used_at is None
        and successor.revoked_at is None
        and now - changed <= timedelta(seconds=grace_seconds)
    )


def rotate(session, jti: str, *, now: datetime, days: int, grace_seconds: int) -> Rotation:
    token = session.execute(
        select(RefreshToken).where(RefreshToken.jti == jti).with_for_update()
    ).scalar_one_or_none()
    if token is None:
        return Rotation()
    family = session.get(TokenFamily, token.family_id)
    if family.revoked_at is not None or token.expires_at <= now:
        return Rotation(family=family)
    successor = None
    if token.revoked_at is not None or token.used_at is not None:
        successor = session.get(RefreshToken, token.replaced_by) if token.replaced_by else None
        if not _is_retry(token, successor, now, grace_seconds):
            revoke_family(family, now=now, reason="refresh_reuse")
            return Rotation(family=family, reuse_detected=True)
        successor.revoked_at = now  # the answer the phone never saw, or the twin it raced
    token.used_at = token.used_at or now
    row = new_refresh_token(session, family, now=now, days=days)
    token.replaced_by = row.jti
    if successor is not None:  # the superseded twin, presented within the grace, is a retry too
        successor.replaced_by = row.jti
    return Rotation(successor=row, family=family)
