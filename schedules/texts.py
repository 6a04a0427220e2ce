"""What the app shows for a reminder: a title and the full text in the patient's language, with
a window's end date written out (the SMS only ever says "new message")."""

from datetime import date

from babel.dates import format_date

from schedules.rules import Rule

LOCALES = {"en": "en_US", "es": "es"}


def _pick(texts: dict, language: str) -> str | None:
    return texts.get(language) or texts.get("en")


def reminder_title(rule: Rule, language: str) -> str:
    return _pick(rule.texts.get("title", {}), language) or rule.title


def reminder_text(rule: Rule, kind: str, language: str, ends_on: date | None) -> str | None:
    text = _pick(rule.texts.get(kind, {}), language)
    if text and ends_on is not None:  # replace, not format: clinic-edited texts may hold braces
        locale = LOCALES.get(language, "en_US")
        text = text.replace("{end_date}", format_date(ends_on, "long", locale=locale))
    return text
