"""/metrics is not public (issue 10, item 20): with METRICS_TOKEN, only that bearer token; without
it, only requests made on this machine and not relayed by a proxy."""

import pytest

from api import create_app
from tests.conftest import make_config

TOKEN = "m" * 32
LOCAL = {"REMOTE_ADDR": "127.0.0.1"}
REMOTE = {"REMOTE_ADDR": "203.0.113.9"}


def get(client, environ, headers=None):
    return client.get("/metrics", environ_base=environ, headers=headers or {})


def assert_refused(response, code):
    assert response.status_code == code
    assert set(response.json) == {"code", "status", "error", "message", "errors"}  # envelope
    assert "besponsa_outbox_messages" not in response.get_data(as_text=True)


@pytest.mark.parametrize("address", ["127.0.0.1", "127.0.0.2", "::1", "::ffff:127.0.0.1"])
def test_without_a_token_this_machine_may_read_them(client, address):
    response = get(client, {"REMOTE_ADDR": address})
    assert response.status_code == 200 and "besponsa_outbox_messages" in response.text


@pytest.mark.parametrize("address", ["203.0.113.9", "10.0.0.2", "::ffff:10.0.0.2", "", "unix"])
def test_without_a_token_other_machines_are_refused(client, address):
    assert_refused(get(client, {"REMOTE_ADDR": address}), 403)


@pytest.mark.parametrize("header", ["X-Forwarded-For", "X-Real-IP", "Forwarded"])
def test_without_a_token_a_request_relayed_by_a_local_proxy_is_refused(client, header):
    assert_refused(get(client, LOCAL, {header: "203.0.113.9"}), 403)


class TestWithAToken:
    @pytest.fixture
    def app_config(self):
        return {"METRICS_TOKEN": TOKEN}

    def test_the_token_from_anywhere(self, client):
        for scheme in ("Bearer", "bearer"):
            response = get(client, REMOTE, {"Authorization": f"{scheme} {TOKEN}"})
            assert response.status_code == 200 and "besponsa_outbox_messages" in response.text

    @pytest.mark.parametrize(
        "authorization",
        [None, "", "Bearer", f"Bearer {TOKEN}x", f"Bearer {TOKEN[:-1]}", f"Basic {TOKEN}", TOKEN],
    )
    def test_no_or_a_wrong_token_is_refused_even_on_this_machine(self, client, authorization):
        headers = {} if authorization is None else {"Authorization": authorization}
        for environ in (LOCAL, REMOTE):
            response = get(client, environ, headers)
            assert_refused(response, 401)
            assert response.headers["WWW-Authenticate"].startswith("Bearer")


class TestBehindATrustedProxy:
    @pytest.fixture
    def app_config(self):
        return {"TRUSTED_PROXY_COUNT": 1}

    def test_the_client_the_proxy_names_decides(self, client):
        proxy = {"REMOTE_ADDR": "10.0.0.2"}
        assert get(client, proxy, {"X-Forwarded-For": "127.0.0.1"}).status_code == 200
        assert_refused(get(client, proxy, {"X-Forwarded-For": "203.0.113.9"}), 403)


def test_a_short_token_is_refused_at_start(migrated, tmp_path):
    with pytest.raises(RuntimeError, match="METRICS_TOKEN"):
        create_app(make_config(migrated, tmp_path, METRICS_TOKEN="short"))
