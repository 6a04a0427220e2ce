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

Checking a family on every request costs a database round trip; `LiveFamilies` remembers the
answer for a few seconds per process instead. A revocation made in this process (revoke_family,
revoke_subject) takes effect in its caches at once, before the revoking transaction commits (one
that then rolls back keeps the family refused here until the bound runs out: it fails closed);
a revocation made by another process takes effect here within the cache's `seconds`.
"""

import threading
import time
import uuid
import weakref
from dataclasses import dataclass
from datetime import datetime, timedelta

from cachetools import TTLCache
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


class LiveFamilies:
    """`is_live`, remembered for `seconds` (0: never remembered, every call reads the row).

    Thread-safe. A family unknown to the database is not remembered (it may be committed later);
    a live or revoked one is, with its subject so that revoke_subject can find it."""

    def __init__(self, seconds: float, maxsize: int = 100_000, timer=time.monotonic):
        self.seconds = seconds
        self._cache = TTLCache(maxsize, ttl=seconds, timer=timer) if seconds > 0 else None
        self._lock = threading.Lock()
        self._revocations = 0  # a read that began before a revocation here is not remembered
        _CACHES.add(self)

    def is_live(self, session, family_id: str | None) -> bool:
        if self._cache is None or not family_id:
            return is_live(session, family_id)
        with self._lock:
            hit = self._cache.get(family_id)
            revocations = self._revocations
        if hit is not None:
            return hit[0]
        family = session.get(TokenFamily, family_id)
        if family is None:
            return False
        live = family.revoked_at is None
        with self._lock:
            if revocations == self._revocations:
                self._cache[family_id] = (live, (family.subject_type, family.subject_id))
        return live

    def revoked(self, family_id: str) -> None:
        if self._cache is None:
            return
        with self._lock:
            self._revocations += 1
            hit = self._cache.get(family_id)
            self._cache[family_id] = (False, hit[1] if hit else None)

    def subject_revoked(self, subject: tuple[str, int]) -> None:
        if self._cache is None:
            return
        with self._lock:
            self._revocations += 1
            for family_id, (_, owner) in list(self._cache.items()):
                if owner == subject:
                    self._cache[family_id] = (False, owner)


_CACHES: "weakref.WeakSet[LiveFamilies]" = weakref.WeakSet()  # every LiveFamilies of the process


def revoke_family(family: TokenFamily, *, now: datetime, reason: str) -> None:
    for cache in list(_CACHES):
        cache.revoked(family.id)
    if family.revoked_at is None:
        family.revoked_at = now
        family.revoked_reason = reason


def revoke_subject(session, subject, *, now: datetime, reason: str) -> None:
    """Revoke every sign-in of a staff member or patient (deactivation, unenrolment)."""
    subject_type, subject_id = subject_key(subject)
    for cache in list(_CACHES):
        cache.subject_revoked((subject_type, subject_id))
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
