"""Signed, time-limited tokens in the hidden fields of the public forms.

The public pages set no cookie (an embedded form in a third-party frame could not rely
on one), so there is no session for a forged request to ride on. What the token proves
is that the form was fetched from this server, for this campaign and this action, not
long ago: a page elsewhere cannot post our forms blind, and an old copy of a form is
refused with a fresh one in its place."""

from __future__ import annotations

from dataclasses import dataclass

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from campaign.i18n import gettext_noop as _

# Long enough to read a petition and write a letter; a stale form is simply re-issued.
FORM_TOKEN_MAX_AGE_SECONDS = 4 * 3600
# The chip-in form follows a confirmation; a day covers coming back to the tab later.
DONOR_TOKEN_MAX_AGE_SECONDS = 24 * 3600

_FORM_SALT = "campaign.public-form"
_DONOR_SALT = "campaign.chip-in-donor"


class FormTokenRefused(Exception):
    """The form's token is missing, forged, for another form, or too old."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def issue_form_token(secret: str, purpose: str) -> str:
    """`purpose` names the form and its campaign, e.g. "sign:save-the-bees"."""
    return URLSafeTimedSerializer(secret, salt=_FORM_SALT).dumps(purpose)


def check_form_token(
    secret: str, token: str | None, purpose: str, *, max_age: int = FORM_TOKEN_MAX_AGE_SECONDS
) -> None:
    if not token:
        raise FormTokenRefused(_("The form arrived without its security token."))
    try:
        signed_for = URLSafeTimedSerializer(secret, salt=_FORM_SALT).loads(token, max_age=max_age)
    except SignatureExpired as error:
        raise FormTokenRefused(_("This form was open for too long and has expired.")) from error
    except BadSignature as error:
        raise FormTokenRefused(_("The form's security token is not valid.")) from error
    if signed_for != purpose:
        raise FormTokenRefused(_("The form's security token belongs to another form."))


@dataclass(frozen=True)
class Donor:
    """Who just confirmed a signature: the chip-in form gives without asking again."""

    slug: str
    given_name: str
    family_name: str
    email: str
    country: str


def issue_donor_token(secret: str, donor: Donor) -> str:
    # Signed, not encrypted: it goes only to the page shown to the signer, about the signer.
    payload = [donor.slug, donor.given_name, donor.family_name, donor.email, donor.country]
    return URLSafeTimedSerializer(secret, salt=_DONOR_SALT).dumps(payload)


def read_donor_token(
    secret: str, token: str | None, slug: str, *, max_age: int = DONOR_TOKEN_MAX_AGE_SECONDS
) -> Donor:
    if not token:
        raise FormTokenRefused(_("The form arrived without its security token."))
    try:
        payload = URLSafeTimedSerializer(secret, salt=_DONOR_SALT).loads(token, max_age=max_age)
    except SignatureExpired as error:
        raise FormTokenRefused(_("This form was open for too long and has expired.")) from error
    except BadSignature as error:
        raise FormTokenRefused(_("The form's security token is not valid.")) from error
    donor = Donor(*payload)
    if donor.slug != slug:
        raise FormTokenRefused(_("The form's security token belongs to another form."))
    return donor
