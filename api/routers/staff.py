"""Staff API: who am I, the management of staff users and API tokens, and consent wording."""

from __future__ import annotations

from fastapi import APIRouter, status

from api.deps import Admin, Editor, SessionDep, Viewer
from api.params import RowIdPath
from api.schemas.staff import (
    ConsentTextView,
    CreatedToken,
    PasswordLinkSent,
    StaffUserView,
    TokenCreate,
    TokenView,
)
from campaign.consents import service as consents
from campaign.consents.schemas import ConsentTextCreate
from campaign.staff import invitations, users
from campaign.staff import service as staff
from campaign.staff.schemas import RoleChange, StaffInvitation

router = APIRouter(prefix="/api/v1/staff", tags=["staff"])


@router.get("/me")
async def who_am_i(token: Viewer) -> TokenView:
    return TokenView.model_validate(token)


@router.get("/users")
async def list_users(session: SessionDep, _staff: Admin) -> list[StaffUserView]:
    return [StaffUserView.model_validate(user) for user in await users.list_users(session)]


@router.post("/users", status_code=status.HTTP_201_CREATED)
async def invite_user(data: StaffInvitation, session: SessionDep, token: Admin) -> StaffUserView:
    """Create the account and email the person a link to choose their password."""
    sent_by = await staff.token_owner(session, token)
    user = await invitations.invite_user(session, data, sent_by=sent_by)
    return StaffUserView.model_validate(user)


@router.post("/users/{user_id}/role")
async def change_role(
    user_id: RowIdPath, data: RoleChange, session: SessionDep, _staff: Admin
) -> StaffUserView:
    user = await users.get_user(session, user_id)
    return StaffUserView.model_validate(await users.change_role(session, user, data.role))


@router.post("/users/{user_id}/deactivate")
async def deactivate_user(user_id: RowIdPath, session: SessionDep, _staff: Admin) -> StaffUserView:
    user = await users.get_user(session, user_id)
    return StaffUserView.model_validate(await users.deactivate_user(session, user))


@router.post("/users/{user_id}/reactivate")
async def reactivate_user(user_id: RowIdPath, session: SessionDep, _staff: Admin) -> StaffUserView:
    user = await users.get_user(session, user_id)
    return StaffUserView.model_validate(await users.reactivate_user(session, user))


@router.post("/users/{user_id}/reset-password", status_code=status.HTTP_202_ACCEPTED)
async def reset_password(user_id: RowIdPath, session: SessionDep, token: Admin) -> PasswordLinkSent:
    """Email the user a link to choose a new password (an invitation again, if they never
    chose one); their current password works until they do."""
    user = await users.get_user(session, user_id)
    sent_by = await staff.token_owner(session, token)
    purpose = await invitations.send_password_link(session, user, sent_by=sent_by)
    return PasswordLinkSent(user=StaffUserView.model_validate(user), purpose=purpose)


@router.get("/tokens")
async def list_tokens(session: SessionDep, _staff: Admin) -> list[TokenView]:
    return [TokenView.model_validate(token) for token in await staff.list_tokens(session)]


@router.post("/tokens", status_code=status.HTTP_201_CREATED)
async def create_token(data: TokenCreate, session: SessionDep, _staff: Admin) -> CreatedToken:
    token, secret = await staff.create_token(session, name=data.name, role=data.role)
    return CreatedToken(**TokenView.model_validate(token).model_dump(), token=secret)


@router.post("/tokens/{token_id}/revoke")
async def revoke_token(token_id: RowIdPath, session: SessionDep, _staff: Admin) -> TokenView:
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
