"""Letter follow-ups: the activist's answer by the email's signed link (a page with one
button, so a mail scanner that opens the link answers nothing), and the staff API's
figures of how responsive the campaign's officials are."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from api.deps import SessionDep, SettingsDep, StaffCampaign
from api.languages import page_messages, request_language
from api.page_forms import translated_detail
from api.pages import render_page
from api.params import TokenPath
from api.schemas.followups import ResponsivenessView
from campaign.db import utcnow
from campaign.errors import CampaignError
from campaign.followups import service
from campaign.followups.models import ANSWER_WORDS
from campaign.followups.service import Question
from campaign.metrics.responsiveness import campaign_responsiveness

router = APIRouter(tags=["public"])
staff_router = APIRouter(prefix="/api/v1/staff/campaigns", tags=["staff: letters"])


def _failed(request: Request, error: CampaignError) -> HTMLResponse:
    language = request_language(request)
    return render_page(
        request,
        "followup_failed.html",
        {"detail": translated_detail(error.detail, language)},
        language=language,
        status_code=error.status,
    )


def answer_context(question: Question, token: str, *, recorded_now: bool) -> dict[str, Any]:
    """What the answer page shows, its answers worded in the campaign's language."""
    messages = page_messages(question.campaign_language)
    words = {answer: messages.gettext(word) for answer, word in ANSWER_WORDS.items()}
    return {"question": question, "token": token, "words": words, "recorded_now": recorded_now}


def _answer_page(
    request: Request, question: Question, token: str, *, recorded_now: bool
) -> HTMLResponse:
    context = answer_context(question, token, recorded_now=recorded_now)
    return render_page(
        request, "followup_answer.html", context, language=question.campaign_language
    )


@router.get("/letters/followup/{token}", response_class=HTMLResponse, include_in_schema=False)
async def answer_page(
    token: TokenPath, request: Request, session: SessionDep, settings: SettingsDep
) -> HTMLResponse:
    try:
        question = await service.question_of(session, token, settings.secret_key.get_secret_value())
    except CampaignError as error:
        return _failed(request, error)
    return _answer_page(request, question, token, recorded_now=False)


@router.post("/letters/followup/{token}", response_class=HTMLResponse, include_in_schema=False)
async def record_answer(
    token: TokenPath, request: Request, session: SessionDep, settings: SettingsDep
) -> HTMLResponse:
    try:
        question = await service.record_answer(
            session, token, settings.secret_key.get_secret_value(), now=utcnow()
        )
    except CampaignError as error:
        return _failed(request, error)
    return _answer_page(request, question, token, recorded_now=True)


@staff_router.get("/{slug}/responsiveness")
async def read_responsiveness(
    campaign: StaffCampaign, session: SessionDep, settings: SettingsDep
) -> ResponsivenessView:
    figures = await campaign_responsiveness(session, campaign.id)
    return ResponsivenessView(
        campaign=campaign.slug,
        followup_days=settings.letter_followup_days,
        totals=figures.totals,
        officials=figures.officials,
    )
