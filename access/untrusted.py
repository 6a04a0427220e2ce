"""Untrusted input both front ends parse the same way: JSON that is unsafe to parse or store
(NaN, Infinity, overflowing numbers, deep nesting, lone surrogates), and the NUL character, which
PostgreSQL text cannot hold. Plain Python: the API's request parser and the console's forms call
it."""

import json
import math
import re

MAX_DEPTH = 32  # the deepest body we take is 4 levels
NUL = "\x00"
NUL_MESSAGE = "Must not contain the NUL character."


class UnsafeJSON(ValueError):
    pass


def _no_constants(name: str):
    raise UnsafeJSON(f"{name} is not a JSON number.")


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise UnsafeJSON("A number is out of range.")
    return value


def _too_deep(value, limit: int = MAX_DEPTH) -> bool:
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            if depth > limit:
                return True
            stack.extend((child, depth + 1) for child in _children(item))
    return False


def _children(item):
    return item.values() if isinstance(item, dict) else item


# JSON's "\ud83d" escape alone (an app that cut a string inside an emoji): not a character, so
# no database, log or SMS can encode it.
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def _has_lone_surrogate(value) -> bool:
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if _LONE_SURROGATE.search(item):
                return True
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


def loads(data: bytes) -> object:
    """json.loads without NaN, Infinity, overflowing floats, 4,300-digit integers, nesting
    deeper than MAX_DEPTH (Python's own limit is a RecursionError) or lone surrogates."""
    try:
        value = json.loads(data.decode("utf-8"), parse_constant=_no_constants, parse_float=_finite)
    except UnsafeJSON:
        raise
    except RecursionError as exc:
        raise UnsafeJSON(f"Nested deeper than {MAX_DEPTH} levels.") from exc
    except (UnicodeDecodeError, ValueError) as exc:  # JSONDecodeError, too many digits
        raise UnsafeJSON("The body is not valid JSON.") from exc
    if _too_deep(value):
        raise UnsafeJSON(f"Nested deeper than {MAX_DEPTH} levels.")
    if _has_lone_surrogate(value):
        raise UnsafeJSON("A string holds half of a character (a lone \\ud800-\\udfff escape).")
    return value


def nul_errors(value):
    """Field errors shaped like marshmallow's for every string (or key) holding a NUL."""
    if isinstance(value, str):
        return [NUL_MESSAGE] if NUL in value else None
    if not isinstance(value, dict | list):
        return None
    errors = {}
    for key, item in value.items() if isinstance(value, dict) else enumerate(value):
        found = [NUL_MESSAGE] if isinstance(key, str) and NUL in key else nul_errors(item)
        if found:
            errors[key] = found
    return errors or None
