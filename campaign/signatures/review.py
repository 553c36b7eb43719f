"""Staff marking a signature fraudulent or invalid, with a reason, and undoing the mark:
the one place either happens, for the dashboard and the staff API.

A mark keeps the status it replaced (pending, confirmed, or fraudulent as held by the
signing limit), so undoing it restores exactly that. Neither marked status is counted;
the public count and the metrics recount these rare statuses (campaign/metrics), so
nothing here adjusts a figure."""

from __future__ import annotations

import logging
from typing import Literal

from pydantic import BaseModel, ConfigDict
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from campaign.db import utcnow
from campaign.errors import InvalidState, NotFound
from campaign.signatures.models import Signature, SignatureStatus
from campaign.types import Title

logger = logging.getLogger(__name__)

# The statuses staff may give a signature, as the API and the form spell them.
MARKS = (SignatureStatus.FRAUDULENT, SignatureStatus.INVALIDATED)

# Why staff marked it: one line of 1 to 200 characters (the same rules as a title).
ReviewReason = Title


class SignatureMark(BaseModel):
    """A staff mark: the status to give the signature, and why."""

    model_config = ConfigDict(extra="forbid")

    status: Literal[SignatureStatus.FRAUDULENT, SignatureStatus.INVALIDATED]
    reason: ReviewReason


async def mark_signature(
    session: AsyncSession,
    signature_id: int,
    mark: SignatureMark,
    *,
    reviewed_by: int | None,
    campaign_id: int | None = None,
) -> Signature:
    """Mark a signature fraudulent or invalidated, recording why, when and by whom.
    Marking one already marked changes the mark and keeps the status it replaced."""
    signature = await _signature_for_review(session, signature_id, campaign_id)
    if signature.status_before_review is None:
        signature.status_before_review = signature.status
    signature.status = mark.status
    signature.review_reason = mark.reason
    signature.reviewed_at = utcnow()
    signature.reviewed_by = reviewed_by
    await session.flush()
    logger.info(
        "signature %s marked %s by staff user %s", signature.id, mark.status.value, reviewed_by
    )
    return signature


async def undo_mark(
    session: AsyncSession,
    signature_id: int,
    *,
    undone_by: int | None,
    campaign_id: int | None = None,
) -> Signature:
    """Give a marked signature back the status it had before the mark, as if it had
    never been marked."""
    signature = await _signature_for_review(session, signature_id, campaign_id)
    if signature.status_before_review is None:
        raise InvalidState("this signature has no staff mark to undo", field="status")
    signature.status = signature.status_before_review
    signature.status_before_review = None
    signature.review_reason = None
    signature.reviewed_at = None
    signature.reviewed_by = None
    await session.flush()
    # The row keeps no trace of an undone mark; the log does.
    logger.info(
        "signature %s mark undone (back to %s) by staff user %s",
        signature.id,
        signature.status,
        undone_by,
    )
    return signature


async def _signature_for_review(
    session: AsyncSession, signature_id: int, campaign_id: int | None
) -> Signature:
    # Locked, so a confirmation or a repeat signing racing the mark waits for it (they
    # only ever change rows by their current status) and the status kept is the last.
    query = select(Signature).where(Signature.id == signature_id)
    if campaign_id is not None:
        query = query.where(Signature.campaign_id == campaign_id)
    signature = await session.scalar(
        query.with_for_update().execution_options(populate_existing=True)
    )
    if signature is None:
        raise NotFound(f"no signature with id {signature_id}", field="signature_id")
    return signature
