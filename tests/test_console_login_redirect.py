"""After sign-in the console goes on only to one of its own pages (issue 10, item 17): never to
another site, however the `next` parameter is dressed up, and never a 500."""

from urllib.parse import quote

import pytest

from tests.factories import PASSWORD, make_clinic, make_staff
from tests.test_console import csrf_of

BOARD = "/console/"

# What a browser would make of each: tabs and newlines dropped, backslashes read as slashes.
REFUSED = [
    "/\t/evil.example",
    "/\n/evil.example",
    "/\r\n/evil.example",
    "\t//evil.example",
    "/console/\t/x",
    "/\x00/evil.example",
    "/\x7f/evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "/console/\\..\\\\evil.example",
    "//evil.example",
    "///evil.example",
    "////evil.example/console/",
    " //evil.example",
    "https:evil.example",
    "https://evil.example/console/",
    "http:/evil.example",
    "HTTPS://evil.example",
    "javascript:alert(1)",
    "data:text/html,hi",
    "evil.example",
    "console/",
    "%2F%2Fevil.example",  # still encoded once decoded: not a path
    "/%2F/evil.example",  # a path, but not the console's
    "/\u200b/evil.example",  # zero-width space (format character)
    "/\u2028/evil.example",  # line separator
    "\uff0f\uff0fevil.example",  # fullwidth solidus
    "/api/v1/me",  # same site, but not a console page
    "/console/" + "a" * 3000,
    "",
]
ACCEPTED = [
    "/console/alerts/3",
    "/console/?status=open",
    "/console/patients/2?lang=es",
    "/c/Ab3_-x9",
    "/console/%2F%2Fevil.example",  # a console path (a 404 there), on this site
]


@pytest.fixture
def app_config():
    return {"LOGIN_RATE_LIMIT": "1000/minute"}  # many sign-ins from one address


@pytest.fixture
def nurse(app):
    return make_staff(make_clinic())


def sign_in_with_next(client, staff, query: str):
    page = client.get("/console/login")
    return client.post(
        f"/console/login?{query}",
        data={
            "email": staff.email,
            "password": PASSWORD,
            "csrf_token": csrf_of(page),
        },
    )


@pytest.mark.parametrize("target", REFUSED, ids=lambda t: repr(t)[:40])
def test_a_next_that_leaves_the_console_goes_to_the_board(client, nurse, target):
    response = sign_in_with_next(client, nurse, "next=" + quote(target, safe=""))
    if "\x00" in target:  # a NUL in any console query is refused before sign-in is tried
        assert response.status_code == 400 and "Location" not in response.headers
        return
    assert response.status_code == 302
    assert response.headers["Location"] == BOARD


@pytest.mark.parametrize("target", ACCEPTED, ids=lambda t: repr(t)[:40])
def test_a_console_page_is_where_sign_in_goes_on(client, nurse, target):
    response = sign_in_with_next(client, nurse, "next=" + quote(target, safe=""))
    assert response.status_code == 302
    assert response.headers["Location"] == target


@pytest.mark.parametrize(
    "query",
    ["next=%2F%09%2Fevil.example", "next=%2F%0A%2Fevil.example", "next=%2F%0D%0ASet-Cookie:x=1"],
)
def test_the_reported_urls(client, nurse, query):
    response = sign_in_with_next(client, nurse, query)
    assert (response.status_code, response.headers["Location"]) == (302, BOARD)
    assert "Set-Cookie: x" not in str(response.headers)


def test_unicode_in_a_console_path_is_percent_encoded(client, nurse):
    response = sign_in_with_next(client, nurse, "next=" + quote("/console/?q=\u00fc\u2603"))
    assert response.headers["Location"] == "/console/?q=%C3%BC%E2%98%83"
