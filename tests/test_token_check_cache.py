"""The token family check without a database round trip per request (TOKEN_CHECK_CACHE_SECONDS):
a family's state is remembered per process for the bound; a revocation this process makes is
effective at once, one another process makes within the bound."""

import time

import pytest
from sqlalchemy import create_engine, event, update

from access import families
from models import TokenFamily, db, utcnow
from tests.factories import PASSWORD, auth, make_clinic, make_staff

BOUND = 0.5


@pytest.fixture
def app_config():
    return {"TOKEN_CHECK_CACHE_SECONDS": BOUND}


@pytest.fixture
def nurse(app):
    return make_staff(make_clinic(), phone="+12025550143")


def family_of(headers) -> str:
    return db.session.query(TokenFamily.id).order_by(TokenFamily.created_at.desc()).first()[0]


def revoke_elsewhere(app, family_id):
    """Another process revokes the family: a plain UPDATE on its own connection, no call into
    this process's access.families."""
    engine = create_engine(app.config["SQLALCHEMY_DATABASE_URI"])
    with engine.begin() as conn:
        conn.execute(
            update(TokenFamily)
            .where(TokenFamily.id == family_id)
            .values(revoked_at=utcnow(), revoked_reason="elsewhere")
        )
    engine.dispose()


def family_reads(app):
    """Count the requests' reads of token_families."""
    reads = []
    with app.app_context():
        engine = db.engine

    def count(conn, cursor, statement, *args):
        if "FROM token_families" in statement:
            reads.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    return reads


def test_a_remembered_family_costs_no_read(client, app, nurse):
    headers = auth(nurse)
    reads = family_reads(app)
    assert client.get("/api/v1/patients", headers=headers).status_code == 200
    assert len(reads) == 1
    for _ in range(3):
        assert client.get("/api/v1/patients", headers=headers).status_code == 200
    assert len(reads) == 1  # remembered


def test_another_process_revocation_takes_effect_within_the_bound(client, app, nurse):
    clock = [1000.0]
    app.extensions["token_families"] = families.LiveFamilies(BOUND, timer=lambda: clock[0])
    headers = auth(nurse)
    assert client.get("/api/v1/patients", headers=headers).status_code == 200
    revoke_elsewhere(app, family_of(headers))
    clock[0] += BOUND * 0.9  # within the bound: still remembered live
    assert client.get("/api/v1/patients", headers=headers).status_code == 200
    clock[0] += BOUND * 0.2  # past it: read again, refused
    response = client.get("/api/v1/patients", headers=headers)
    assert response.status_code == 401 and response.json["error"] == "token_revoked"


def test_the_default_bound_is_five_seconds(app):
    assert app.extensions["token_families"].seconds == BOUND
    from api.config import load_config

    assert load_config(app.instance_path, environ={})["TOKEN_CHECK_CACHE_SECONDS"] == 5.0


def test_a_sign_out_here_takes_effect_at_once(client, nurse):
    headers = auth(nurse)
    assert client.get("/api/v1/patients", headers=headers).status_code == 200  # remembered live
    assert client.post("/api/v1/auth/logout", headers=headers).status_code == 204
    response = client.get("/api/v1/patients", headers=headers)
    assert response.status_code == 401 and response.json["error"] == "token_revoked"


def test_a_password_change_here_revokes_the_subjects_sign_ins_at_once(client, app, nurse):
    admin = make_staff(nurse.clinic, role="admin")
    nurse_headers = auth(nurse)
    assert client.get("/api/v1/patients", headers=nurse_headers).status_code == 200
    changed = client.patch(
        f"/api/v1/staff/{nurse.id}", json={"password": PASSWORD + "!"}, headers=auth(admin)
    )
    assert changed.status_code == 200, changed.json
    response = client.get("/api/v1/patients", headers=nurse_headers)
    assert response.status_code == 401 and response.json["error"] == "token_revoked"


def test_refresh_reuse_revokes_the_family_at_once(client, app, nurse):
    app.config["REFRESH_REUSE_GRACE_SECONDS"] = 0  # the second use is a copied token
    login = client.post("/api/v1/auth/login", json={"email": nurse.email, "password": PASSWORD})
    first = login.json
    access = {"Authorization": f"Bearer {first['access_token']}"}
    assert client.get("/api/v1/patients", headers=access).status_code == 200  # remembered live
    refresh = {"refresh_token": first["refresh_token"]}
    assert client.post("/api/v1/auth/refresh", json=refresh).status_code == 200
    time.sleep(0.01)
    assert client.post("/api/v1/auth/refresh", json=refresh).status_code == 401
    response = client.get("/api/v1/patients", headers=access)
    assert response.status_code == 401 and response.json["error"] == "token_revoked"


@pytest.mark.parametrize("app_config", [{"TOKEN_CHECK_CACHE_SECONDS": 0}])
def test_zero_reads_the_family_on_every_request(client, app, nurse):
    headers = auth(nurse)
    reads = family_reads(app)
    assert client.get("/api/v1/patients", headers=headers).status_code == 200
    assert client.get("/api/v1/patients", headers=headers).status_code == 200
    assert len(reads) == 2
    revoke_elsewhere(app, family_of(headers))
    assert client.get("/api/v1/patients", headers=headers).status_code == 401


def test_a_read_begun_before_a_revocation_here_is_not_remembered(app, nurse):
    """A request that read the family live just before this process revoked it must not put
    `live` back into the cache for the bound."""
    live = families.LiveFamilies(60)
    family_id = family_of(auth(nurse))

    class RevokedMeanwhile:  # another request of this process revokes during the read
        def get(self, model, ident):
            row = db.session.get(model, ident)
            live.revoked(family_id)
            return row

    assert live.is_live(RevokedMeanwhile(), family_id) is True  # what it read
    assert live.is_live(db.session, family_id) is False
