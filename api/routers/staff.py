"""Staff API: who am I, and the management of API tokens and consent wording."""

from __future__ import annotations

from fastapi import APIRouter, status

from api.deps import Admin, Editor, SessionDep, Viewer
from api.schemas.staff import ConsentTextView, CreatedToken, TokenCreate, TokenView
from campaign.consents import service as consents
from campaign.consents.schemas import ConsentTextCreate
from campaign.staff import service as staff

router = APIRouter(prefix="/api/v1/staff", tags=["staff"])


@router.get("/me")
async def who_am_i(token: Viewer) -> TokenView:
    return TokenView.model_validate(token)


@router.get("/tokens")
async def list_tokens(session: SessionDep, _staff: Admin) -> list[TokenView]:
    return [TokenView.model_validate(token) for token in await staff.list_tokens(session)]


@router.post("/tokens", status_code=status.HTTP_201_CREATED)
async def create_token(data: TokenCreate, session: SessionDep, _staff: Admin) -> CreatedToken:
    token, secret = await staff.create_token(session, name=data.name, role=data.role)
    return CreatedToken(**TokenView.model_validate(token).model_dump(), token=secret)


@router.post("/tokens/{token_id}/revoke")
async def revoke_token(token_id: int, session: SessionDep, _staff: Admin) -> TokenView:
    return TokenView.model_validate(await staff.revoke_token(session, token_id))


@router.get("/consent-texts")
async def list_consent_texts(session: SessionDep, _staff: Viewer) -> list[ConsentTextView]:
    texts = await consents.list_consent_texts(session)
    return [ConsentTextView.model_validate(text) for text in texts]


@router.post("/consent-texts", status_code=status.HTTP_201_CREATED)
async def add_consent_text(
    data: ConsentTextCreate, session: SessionDep, _staff: Editor
) -> ConsentTextView:
    text = await consents.add_consent_text(session, data)
    return ConsentTextView.model_validate(text)
