"""The people who use the workspace: users (invited, given roles, deactivated, sent a
password reset) for admins; each user's own API tokens; and the public page where an
invitation or reset link sets a password."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, status
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from api.dashboard.rendering import is_admin, page, refusable, see_other
from api.deps import AdminForm, AdminLogin, SessionDep, StaffForm, StaffLogin
from api.page_forms import FormState, read_form, refused_state, sentence, worded_field_errors
from api.params import RowIdPath, RowIdQuery, TokenPath
from api.schemas.staff import TokenCreate
from campaign.errors import CampaignError, InvalidInput
from campaign.i18n import translations
from campaign.staff import invitations, users
from campaign.staff import service as tokens
from campaign.staff.models import ApiToken, LinkPurpose, Role, StaffUser
from campaign.staff.passwords import MIN_PASSWORD_LENGTH
from campaign.staff.schemas import NewPassword, StaffInvitation
from campaign.staff.sessions import ActiveSession

router = APIRouter()
# The staff workspace is shown in English; its messages are marked for the `staff` domain.
_ = translations("en", "staff").gettext

_INVITATION_HOURS = int(invitations.LINK_LIFETIMES[LinkPurpose.INVITATION].total_seconds() // 3600)

USERS = "/staff/users"
TOKENS = "/staff/tokens"
# Where a new password's owner is sent, to log in with it.
CHOSEN = "/staff/password-set"

# What each form says when a field is left empty (or a choice is not one offered).
_WHEN_EMPTY = {
    "name": _("Enter their name."),
    "email": _("Enter their email address."),
    "role": _("Choose a role."),
    "password": _("Enter a password."),
}
_NOT_THE_SAME = _("Type the same password twice.")
_TOKEN_WHEN_EMPTY = {"name": _("Enter a name for the token."), "role": _("Choose a role.")}

# After a change, the users page says what was done: `?done=<key>&user=<id>`. Only these
# fixed sentences are shown, so the address bar cannot put words on the page.
_DONE = {
    "invited": _("An invitation was sent to %(email)s. Its link works once, for %(hours)s hours."),
    "reinvited": _("A new invitation was sent to %(email)s; earlier links no longer work."),
    "reset": _(
        "A link to choose a new password was sent to %(email)s. "
        "Their current password works until they choose it."
    ),
    "role": _("%(name)s now has the %(role)s role."),
    "deactivated": _(
        "%(name)s is deactivated: logged out everywhere, and their API tokens are "
        "refused until they are reactivated."
    ),
    "reactivated": _("%(name)s is active again."),
}


# --- Users (admins only) -----------------------------------------------------------------


@router.get("/users")
async def user_list(
    request: Request,
    session: SessionDep,
    active: AdminLogin,
    done: str | None = None,
    user: RowIdQuery = None,
) -> HTMLResponse:
    return await _users_page(request, session, active, notice=await _done(session, done, user))


@router.post("/users")
async def invite(request: Request, session: SessionDep, active: AdminForm) -> Response:
    form = await read_form(request)
    values = {name: form.get(name, "") for name in ("name", "email", "role")}
    try:
        data = StaffInvitation.model_validate(values)
    except ValidationError as invalid:
        state = FormState(values=values, errors=worded_field_errors(invalid, _WHEN_EMPTY))
        return await _users_page(
            request,
            session,
            active,
            invite=state,
            status_code=status.HTTP_422_UNPROCESSABLE_CONTENT,
        )
    async with refusable(session) as refused:
        invited = await invitations.invite_user(session, data, sent_by=active.user)
    if refused.error:
        state = refused_state(values, refused.error)
        return await _users_page(
            request, session, active, invite=state, status_code=refused.status_code
        )
    return _done_with("invited", invited)


@router.post("/users/{user_id}/role")
async def change_role(
    user_id: RowIdPath, request: Request, session: SessionDep, active: AdminForm
) -> Response:
    target = await users.get_user(session, user_id)
    form = await read_form(request)
    async with refusable(session) as refused:
        await users.change_role(session, target, _role(form.get("role")))
    if refused.error:
        return await _refused_in_row(request, session, active, target, refused.error)
    return _done_with("role", target)


@router.get("/users/{user_id}/deactivate")
async def confirm_deactivation(
    user_id: RowIdPath, request: Request, session: SessionDep, active: AdminLogin
) -> HTMLResponse:
    target = await users.get_user(session, user_id)
    return _deactivation_page(request, active, target)


@router.post("/users/{user_id}/deactivate")
async def deactivate(
    user_id: RowIdPath, request: Request, session: SessionDep, active: AdminForm
) -> Response:
    target = await users.get_user(session, user_id)
    async with refusable(session) as refused:
        await users.deactivate_user(session, target)
    if refused.error:
        return _deactivation_page(request, active, target, refused.error)
    # An admin who deactivated themselves is sent to log in by the page they land on.
    return _done_with("deactivated", target)


@router.post("/users/{user_id}/reactivate")
async def reactivate(
    user_id: RowIdPath, request: Request, session: SessionDep, active: AdminForm
) -> Response:
    target = await users.get_user(session, user_id)
    async with refusable(session) as refused:
        await users.reactivate_user(session, target)
    if refused.error:
        return await _refused_in_row(request, session, active, target, refused.error)
    return _done_with("reactivated", target)


@router.post("/users/{user_id}/reset-password")
async def reset_password(
    user_id: RowIdPath, request: Request, session: SessionDep, active: AdminForm
) -> Response:
    target = await users.get_user(session, user_id)
    purpose = LinkPurpose.PASSWORD_RESET
    async with refusable(session) as refused:
        purpose = await invitations.send_password_link(session, target, sent_by=active.user)
    if refused.error:
        return await _refused_in_row(request, session, active, target, refused.error)
    return _done_with("reinvited" if purpose == LinkPurpose.INVITATION else "reset", target)


async def _refused_in_row(
    request: Request,
    session: AsyncSession,
    active: ActiveSession,
    target: StaffUser,
    error: CampaignError,
) -> HTMLResponse:
    """A change to one user (role, reactivation, password link) refused: the list again,
    the error in that user's row."""
    return await _users_page(
        request, session, active, refusal=(target.id, error), status_code=error.status
    )


async def _users_page(
    request: Request,
    session: AsyncSession,
    active: ActiveSession,
    *,
    invite: FormState | None = None,
    refusal: tuple[int, CampaignError] | None = None,
    notice: str | None = None,
    status_code: int = status.HTTP_200_OK,
) -> HTMLResponse:
    """The list and its forms. A refused change to one user is shown in that user's row
    (beside the role when it is about the role) and above the table."""
    refused_user, error = refusal if refusal else (None, None)
    return page(
        request,
        "staff/users.html",
        status_code=status_code,
        active=active,
        users=await users.list_users(session),
        roles=list(Role),
        invite=invite or FormState(values={"role": Role.VIEWER.value}),
        refused_user=refused_user,
        refused_field=error.field if error else None,
        error=sentence(error.detail) if error else None,
        notice=notice,
        invitation_hours=_INVITATION_HOURS,
    )


def _deactivation_page(
    request: Request, active: ActiveSession, target: StaffUser, error: CampaignError | None = None
) -> HTMLResponse:
    return page(
        request,
        "staff/users_deactivate.html",
        status_code=error.status if error else status.HTTP_200_OK,
        active=active,
        target=target,
        error=sentence(error.detail) if error else None,
    )


async def _done(session: AsyncSession, done: str | None, user_id: int | None) -> str | None:
    if done not in _DONE or user_id is None:
        return None
    try:
        target = await users.get_user(session, user_id)
    except CampaignError:
        return None
    return _DONE[done] % {
        "email": target.email,
        "name": target.name,
        "role": target.role,
        "hours": _INVITATION_HOURS,
    }


def _done_with(done: str, target: StaffUser) -> Response:
    return see_other(f"{USERS}?done={done}&user={target.id}")


def _role(value: str | None) -> Role:
    try:
        return Role(value or "")
    except ValueError:
        raise InvalidInput(_("choose a role"), field="role") from None


# --- Each user's API tokens -----------------------------------------------------------------


@router.get("/tokens")
async def token_list(request: Request, session: SessionDep, active: StaffLogin) -> HTMLResponse:
    return await _tokens_page(request, session, active)


@router.post("/tokens")
async def create_token(request: Request, session: SessionDep, active: StaffForm) -> Response:
    """The answer to the create is the one page that ever shows the token's secret: not
    a redirect (the secret would be in its address) and not stored anywhere."""
    form = await read_form(request)
    values = {name: form.get(name, "") for name in ("name", "role")}
    try:
        data = TokenCreate.model_validate(values)
    except ValidationError as invalid:
        state = FormState(values=values, errors=worded_field_errors(invalid, _TOKEN_WHEN_EMPTY))
        return await _tokens_page(
            request, session, active, form=state, status_code=status.HTTP_422_UNPROCESSABLE_CONTENT
        )
    async with refusable(session) as refused:
        token, secret = await tokens.create_token(
            session, name=data.name, role=data.role, user=active.user
        )
    if refused.error:
        state = refused_state(values, refused.error)
        return await _tokens_page(
            request, session, active, form=state, status_code=refused.status_code
        )
    return await _tokens_page(
        request, session, active, created=(token, secret), status_code=status.HTTP_201_CREATED
    )


@router.post("/tokens/{token_id}/revoke")
async def revoke_token(
    token_id: RowIdPath, request: Request, session: SessionDep, active: StaffForm
) -> Response:
    # Someone else's token, unless the user is an admin, is not found.
    await tokens.revoke_token(session, token_id, by=active.user)
    return see_other(TOKENS)


async def _tokens_page(
    request: Request,
    session: AsyncSession,
    active: ActiveSession,
    *,
    form: FormState | None = None,
    created: tuple[ApiToken, str] | None = None,
    status_code: int = status.HTTP_200_OK,
) -> HTMLResponse:
    own_role = Role(active.user.role)
    context: dict[str, Any] = {
        "own": await tokens.list_tokens(session, owner_id=active.user.id),
        "roles": [role for role in Role if own_role.allows(role)],
        "form": form or FormState(values={"role": Role.VIEWER.value}),
        "created": created[0] if created else None,
        "secret": created[1] if created else None,
        "admin": is_admin(active),
    }
    if context["admin"]:
        context["every"] = await tokens.list_tokens(session)
        context["owners"] = {user.id: user for user in await users.list_users(session)}
    return page(request, "staff/tokens.html", status_code=status_code, active=active, **context)


# --- The link in an invitation or reset email (public: the link is the authorisation) ----


@router.get("/welcome/{secret}")
async def welcome(secret: TokenPath, request: Request, session: SessionDep) -> HTMLResponse:
    opened = await invitations.find_open_link(session, secret)
    return _welcome_page(request, opened)


@router.post("/welcome/{secret}")
async def choose_password(secret: TokenPath, request: Request, session: SessionDep) -> Response:
    opened = await invitations.find_open_link(session, secret)
    if opened is None:
        return _welcome_page(request, None)
    form = await read_form(request)
    password = form.get("password", "")
    errors: dict[str, str] = {}
    try:
        data = NewPassword.model_validate({"password": password})
    except ValidationError as invalid:
        errors = worded_field_errors(invalid, _WHEN_EMPTY)
    if "password" not in errors and form.get("password_confirmation", "") != password:
        errors["password_confirmation"] = _NOT_THE_SAME
    if errors:
        return _welcome_page(
            request, opened, FormState(errors=errors), status.HTTP_422_UNPROCESSABLE_CONTENT
        )
    async with refusable(session) as refused:
        await invitations.set_password_by_link(session, secret, data)
    if refused.error:
        return _welcome_page(request, None, status_code=refused.status_code)
    return see_other(CHOSEN)


@router.get("/password-set")
async def password_set(request: Request) -> HTMLResponse:
    return page(request, "staff/welcome_done.html")


def _welcome_page(
    request: Request,
    opened: invitations.OpenLink | None,
    form: FormState | None = None,
    status_code: int | None = None,
) -> HTMLResponse:
    if opened is None:
        return page(
            request,
            "staff/welcome.html",
            status_code=status_code or status.HTTP_404_NOT_FOUND,
            opened=None,
            error=sentence(invitations.LINK_NOT_VALID),
        )
    return page(
        request,
        "staff/welcome.html",
        status_code=status_code or status.HTTP_200_OK,
        opened=opened,
        invitation=opened.purpose == LinkPurpose.INVITATION,
        min_password_length=MIN_PASSWORD_LENGTH,
        # Passwords are never sent back into the page.
        form=form or FormState(),
    )
