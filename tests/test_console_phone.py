"""Every console page on a phone 360 and 390 px wide: no sideways scrolling of the page, the
page's main action on screen and big enough to tap (44 px, WCAG 2.5.5), and nothing refused by
the Content-Security-Policy."""

import pytest

from tests.browser import new_page, require_chromium, sign_in
from tests.factories import make_message

pytestmark = pytest.mark.browser
require_chromium()

TAP = 44


def pages(alert, patient):
    """(who is signed in, path, the page's main action) for every console page."""
    case = f"Case {alert.case_code}"
    return [
        (None, "/console/login", "role=button[name='Sign in']"),
        (None, "/c/no-such-token", "main >> role=link[name='Sign in']"),
        ("nurse", "/console/", f"main >> role=link[name='{alert.case_code}']"),
        ("nurse", f"/console/alerts/{alert.id}", "role=button[name='Acknowledge']"),
        ("nurse", f"/console/alerts/{alert.id}", "main >> role=button[name='Resolve']"),
        ("nurse", "/console/patients", f"main >> role=link[name='{patient.display_name}']"),
        ("nurse", f"/console/patients/{patient.id}", f"main >> role=link[name='{case}']"),
        ("nurse", "/console/alerts/999999", "main >> role=link[name='Alerts']"),
        ("nurse", "/console/admin/rules", "main >> role=link[name='Alerts']"),
        ("admin", "/console/admin/rules", "#rule-R-CONTRA-F >> role=button[name='Save']"),
        ("admin", "/console/admin/escalation", "main >> role=button[name='Save']"),
        ("admin", "/console/admin/staff", "main >> role=button[name='yes']"),
        ("admin", "/console/admin/messages", "main >> role=button[name='Retry']"),
        ("admin", "/console/admin/audit", "main >> role=button[name='Filter']"),
    ]


def measure(page, selector) -> dict | None:
    """The page's width, and the target's box as laid out on the page (not after scrolling
    sideways to it), so a target off the right edge counts as off screen. None: missing."""
    target = page.locator(selector)
    if not target.count():
        return None
    return target.first.evaluate(
        """(el) => {
            const r = el.getBoundingClientRect();
            return {page: document.scrollingElement.scrollWidth, left: r.left + window.scrollX,
                    right: r.right + window.scrollX, width: r.width, height: r.height};
        }"""
    )


def problems_of(m, selector, width) -> list[str]:
    if m is None:
        return [f"no {selector}"]
    wrong = []
    if m["page"] > width:
        wrong.append(f"the page is {m['page']} px wide")
    if m["left"] < 0 or m["right"] > width:
        wrong.append(f"{selector} spans {m['left']:.0f}-{m['right']:.0f} px")
    if m["height"] < TAP or m["width"] < TAP:
        wrong.append(f"{selector} is {m['width']:.0f}x{m['height']:.0f} px")
    return wrong


@pytest.mark.parametrize("width", [360, 390])
def test_every_console_page_fits_a_phone(server, browser, world, width):
    _, nurse, admin, patient, alert = world
    make_message(admin.clinic, "undelivered", "dead")
    signed_in, refused = {}, []
    for who, member in [(None, None), ("nurse", nurse), ("admin", admin)]:
        signed_in[who] = new_page(browser, width)
        signed_in[who].on(
            "console", lambda m: "Content Security Policy" in m.text and refused.append(m.text)
        )
        if member is not None:
            signed_in[who].goto(f"{server}/console/login")
            sign_in(signed_in[who], member.email)
            signed_in[who].wait_for_url("**/console/")
    problems, widths = {}, {}
    for who, path, selector in pages(alert, patient):
        signed_in[who].goto(server + path)
        m = measure(signed_in[who], selector)
        widths[path] = m and m["page"]
        if wrong := problems_of(m, selector, width):
            problems[f"{who} {path}"] = wrong
    print(f"\npage widths at {width} px:", widths)
    for page in signed_in.values():
        page.context.close()
    assert not problems, problems
    assert refused == []  # console.css does it all: no inline style, no script
