"""The console's catalogs keep up with its code: every string the templates and console/*.py
pass to gettext has a Spanish translation, the committed .mo is the .po compiled, placeholders
and markup survive translation, and no visible template text bypasses gettext.

When one of these fails: `make translations`, translate what is new in
console/translations/es/LC_MESSAGES/messages.po, and `make translations` again.
"""

import re
from html.parser import HTMLParser
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po
from jinja2 import Environment

ROOT = Path(__file__).resolve().parent.parent
CATALOGS = ROOT / "console" / "translations"
SPANISH = CATALOGS / "es" / "LC_MESSAGES"
TEMPLATES = ROOT / "console" / "templates" / "console"
# Words a template may show outside gettext: each language's own name, and fixed codes.
UNTRANSLATED_WORDS = {"English", "Español", "STOP", "UTC"}
# Attributes people read (or hear, through a screen reader).
READ_ATTRIBUTES = {"aria-label", "data-label", "title", "alt", "placeholder"}


def extracted() -> dict:
    """{(msgid, context): "file:line"} for every gettext call in the console, as babel.cfg says."""
    with open(ROOT / "babel.cfg") as config:
        method_map, options_map = parse_mapping_cfg(config)
    found = {}
    for filename, lineno, message, _comments, context in extract_from_dir(
        str(ROOT), method_map, options_map, keywords=DEFAULT_KEYWORDS
    ):
        found.setdefault((message, context), f"{filename}:{lineno}")
    return found


def spanish_po() -> Catalog:
    with open(SPANISH / "messages.po", "rb") as po:
        return read_po(po, locale="es")


def entries(catalog: Catalog) -> dict:
    """{(msgid, context): translation} of the messages a compiled catalog serves."""
    served = {}
    for m in catalog:
        msgid, string = _plain(m.id), _plain(m.string)
        if msgid and not m.fuzzy and all(string if isinstance(string, tuple) else [string]):
            served[(msgid, m.context)] = string
    return served


def _plain(value):
    """A plural message's forms as a tuple (the .mo reader gives lists)."""
    return tuple(value) if isinstance(value, list | tuple) else value


def untranslated(used: dict, catalog: Catalog) -> list[str]:
    """The msgids in use that the catalog does not translate (missing, fuzzy or empty)."""
    served = entries(catalog)
    missing = []
    for (msgid, context), where in sorted(used.items(), key=lambda kv: kv[1]):
        string = served.get((msgid, context))
        wrong_plurals = isinstance(msgid, tuple) and len(string or ()) != catalog.num_plurals
        if string is None or wrong_plurals:
            missing.append(f"{where}: {msgid!r}")
    return missing


def test_every_console_string_has_a_spanish_translation():
    assert untranslated(extracted(), spanish_po()) == []


def test_the_spanish_catalog_has_only_strings_the_console_uses():
    stale = {(m.id, m.context) for m in spanish_po() if m.id} - set(extracted())
    assert stale == set()  # `make translations` drops them


def test_the_check_catches_a_string_without_translation():
    catalog = Catalog(locale="es")
    catalog.add("Alerts", "Alertas")
    catalog.add("Patients", "", flags=["fuzzy"])
    catalog.add(("%(num)d min", "%(num)d min"), ("%(num)d min", "%(num)d min"))  # es needs 3
    used = {("Alerts", None): "t:1", ("Patients", None): "t:2", ("Staff", None): "t:3"}
    used[(("%(num)d min", "%(num)d min"), None)] = "t:4"
    assert [line.split(":")[1] for line in untranslated(used, catalog)] == ["2", "3", "4"]


def test_the_committed_mo_is_the_po_compiled():
    with open(SPANISH / "messages.mo", "rb") as mo:
        compiled = read_mo(mo)
    po = spanish_po()
    assert entries(compiled) == entries(po)
    assert compiled.plural_forms == po.plural_forms


def test_translations_keep_their_placeholders_and_markup():
    problems = []
    for message, errors in spanish_po().check():
        problems += [f"{message.id!r}: {error}" for error in errors]
    for (msgid, _context), string in entries(spanish_po()).items():
        for source, translation in zip(
            msgid if isinstance(msgid, tuple) else [msgid],
            string if isinstance(string, tuple) else [string],
            strict=False,
        ):
            # Templates insert translations as markup, into attributes too.
            if re.findall(r"<[^>]*>", source) != re.findall(r"<[^>]*>", translation):
                problems.append(f"{source!r}: markup differs")
            if '"' in translation and '"' not in source:
                problems.append(f"{source!r}: a double quote would end an attribute")
    assert problems == []


class _VisibleText(HTMLParser):
    """The text a person reads in a template's literal HTML (Jinja code blanked out)."""

    def __init__(self):
        super().__init__()
        self.texts = []

    def handle_starttag(self, tag, attrs):
        self.texts += [value for name, value in attrs if name in READ_ATTRIBUTES and value]

    def handle_data(self, data):
        self.texts.append(data)


def words_outside_gettext(source: str) -> set[str]:
    tokens = Environment(extensions=["jinja2.ext.i18n"]).lex(source)
    literal = "".join(value if kind == "data" else "\x00" for _line, kind, value in tokens)
    parser = _VisibleText()
    parser.feed(literal)
    words = {w for text in parser.texts for w in re.findall(r"[^\W\d_]{2,}", text)}
    return words - UNTRANSLATED_WORDS


def test_templates_show_no_text_outside_gettext():
    found = {t.name: words_outside_gettext(t.read_text()) for t in TEMPLATES.glob("*.html")}
    assert len(found) >= 12
    assert {name: words for name, words in found.items() if words} == {}


def test_the_template_check_catches_untranslated_text():
    assert words_outside_gettext('<h2>{{ _("Doses") }}</h2><p>New section</p>') == {
        "New",
        "section",
    }
    assert words_outside_gettext('<td data-label="Rule">{{ r.id }}</td>') == {"Rule"}
    assert words_outside_gettext("<td data-label=\"{{ _('Rule') }}\">{{ 'x' }} UTC</td>") == set()
