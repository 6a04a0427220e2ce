"""The console's language for Flask-Babel: English or Spanish, chosen per request.

`?lang=es` switches and is remembered in the session; else the browser's Accept-Language; else
English. Only the console's pages choose: any other request (the JSON API, webhooks) gets English
and leaves the session alone. The UI strings live in `translations/` (`make translations`); the
clinical texts (advice, reminders, symptom names, SMS) stay reviewed data in en/es.
"""

from pathlib import Path

from flask import request, session
from flask_babel import Babel

LANGUAGES = ("en", "es")
CONSOLE_BLUEPRINTS = ("console", "links")
TRANSLATIONS = Path(__file__).resolve().parent / "translations"

babel = Babel()


def select_locale() -> str:
    """Flask-Babel's locale selector (called once per request, at the first translated string)."""
    if request.blueprint not in CONSOLE_BLUEPRINTS:
        return LANGUAGES[0]
    chosen = request.args.get("lang")
    if chosen in LANGUAGES:
        session["lang"] = chosen
    return session.get("lang") or browser_language() or LANGUAGES[0]


def browser_language() -> str | None:
    """The first of the browser's languages, in its order of preference, that we have.

    Not Werkzeug's `best_match`, which prefers any exact tag to a regional one: for
    "es-US,en-US;q=0.8,en;q=0.6" it answers "en", for a reader who put Spanish first.
    """
    for tag, quality in request.accept_languages:  # highest quality first
        primary = tag.replace("_", "-").split("-")[0].lower()
        if quality > 0 and primary in LANGUAGES:
            return primary
    return None
