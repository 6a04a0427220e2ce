"""The API's bearer tokens: JWTs over the core's token families (access.families).

An access token carries the subject, its role, its clinic and its family (`fam`); a refresh
token carries the family and the `jti` of its row, so that it can be rotated once.
"""

from datetime import datetime

from flask_jwt_extended import create_access_token, create_refresh_token

from access import families
from models import Staff, TokenFamily


def _role(subject) -> str:
    return subject.role if isinstance(subject, Staff) else "patient"


def encode_pair(subject, family: TokenFamily, refresh_jti: str, *, fresh: bool = False) -> dict:
    """`fresh`: the access token comes from a sign-in just made, not a refresh (a password
    change asks for one)."""
    identity = "{}:{}".format(*families.subject_key(subject))
    claims = {"role": _role(subject), "clinic": subject.clinic_id, "fam": family.id}
    access = create_access_token(identity=identity, additional_claims=claims, fresh=fresh)
    refresh = create_refresh_token(
        identity=identity, additional_claims={"fam": family.id, "jti": refresh_jti}
    )
    return {"access_token": access, "refresh_token": refresh, "token_type": "Bearer"}


def issue_tokens(session, subject, *, now: datetime, refresh_days: int) -> tuple[dict, TokenFamily]:
    """A new sign-in: a family and its first pair."""
    family = families.start_family(session, subject, now=now)
    row = families.new_refresh_token(session, family, now=now, days=refresh_days)
    return encode_pair(subject, family, row.jti, fresh=True), family
