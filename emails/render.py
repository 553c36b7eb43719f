"""Turn outbox rows into batches: one rendering of a template shared by many recipients,
with each recipient's own values (name, links) as substitutions.

Batching is what lets one provider request carry up to 1,000 emails. The template is
rendered once per group of messages with the same kind and the same shared values
(a campaign's title, say); where a recipient's value belongs, the rendering holds a tag
such as `[%given_name:html%]`, and each recipient brings its values for the tags: HTML-
escaped for the HTML part, as typed for the text part. The file and console backends
substitute locally; SendGrid substitutes on its side (`personalizations[].substitutions`).

An email is written in its campaign's language, which the flow that queues it puts in
the row's context (`language`; a mailing's copies have their mailing's). The language is
part of a group's key, and each language has its own environment: the templates with
that language's catalogue (domain `emails`) and Babel's formatting for its locale. Dates
and amounts are kept raw in the outbox and written for the language once per group.
Staff's emails are in English, as their workspace is. A row queued before emails had a
language is written in English.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from functools import lru_cache
from pathlib import Path
from typing import Any

import css_inline
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import escape

from campaign.config import Settings
from campaign.db import utcnow
from campaign.followups.service import answer_links
from campaign.i18n import (
    SOURCE_LANGUAGE,
    babel_locale,
    format_date,
    format_money,
    format_number,
    supported_language,
    translations,
)
from campaign.outbox.models import MAILING_KINDS, EmailKind, OutboxMessage
from campaign.outbox.service import TRANSACTIONAL_KINDS
from campaign.outbox.unsubscribe import ONE_CLICK_POST, unsubscribe_url

_TEMPLATES = Path(__file__).parent / "templates"


@lru_cache(maxsize=32)
def environment(language: str) -> Environment:
    """The templates as written in one language (a tag `email_language` gave): its
    catalogue, its way of writing numbers, and `language` for `<html lang>`. Made once per
    language and process, so each language's templates are compiled once."""
    env = Environment(
        loader=FileSystemLoader(_TEMPLATES),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,  # a missing variable is a bug, not an empty string
        keep_trailing_newline=True,
        extensions=["jinja2.ext.i18n"],
    )
    # Blocks are trimmed as they were when their messages were extracted
    # (campaign/locale/emails.cfg), or their ids would not be the catalogue's.
    env.policies["ext.i18n.trimmed"] = True
    env.install_gettext_translations(  # type: ignore[attr-defined]
        translations(language, "emails"), newstyle=True
    )
    env.globals["language"] = language
    env.filters["number"] = lambda value: format_number(value, language)
    return env


@lru_cache(maxsize=64)
def email_language(tag: str | None) -> str:
    """The language an email is written in, for a campaign's language tag: the tag, as
    Babel writes it, where its language has a catalogue ("fr", "fr-CA": the region is
    kept for dates and amounts); English for any other."""
    language = supported_language(tag)
    locale = babel_locale(tag)
    if not tag or locale.language != language:
        return language
    return str(locale).replace("_", "-")


_inliner = css_inline.CSSInliner(keep_style_tags=False)

# Per kind, the context values that differ from one recipient to the next. Templates only
# print these (no filters, no conditions on them): they become substitution tags. All
# other context values are shared by the batch, so templates may test and filter them.
PERSONAL_FIELDS: dict[str, frozenset[str]] = {
    EmailKind.SIGNATURE_CONFIRMATION: frozenset({"given_name"}),
    EmailKind.ALREADY_SIGNED: frozenset({"given_name"}),
    EmailKind.LETTER_CONFIRMATION: frozenset({"given_name"}),
    EmailKind.MAILING: frozenset({"given_name"}),
    EmailKind.PETITION_RESPONSE: frozenset({"given_name"}),
}
# Links made per recipient by the renderer; personal in every kind that has them.
LINK_FIELDS = frozenset({"confirm_url", "status_url", "unsubscribe_url"})
# Context values that are inputs to links, never printed nor shared.
_LINK_INPUTS = frozenset({"token", "view_token"})
# The context value that says which language the email is in: a group's own key, and
# printed only as the environment gives it.
_LANGUAGE = "language"
_NOT_SHARED = _LINK_INPUTS | {_LANGUAGE}
# Staff read their workspace in English; the emails it sends them are in English too.
ENGLISH_ONLY_KINDS = frozenset(
    {EmailKind.STAFF_INVITATION, EmailKind.STAFF_PASSWORD_RESET, EmailKind.THRESHOLD_REACHED}
)
_CONFIRM_PATHS: dict[str, str] = {
    EmailKind.LETTER_CONFIRMATION: "/letters/confirm/",
    EmailKind.STAFF_INVITATION: "/staff/welcome/",
    EmailKind.STAFF_PASSWORD_RESET: "/staff/welcome/",
    EmailKind.DATA_RIGHTS_LINK: "/my-data/",
}

# SendGrid's limits: 1,000 recipients per request, 10,000 bytes of substitutions each.
MAX_RECIPIENTS_PER_BATCH = 1000
MAX_SUBSTITUTION_BYTES = 10_000

_TAG_OPENING = "[%"
_TAG = re.compile(r"\[%(\w+):(text|html)%\]")


# Headers are written whole up to RFC 5322's hard limit of 998 characters rather than
# folded at its suggested 78: Python's folder drops the quotes of a display name that it
# splits across lines, so "Eve, victim@evil.com, <a long family name>" would come out as
# several addresses. Our names (200 characters at most) and addresses (320) fit on one
# line; a name beyond ASCII is written as encoded words, and those fold safely.
_HEADER_POLICY = policy.default.clone(max_line_length=998)

_Member = tuple[OutboxMessage, dict[str, str]]


def tag(name: str, part: str) -> str:
    return f"[%{name}:{part}%]"


@dataclass(frozen=True)
class Recipient:
    outbox_id: int
    address: str
    name: str
    subject: str
    # Tag → value, for both parts (`[%given_name:text%]` and `[%given_name:html%]`).
    substitutions: dict[str, str]
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Batch:
    """Emails that share their bodies up to substitutions; at most 1,000 recipients."""

    kind: str
    text: str
    html: str
    recipients: list[Recipient]
    # The sender's display name if not the organisation's, and where replies go.
    from_name: str | None = None
    reply_to: str | None = None
    # Headers every recipient gets, sent once per request rather than once per recipient.
    headers: Mapping[str, str] = field(default_factory=dict)

    @property
    def outbox_ids(self) -> list[int]:
        return [r.outbox_id for r in self.recipients]

    def with_recipients(self, recipients: list[Recipient]) -> Batch:
        return Batch(
            self.kind, self.text, self.html, recipients, self.from_name, self.reply_to, self.headers
        )

    def email_for(self, recipient: Recipient, settings: Settings) -> EmailMessage:
        """The complete message one recipient gets, substitutions made."""
        email = EmailMessage()
        sender_domain = settings.email_from_address.rpartition("@")[2]
        # Address objects quote or encode display names; nothing is pasted into a header.
        email["From"] = Address(
            display_name(self.from_name or settings.email_from_name),
            addr_spec=settings.email_from_address,
        )
        email["To"] = Address(display_name(recipient.name), addr_spec=recipient.address)
        if self.reply_to:
            email["Reply-To"] = Address(addr_spec=self.reply_to)
        email["Subject"] = recipient.subject
        email["Date"] = format_datetime(utcnow())
        email["Message-ID"] = make_msgid(
            idstring=f"outbox-{recipient.outbox_id}", domain=sender_domain
        )
        email["X-Campaign-Outbox-Id"] = str(recipient.outbox_id)
        for name, value in {**self.headers, **recipient.headers}.items():
            email[name] = value
        email.set_content(substitute(self.text, recipient.substitutions))
        email.add_alternative(substitute(self.html, recipient.substitutions), subtype="html")
        # Only now: the bodies were encoded for 78-character lines, the headers are not.
        email.policy = _HEADER_POLICY
        return email


def display_name(name: str) -> str:
    """A name as a header may carry it: on one line, with no control characters."""
    return " ".join("".join(c if c.isprintable() else " " for c in name).split())


def substitute(body: str, substitutions: dict[str, str]) -> str:
    """Replace each tag once, left to right: a value that looks like a tag stays text,
    and so does tag-like text that is no tag of this recipient's (a letter quoting one)."""
    return _TAG.sub(lambda match: substitutions.get(match.group(0), match.group(0)), body)


# A mailing's copies carry only its id; what they share (subject, bodies) is the
# mailing's, looked up once per batch (campaign/mailings/service.mailing_contents).
MailingContents = Mapping[int, Mapping[str, Any]]


def render_batches(
    messages: Iterable[OutboxMessage], settings: Settings, mailings: MailingContents | None = None
) -> list[Batch]:
    """Group messages that can share one rendering, render each group once."""
    groups: dict[
        tuple[str, str, str, int | None, tuple[str, ...], str | None, str | None],
        list[_Member],
    ] = {}
    alone: list[Batch] = []
    # Whether a mailing's contents (the same for each of its copies) hold a tag's
    # opening: looked at once per mailing, not once per copy. Copies are grouped by
    # their mailing's id rather than by its serialised body, which is the larger part.
    contents_tagged: dict[int, bool] = {}
    for message in messages:
        own, personal = _split_context(message, settings)
        shared_json = json.dumps(own, sort_keys=True, default=str)
        contents = _contents_of(message, mailings)
        mailing_id = None
        if contents is not None:
            mailing_id = int(message.context["mailing_id"])
            if mailing_id not in contents_tagged:
                serialised = json.dumps(contents, sort_keys=True, default=str)
                contents_tagged[mailing_id] = _TAG_OPENING in serialised
        tagged = _TAG_OPENING in shared_json or (
            mailing_id is not None and contents_tagged[mailing_id]
        )
        language = _language_of(message, contents)
        if tagged or _must_go_alone(personal):
            shared = _with_contents(own, contents)
            alone.append(_render_alone(message, language, shared, personal, settings))
            continue
        key = (
            message.kind,
            language,
            shared_json,
            mailing_id,
            tuple(sorted(personal)),
            message.from_name,
            message.reply_to,
        )
        groups.setdefault(key, []).append((message, personal))

    batches = []
    for key, members in groups.items():
        kind, language, _, _, personal_names, from_name, reply_to = key
        first = members[0][0]
        own, _ = _split_context(first, settings)
        shared = _localised(kind, _with_contents(own, _contents_of(first, mailings)), language)
        text_tags, html_tags = _tags(personal_names)
        text, html = _render_bodies(kind, language, shared, (text_tags, html_tags))
        # The subject too is rendered once, tags for the recipient's values: a group's
        # subject is then the same for all, or differs only where a value is printed.
        subject = one_line(_render_subject(kind, language, {**shared, **text_tags}))
        for chunk in _chunks(members, MAX_RECIPIENTS_PER_BATCH):
            recipients = [
                _recipient(
                    message,
                    _subject_for(subject, personal),
                    personal,
                    _substitutions(personal),
                    settings,
                )
                for message, personal in chunk
            ]
            batches.append(
                Batch(kind, text, html, recipients, from_name, reply_to, _shared_headers(kind))
            )
    return batches + alone


def render_message(
    message: OutboxMessage, settings: Settings, mailings: MailingContents | None = None
) -> EmailMessage:
    """One message, whole: for previews and for tests of the templates."""
    [batch] = render_batches([message], settings, mailings)
    return batch.email_for(batch.recipients[0], settings)


def _split_context(
    message: OutboxMessage, settings: Settings
) -> tuple[dict[str, Any], dict[str, str]]:
    """The message's own context: what recipients may share, and what is theirs alone
    (with the links made for them)."""
    personal_names = PERSONAL_FIELDS.get(message.kind, frozenset())
    shared = {
        key: value
        for key, value in message.context.items()
        if key not in personal_names and key not in _NOT_SHARED
    }
    if message.kind == EmailKind.LETTER_FOLLOWUP:
        # Signed here, at sending, so the outbox keeps no link that answers for anyone.
        secret = settings.secret_key.get_secret_value()
        shared["asked_about"] = [
            {**official, **answer_links(int(official["delivery_id"]), settings.public_url, secret)}
            for official in shared["asked_about"]
        ]
    personal = {key: str(value) for key, value in message.context.items() if key in personal_names}
    personal.update(_links(message, settings))
    if message.kind not in TRANSACTIONAL_KINDS:
        # The footer's link to see or erase one's data: the same page for everyone.
        shared["data_rights_url"] = f"{settings.public_url}/my-data"
    return shared, personal


def _language_of(message: OutboxMessage, contents: Mapping[str, Any] | None) -> str:
    """The language this message is written in: its own context's, else its mailing's."""
    if message.kind in ENGLISH_ONLY_KINDS:
        return SOURCE_LANGUAGE
    tag = message.context.get(_LANGUAGE)
    if tag is None and contents is not None:
        tag = contents.get(_LANGUAGE)
    return email_language(str(tag) if tag else None)


def _with_contents(own: dict[str, Any], contents: Mapping[str, Any] | None) -> dict[str, Any]:
    """A message's shared values with its mailing's, but for the language (the key's)."""
    if contents is None:
        return own
    return {**own, **{key: value for key, value in contents.items() if key != _LANGUAGE}}


def _contents_of(
    message: OutboxMessage, mailings: MailingContents | None
) -> Mapping[str, Any] | None:
    """What a mailing's copy shares with every other copy, or None for other kinds."""
    if message.kind not in MAILING_KINDS:
        return None
    # A KeyError (a mailing that is not there) fails this message alone.
    return (mailings or {})[int(message.context["mailing_id"])]


def _links(message: OutboxMessage, settings: Settings) -> dict[str, str]:
    links = {}
    token = message.context.get("token")
    if token:
        path = _CONFIRM_PATHS.get(message.kind, "/confirm/")
        links["confirm_url"] = f"{settings.public_url}{path}{token}"
    view_token = message.context.get("view_token")
    if view_token:
        links["status_url"] = f"{settings.public_url}/letters/{view_token}"
    if message.kind not in TRANSACTIONAL_KINDS:
        secret = settings.secret_key.get_secret_value()
        # A mailing's copy names itself, so that its mailing counts who left from it.
        copy_id = message.id if message.mailing_id is not None else None
        links["unsubscribe_url"] = unsubscribe_url(
            message.to_address, settings.public_url, secret, copy_id
        )
    return links


def _must_go_alone(personal: dict[str, str]) -> bool:
    """A value that contains a tag's opening, or too many bytes of values, is not
    trusted to a provider's substitution: that message is rendered whole. (So is one
    whose shared values hold a tag's opening: a provider substitutes wherever it finds a
    tag, and text a person wrote must reach the reader as written.)"""
    if any(_TAG_OPENING in value for value in personal.values()):
        return True
    return sum(len(v.encode()) for v in _substitutions(personal).values()) > (
        MAX_SUBSTITUTION_BYTES
    )


def _render_alone(
    message: OutboxMessage,
    language: str,
    shared: dict[str, Any],
    personal: dict[str, str],
    settings: Settings,
) -> Batch:
    shared = _localised(message.kind, shared, language)
    html_values = {name: escape(value) for name, value in personal.items()}
    text, html = _render_bodies(message.kind, language, shared, (personal, html_values))
    subject = one_line(_render_subject(message.kind, language, {**shared, **personal}))
    recipient = _recipient(message, subject, personal, {}, settings)
    return Batch(
        message.kind,
        text,
        html,
        [recipient],
        message.from_name,
        message.reply_to,
        _shared_headers(message.kind),
    )


def _tags(names: Iterable[str]) -> tuple[dict[str, str], dict[str, str]]:
    # Tags hold no character that HTML escaping changes, so they come out as they went in.
    text = {name: tag(name, "text") for name in names}
    html = {name: tag(name, "html") for name in names}
    return text, html


def _substitutions(personal: dict[str, str]) -> dict[str, str]:
    substitutions = {}
    for name, value in personal.items():
        substitutions[tag(name, "text")] = value
        substitutions[tag(name, "html")] = str(escape(value))
    return substitutions


def _render_bodies(
    kind: str,
    language: str,
    shared: dict[str, Any],
    personal: tuple[dict[str, Any], dict[str, Any]],
) -> tuple[str, str]:
    text_values, html_values = personal
    templates = environment(language)
    text = templates.get_template(f"{kind}.txt").render({**shared, **text_values})
    html = templates.get_template(f"{kind}.html").render({**shared, **html_values})
    return text, _inliner.inline(html)


def _render_subject(kind: str, language: str, values: dict[str, Any]) -> str:
    return environment(language).get_template(f"{kind}.subject.txt").render(values)


# -- Dates and amounts, written for the group's language ----------------------------------
#
# The outbox keeps them raw (an ISO date, an amount in minor units and its currency);
# each kind's values are written for the language once per group, never per recipient.
# A value that is not raw (a row queued before emails had a language) is left as it is.


def _localised(kind: str, shared: dict[str, Any], language: str) -> dict[str, Any]:
    localise = _LOCALISERS.get(kind)
    return localise(shared, language) if localise else shared


def _day(value: Any, language: str, style: str = "long") -> Any:
    """An ISO date ("2026-11-27") as the language writes it; anything else unchanged."""
    if not isinstance(value, str):
        return value
    try:
        day = date.fromisoformat(value)
    except ValueError:
        return value
    return format_date(day, language, style)


def _receipt(shared: dict[str, Any], language: str) -> dict[str, Any]:
    values = {**shared, "date": _day(shared.get("date"), language)}
    amount, currency = shared.get("amount"), shared.get("currency")
    if isinstance(amount, int) and isinstance(currency, str):
        values["amount"] = format_money(amount, currency, language)
    return values


def _digest(shared: dict[str, Any], language: str) -> dict[str, Any]:
    return {**shared, "day": _day(shared.get("day"), language)}


def _followup(shared: dict[str, Any], language: str) -> dict[str, Any]:
    asked = [
        {**official, "delivered_on": _day(official.get("delivered_on"), language)}
        for official in shared["asked_about"]
    ]
    return {**shared, "asked_about": asked}


def _response(shared: dict[str, Any], language: str) -> dict[str, Any]:
    return {**shared, "responded_on": _day(shared.get("responded_on"), language)}


def _report(shared: dict[str, Any], language: str) -> dict[str, Any]:
    weeks = [
        {**week, "starts": _day(week.get("starts"), language, "medium")} for week in shared["weeks"]
    ]
    return {**shared, "weeks": weeks}


_LOCALISERS: dict[str, Callable[[dict[str, Any], str], dict[str, Any]]] = {
    EmailKind.DONATION_RECEIPT: _receipt,
    EmailKind.LETTER_DIGEST: _digest,
    EmailKind.LETTER_FOLLOWUP: _followup,
    EmailKind.PETITION_RESPONSE: _response,
    EmailKind.OFFICIAL_REPORT: _report,
}


def _subject_for(subject: str, personal: dict[str, str]) -> str:
    """A group's subject (on one line) with one recipient's values in place of its tags,
    if it has any (as typed: a subject is text)."""
    if _TAG_OPENING not in subject:
        return subject
    return one_line(
        substitute(subject, {tag(name, "text"): value for name, value in personal.items()})
    )


# Any run of white space but the no-break spaces (French puts them before a colon).
_BREAKING_SPACE = re.compile(r"[^\S\u00a0\u202f]+")


def one_line(subject: str) -> str:
    """A subject on one line, whatever the values: a subject can't carry extra headers."""
    return _BREAKING_SPACE.sub(" ", subject).strip()


def _recipient(
    message: OutboxMessage,
    subject: str,
    personal: dict[str, str],
    substitutions: dict[str, str],
    settings: Settings,
) -> Recipient:
    headers: dict[str, str] = {}
    if "unsubscribe_url" in personal:  # every kind that is not transactional
        headers["List-Unsubscribe"] = f"<{personal['unsubscribe_url']}>"
    address = message.to_address
    if settings.email_divert_to:
        # Test mode: everything goes to one inbox; the header says whom it was for.
        headers["X-Campaign-Diverted-From"] = address
        address = settings.email_divert_to
    return Recipient(
        outbox_id=message.id,
        address=address,
        name=message.to_name or "",
        subject=subject,  # on one line already (one_line)
        substitutions=substitutions,
        headers=headers,
    )


def _shared_headers(kind: str) -> Mapping[str, str]:
    """RFC 8058's one-click POST, the same for all recipients of a kind that carries an
    unsubscribe link (each recipient's own List-Unsubscribe is in its headers)."""
    return {} if kind in TRANSACTIONAL_KINDS else ONE_CLICK_POST


def _chunks(items: list[_Member], size: int) -> Iterator[list[_Member]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
