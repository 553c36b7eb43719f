"""The staff workspace is shown in English but every text a staff member reads is marked
for gettext (domain `staff`), so catalogues can be written for it without touching the
templates again. These tests read the sources only: no page is rendered."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from jinja2 import Environment

ROOT = Path(__file__).resolve().parents[2]
STAFF_TEMPLATES = sorted((ROOT / "api" / "templates" / "staff").glob("*.html"))
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "pgettext": ((1, "c"), 2)}

# What a template may show unmarked: signs and abbreviations that are the same in every
# language the workspace could be translated into.
NOT_LANGUAGE = {"©", "·", "…", "UTC", "CSV"}
# The attributes whose values a person reads (or hears); `value` on the inputs that are
# buttons (a <button>'s value is sent, never shown).
READ_ATTRIBUTES = {"title", "aria-label", "placeholder", "alt"}
# Where an expression or a marked text stood in a template, once they are taken out.
HOLE = "\ufffc"
LETTER = re.compile(r"[^\W\d_]")
# A macro that writes attributes into its caller's tag: markup, not text.
ATTRIBUTES_ONLY = re.compile(r'\s*(?:[\w:-]+="[^"]*"\s*)+')


def _lexer() -> Environment:
    return Environment(extensions=["jinja2.ext.i18n"])


def _unmarked_html(source: str) -> tuple[str, list[str]]:
    """The template as HTML with every expression and marked text replaced by a hole and
    every other tag by a space; and the bodies of the {% trans %} blocks without `trimmed`."""
    parts: list[str] = []
    untrimmed: list[str] = []
    in_trans = False
    trimmed = False
    trans_body: list[str] = []
    block: list[tuple[str, str]] = []
    in_block = False
    for _line, kind, value in _lexer().lex(source):
        if kind == "block_begin":
            in_block, block = True, []
            continue
        if kind == "block_end":
            in_block = False
            names = [v for k, v in block if k == "name"]
            if names[:1] == ["trans"]:
                in_trans, trimmed, trans_body = True, "trimmed" in names, []
            elif names[:1] == ["endtrans"]:
                in_trans = False
                parts.append(HOLE)
                if not trimmed:
                    untrimmed.append("".join(trans_body))
            elif not in_trans:
                parts.append(" ")
            continue
        if in_block:
            block.append((kind, value))
        elif in_trans:
            trans_body.append(value if kind == "data" else HOLE)
        elif kind == "data":
            parts.append(value)
        elif kind == "variable_begin":
            parts.append(HOLE)
    return "".join(parts), untrimmed


class _VisibleText(HTMLParser):
    """Text nodes and read attributes of an HTML page, outside <script> and <style>."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        # (what is read: the text, or an attribute's name and "=", the text)
        self.found: list[tuple[str, str]] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self._hidden += 1
        values = dict(attrs)
        read = set(READ_ATTRIBUTES)
        if tag == "input" and values.get("type") in ("submit", "button", "reset"):
            read.add("value")
        self.found.extend((f"{name}=", value) for name, value in attrs if name in read and value)

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style") and self._hidden:
            self._hidden -= 1

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            self.found.append(("", data))


def _is_language(text: str) -> bool:
    if ATTRIBUTES_ONLY.fullmatch(text):
        return False
    words = [word for word in re.split(r"[\s" + HOLE + r"]+", text) if word]
    # A path such as /c/<slug> is an address, not words.
    left = [w for w in words if w.strip("()[]:;,.!?") not in NOT_LANGUAGE and w[0] != "/"]
    return any(LETTER.search(word) for word in left)


def unmarked_texts(source: str) -> list[str]:
    html, _untrimmed = _unmarked_html(source)
    parser = _VisibleText()
    parser.feed(html)
    parser.close()
    return [
        where + " ".join(text.replace(HOLE, " ").split())
        for where, text in parser.found
        if _is_language(text)
    ]


@pytest.mark.parametrize("path", STAFF_TEMPLATES, ids=lambda path: path.name)
def test_every_text_of_a_staff_template_is_marked(path: Path) -> None:
    assert unmarked_texts(path.read_text(encoding="utf-8")) == []


@pytest.mark.parametrize("path", STAFF_TEMPLATES, ids=lambda path: path.name)
def test_a_text_marked_without_trimmed_is_one_line_as_extracted(path: Path) -> None:
    """staff.cfg extracts every block trimmed: a block shown untrimmed must already be its
    own trimmed form, or the catalogue's message would never match the page's."""
    _html, untrimmed = _unmarked_html(path.read_text(encoding="utf-8"))
    assert [body for body in untrimmed if body != " ".join(body.split())] == []


def test_an_unmarked_text_or_label_is_found() -> None:
    source = (
        '{% extends "x.html" %}<h1>{% trans %}Marked{% endtrans %}</h1>'
        '<p>{{ _("Also marked") }} {{ name }} ·</p><p>Left behind</p>'
        '<button value="go" class="big">{{ _("Go") }}</button><input type="submit" value="Go now">'
        '<nav aria-label="Main"></nav><script>var label = "Not shown";</script>'
        "<!-- a comment --><style>p { color: red }</style>"
    )
    assert unmarked_texts(source) == ["Left behind", "value=Go now", "aria-label=Main"]


def _staff_messages() -> tuple[dict[str, object], set[str]]:
    """Every message of the staff domain (its msgid, and the message as extracted: a
    tuple for a plural) and the files they come from."""
    with (ROOT / "campaign" / "locale" / "staff.cfg").open(encoding="utf-8") as file:
        method_map, options_map = parse_mapping_cfg(file)
    messages: dict[str, object] = {}
    sources: set[str] = set()
    for filename, _line, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map, options_map, keywords=KEYWORDS, comment_tags=("Translators:",)
    ):
        messages[message if isinstance(message, str) else message[0]] = message
        sources.add(filename)
    return messages, sources


def test_the_staff_domain_holds_the_workspace_messages() -> None:
    messages, sources = _staff_messages()
    # One of each kind: a template's text, a plural, a text with a variable, a form's
    # error worded in Python and a notice.
    assert "Log out" in messages
    assert messages["%(donations)s donation"] == (
        "%(donations)s donation",
        "%(donations)s donations",
    )
    assert "Welcome, %(name)s" in messages
    assert "Enter a title." in messages
    assert "The draft is saved." in messages
    # Every staff template with words in it, and nothing but the staff workspace.
    wordless = {"_ui.html"}
    templates = {f"api/templates/staff/{path.name}" for path in STAFF_TEMPLATES}
    assert {name for name in templates if name.rsplit("/", 1)[1] not in wordless} <= sources
    assert all(name.startswith(("api/dashboard/", "api/templates/staff/")) for name in sources)
