"""Staff API: mark a signature fraudulent or invalid with a reason, and undo the mark."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter
from pydantic import BaseModel

from api.deps import Editor, SessionDep
from api.params import RowIdPath
from campaign.signatures import review
from campaign.signatures.models import Signature

router = APIRouter(prefix="/api/v1/staff/signatures", tags=["staff: signatures"])


class SignatureReviewView(BaseModel):
    """A signature's status and its staff mark; nothing about the signer."""

    id: int
    campaign_id: int
    status: str
    # Set while a staff mark stands: the status it replaced, why, when and by whom.
    status_before_review: str | None
    review_reason: str | None
    reviewed_at: datetime | None
    reviewed_by: int | None

    @classmethod
    def of(cls, signature: Signature) -> SignatureReviewView:
        return cls(
            id=signature.id,
            campaign_id=signature.campaign_id,
            status=signature.status,
            status_before_review=signature.status_before_review,
            review_reason=signature.review_reason,
            reviewed_at=signature.reviewed_at,
            reviewed_by=signature.reviewed_by,
        )


@router.post("/{signature_id}/status")
async def mark_signature(
    signature_id: RowIdPath, data: review.SignatureMark, session: SessionDep, staff: Editor
) -> SignatureReviewView:
    """Mark the signature fraudulent or invalidated; it is no longer counted."""
    signature = await review.mark_signature(session, signature_id, data, reviewed_by=staff.user_id)
    return SignatureReviewView.of(signature)


@router.delete("/{signature_id}/status")
async def undo_mark(
    signature_id: RowIdPath, session: SessionDep, staff: Editor
) -> SignatureReviewView:
    """Undo the staff mark: the signature has the status it had before it again."""
    signature = await review.undo_mark(session, signature_id, undone_by=staff.user_id)
    return SignatureReviewView.of(signature)
