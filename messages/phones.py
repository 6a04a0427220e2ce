"""Phone numbers as SMS and calls need them: E.164, valid for their country (phonenumbers)."""

import phonenumbers


def e164(raw: str) -> str:
    """The number in E.164; a ValueError says why not."""
    if not isinstance(raw, str) or len(raw) > 32:
        raise ValueError("Not a phone number; use international form, e.g. +12025550143.")
    try:
        number = phonenumbers.parse(raw, None)
    except phonenumbers.NumberParseException as exc:
        raise ValueError("Not a phone number; use international form, e.g. +12025550143.") from exc
    if not phonenumbers.is_valid_number(number):
        raise ValueError("Not a valid phone number for its country.")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
