"""Consent texts (versioned wording) and consent records (each person's choice)."""

from __future__ import annotations

from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from campaign.consents.models import ConsentRecord, ConsentText
from campaign.consents.schemas import ConsentTextCreate
from campaign.db import insert_for, utcnow
from campaign.errors import NotFound

EMAIL_UPDATES = "email_updates"

# The first version of the wording, used until staff publish their own.
DEFAULT_WORDING = {
    "en": (
        "Yes, email me about this campaign and others like it. "
        "I can unsubscribe at any time with the link in every email."
    ),
    "fr": (
        "Oui, envoyez-moi des e-mails sur cette campagne et d'autres semblables. "
        "Je peux me désabonner à tout moment grâce au lien présent dans chaque e-mail."
    ),
    "es": (
        "Sí, deseo recibir correos electrónicos sobre esta campaña y otras similares. "
        "Puedo darme de baja en cualquier momento mediante el enlace que figura en cada correo."
    ),
    "de": (
        "Ja, senden Sie mir E-Mails zu dieser Kampagne und ähnlichen Kampagnen. "
        "Ich kann mich jederzeit über den Link in jeder E-Mail abmelden."
    ),
}


async def current_consent_text(
    session: AsyncSession, language: str, purpose: str = EMAIL_UPDATES
) -> ConsentText:
    """The newest wording for this language, falling back to English."""
    for candidate in _language_fallbacks(language):
        text = await _latest_text(session, purpose, candidate)
        if text is None and candidate in DEFAULT_WORDING:
            text = await _create_default_text(session, purpose, candidate)
        if text is not None:
            return text
    raise NotFound(f"no consent text for {purpose!r}", field="language")


async def newest_consent_text(
    session: AsyncSession, language: str, purpose: str = EMAIL_UPDATES
) -> ConsentText | None:
    """As current_consent_text, but only reading: None where no wording was ever written
    for the language or those it falls back to."""
    for candidate in _language_fallbacks(language):
        text = await _latest_text(session, purpose, candidate)
        if text is not None:
            return text
    return None


def _language_fallbacks(language: str) -> list[str]:
    primary = language.split("-", 1)[0].lower()
    return list(dict.fromkeys([language, primary, "en"]))


async def _latest_text(session: AsyncSession, purpose: str, language: str) -> ConsentText | None:
    result = await session.execute(
        select(ConsentText)
        .where(ConsentText.purpose == purpose, ConsentText.language == language)
        .order_by(ConsentText.version.desc())
        .limit(1)
    )
    return result.scalar_one_or_none()


async def _create_default_text(session: AsyncSession, purpose: str, language: str) -> ConsentText:
    # Two first campaigns created at once must end with one version 1, not an error.
    await session.execute(
        insert_for(session, ConsentText.__table__)
        .values(
            purpose=purpose,
            language=language,
            version=1,
            text=DEFAULT_WORDING[language],
            created_at=utcnow(),
        )
        .on_conflict_do_nothing(index_elements=["purpose", "language", "version"])
    )
    text = await _latest_text(session, purpose, language)
    assert text is not None
    return text


async def add_consent_text(
    session: AsyncSession, data: ConsentTextCreate, purpose: str = EMAIL_UPDATES
) -> ConsentText:
    """Publish new wording as the next version; earlier versions stay as they were."""
    latest = await session.execute(
        select(func.max(ConsentText.version)).where(
            ConsentText.purpose == purpose, ConsentText.language == data.language
        )
    )
    consent_text = ConsentText(
        purpose=purpose,
        language=data.language,
        version=(latest.scalar() or 0) + 1,
        text=data.text,
    )
    session.add(consent_text)
    await session.flush()
    return consent_text


async def get_consent_text(session: AsyncSession, consent_text_id: int) -> ConsentText:
    text = await session.get(ConsentText, consent_text_id)
    if text is None:
        raise NotFound("no such consent text", field="consent_text_id")
    return text


async def list_consent_texts(session: AsyncSession) -> list[ConsentText]:
    result = await session.execute(
        select(ConsentText).order_by(
            ConsentText.purpose, ConsentText.language, ConsentText.version.desc()
        )
    )
    return list(result.scalars())


async def record_consent(
    session: AsyncSession,
    *,
    person_id: int,
    consent_text_id: int,
    language: str,
    granted: bool,
    campaign_id: int | None,
    channel: str,
) -> None:
    await session.execute(
        insert(ConsentRecord).values(
            person_id=person_id,
            consent_text_id=consent_text_id,
            granted=granted,
            language=language,
            campaign_id=campaign_id,
            channel=channel,
            created_at=utcnow(),
        )
    )
