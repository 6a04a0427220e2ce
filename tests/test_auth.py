"""Staff sign-in, refresh rotation with reuse detection, logout, and their audit events."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from models import AuditEvent, RefreshToken, TokenFamily, db
from tests.factories import PASSWORD, auth, issue_tokens, make_clinic, make_staff


def login(client, email, password=PASSWORD):
    return client.post("/api/v1/auth/login", json={"email": email, "password": password})


def audit_actions(outcome=None):
    stmt = select(AuditEvent).order_by(AuditEvent.id)
    return [(e.action, e.outcome) for e in db.session.scalars(stmt)]


@pytest.fixture
def nurse(app):
    return make_staff(make_clinic(), email="nurse@example.org")


def test_login_returns_tokens_that_work(client, nurse):
    response = login(client, "Nurse@Example.org")
    assert response.status_code == 200
    body = response.json
    assert body["token_type"] == "Bearer" and body["expires_in"] == 15 * 60
    me = client.get("/api/v1/patients", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.status_code == 200
    assert ("auth.login", "success") in audit_actions()


@pytest.mark.parametrize("email", ["nurse@example.org", "nobody@example.org"])
def test_wrong_credentials_get_one_answer_and_are_audited(client, nurse, email):
    response = login(client, email, "wrong password!!")
    assert response.status_code == 401
    assert response.json == {
        "code": 401,
        "status": "Unauthorized",
        "error": "bad_credentials",
        "message": "Wrong email or password.",
        "errors": {},
    }
    assert audit_actions() == [("auth.login", "failure")]


def test_inactive_staff_cannot_sign_in_nor_use_old_tokens(client, nurse):
    headers = auth(nurse)
    nurse.active = False
    db.session.commit()
    assert login(client, nurse.email).status_code == 401
    assert client.get("/api/v1/patients", headers=headers).status_code == 401
    assert ("auth.login", "denied") in audit_actions()


def test_refresh_rotates_and_the_old_token_stops_working(client, nurse, app):
    app.config["REFRESH_REUSE_GRACE_SECONDS"] = 0
    first = login(client, nurse.email).json
    second = client.post("/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert second.status_code == 200
    assert second.json["refresh_token"] != first["refresh_token"]
    # Presenting the used token again is reuse: the whole family is revoked...
    reuse = client.post("/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert reuse.status_code == 401
    # ...including the new tokens the thief or the owner holds.
    headers = {"Authorization": f"Bearer {second.json['access_token']}"}
    assert client.get("/api/v1/patients", headers=headers).status_code == 401
    again = client.post(
        "/api/v1/auth/refresh", json={"refresh_token": second.json["refresh_token"]}
    )
    assert again.status_code == 401
    family = db.session.scalar(select(TokenFamily))
    assert family.revoked_reason == "refresh_reuse"
    assert ("auth.refresh_reuse", "denied") in audit_actions()


def test_a_retry_within_the_grace_period_is_not_reuse(client, nurse):
    """A phone whose refresh response was lost retries with the same token."""
    first = login(client, nurse.email).json
    lost = client.post("/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]})
    retry = client.post("/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert lost.status_code == retry.status_code == 200
    ok = client.post("/api/v1/auth/refresh", json={"refresh_token": retry.json["refresh_token"]})
    assert ok.status_code == 200
    # Once the chain moved on from the retry's answer, the lost answer is dead, and presenting it
    # is reuse: the family is gone.
    dead = client.post("/api/v1/auth/refresh", json={"refresh_token": lost.json["refresh_token"]})
    assert dead.status_code == 401
    assert db.session.scalar(select(TokenFamily)).revoked_reason == "refresh_reuse"


def test_two_refreshes_that_race_and_answer_out_of_order_keep_the_sign_in(client, nurse):
    """Two requests met token_expired together; the phone kept the first answer (X1), which the
    second refresh had superseded with X2. Within the grace X1 is a retry, not theft."""
    first = login(client, nurse.email).json
    x1 = client.post("/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]}).json
    x2 = client.post("/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]}).json
    kept = client.post("/api/v1/auth/refresh", json={"refresh_token": x1["refresh_token"]})
    assert kept.status_code == 200, kept.json
    # The other request's thread presents X2 too: still the same race, still signed in.
    other = client.post("/api/v1/auth/refresh", json={"refresh_token": x2["refresh_token"]})
    assert other.status_code == 200, other.json
    headers = {"Authorization": f"Bearer {other.json['access_token']}"}
    assert client.get("/api/v1/patients", headers=headers).status_code == 200
    assert db.session.scalar(select(TokenFamily)).revoked_at is None
    # One live chain: the answer superseded last is dead once the chain moves on from the other.
    moved = client.post("/api/v1/auth/refresh", json={"refresh_token": other.json["refresh_token"]})
    assert moved.status_code == 200
    stale = client.post("/api/v1/auth/refresh", json={"refresh_token": kept.json["refresh_token"]})
    assert stale.status_code == 401


def test_a_superseded_twin_past_the_grace_period_is_reuse(client, nurse):
    first = login(client, nurse.email).json
    x1 = client.post("/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]}).json
    client.post("/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]})
    for row in db.session.scalars(select(RefreshToken).where(RefreshToken.revoked_at.is_not(None))):
        row.revoked_at -= timedelta(seconds=31)
    db.session.commit()
    reuse = client.post("/api/v1/auth/refresh", json={"refresh_token": x1["refresh_token"]})
    assert reuse.status_code == 401
    assert db.session.scalar(select(TokenFamily)).revoked_reason == "refresh_reuse"


def test_a_used_token_past_the_grace_period_revokes_the_family(client, nurse):
    first = login(client, nurse.email).json
    refreshed = client.post("/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert refreshed.status_code == 200
    row = db.session.scalar(select(RefreshToken).where(RefreshToken.used_at.is_not(None)))
    row.used_at -= timedelta(seconds=31)
    db.session.commit()
    reuse = client.post("/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert reuse.status_code == 401
    assert db.session.scalar(select(TokenFamily)).revoked_reason == "refresh_reuse"


@pytest.mark.parametrize(
    "token", ["", "garbage", "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJzdGFmZjoxIn0.bad"]
)
def test_refresh_refuses_garbage(client, nurse, token):
    response = client.post("/api/v1/auth/refresh", json={"refresh_token": token})
    assert response.status_code in (401, 422)
    assert set(response.json) >= {"code", "status", "message"}


def test_an_access_token_is_not_a_refresh_token(client, nurse):
    tokens = issue_tokens(nurse)
    response = client.post("/api/v1/auth/refresh", json={"refresh_token": tokens["access_token"]})
    assert response.status_code == 401


def test_a_refresh_token_is_not_an_access_token(client, nurse):
    tokens = issue_tokens(nurse)
    headers = {"Authorization": f"Bearer {tokens['refresh_token']}"}
    assert client.get("/api/v1/patients", headers=headers).status_code == 401


def test_logout_revokes_access_and_refresh(client, nurse):
    tokens = login(client, nurse.email).json
    headers = {"Authorization": f"Bearer {tokens['access_token']}"}
    assert client.post("/api/v1/auth/logout", headers=headers).status_code == 204
    assert client.get("/api/v1/patients", headers=headers).status_code == 401
    response = client.post("/api/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert response.status_code == 401
    assert ("auth.logout", "success") in audit_actions()


def test_tokens_signed_with_another_key_are_refused(client, nurse, app):
    tokens = issue_tokens(nurse)
    app.config["JWT_SECRET_KEY"] = "another-secret-key-that-is-long-enough-for-hs256"
    headers = {"Authorization": f"Bearer {tokens['access_token']}"}
    response = client.get("/api/v1/patients", headers=headers)
    assert response.status_code == 401
    assert response.json["message"] == "Invalid token."


@pytest.mark.parametrize("app_config", [{"LOGIN_RATE_LIMIT": "3/minute"}])
def test_login_is_rate_limited(client, nurse):
    codes = [login(client, nurse.email, "wrong password!!").status_code for _ in range(4)]
    assert codes == [401, 401, 401, 429]
    blocked = login(client, nurse.email)  # even the right password, until the window passes
    assert blocked.status_code == 429
    assert blocked.json["code"] == 429 and "Retry-After" in blocked.headers


def test_a_password_change_needs_a_token_from_a_sign_in_not_a_refresh(client, app):
    clinic = make_clinic()
    admin = make_staff(clinic, role="admin", email="admin@example.org")
    signed_in = login(client, admin.email).json
    refreshed = client.post(
        "/api/v1/auth/refresh", json={"refresh_token": signed_in["refresh_token"]}
    ).json
    url, body = f"/api/v1/staff/{admin.id}", {"password": "A new long passphrase 1"}
    stale = client.patch(
        url, json=body, headers={"Authorization": f"Bearer {refreshed['access_token']}"}
    )
    assert stale.status_code == 401 and stale.json["error"] == "token_not_fresh"
    assert login(client, admin.email).status_code == 200  # unchanged
    # Other changes take a refreshed token; the password one takes a sign-in's.
    renamed = client.patch(
        url,
        json={"name": "Renamed"},
        headers={"Authorization": f"Bearer {refreshed['access_token']}"},
    )
    assert renamed.status_code == 200
    fresh = login(client, admin.email).json["access_token"]
    changed = client.patch(url, json=body, headers={"Authorization": f"Bearer {fresh}"})
    assert changed.status_code == 200
    assert login(client, admin.email, "A new long passphrase 1").status_code == 200
