"""Staff API: submit a release, review its calls to action, draft campaigns from them."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, Query, Response, UploadFile, status

from api.deps import Editor, ReleaseExtractor, SessionDep, Viewer
from api.params import OffsetQuery, RowIdPath
from api.schemas.campaigns import StaffCampaignView
from api.schemas.letters import LetterSetupView
from api.schemas.releases import (
    CallView,
    DraftedCampaign,
    IngestedRelease,
    ReleaseSummary,
    ReleaseView,
)
from api.uploads import read_upload, release_submission_from_form
from campaign.extraction import Extractor
from campaign.releases import service
from campaign.releases.models import CallStatus
from campaign.releases.schemas import (
    CallMerge,
    CallSelection,
    CallUpdate,
    DraftRequest,
    ReleaseSubmission,
    ReleaseUpdate,
)

router = APIRouter(prefix="/api/v1/staff", tags=["staff: releases"])


@router.post("/releases", status_code=status.HTTP_201_CREATED)
async def submit_release(
    data: ReleaseSubmission,
    session: SessionDep,
    _staff: Editor,
    extractor: ReleaseExtractor,
    response: Response,
) -> IngestedRelease:
    return await _ingest(session, data, extractor, response)


async def _ingest(
    session: SessionDep, data: ReleaseSubmission, extractor: Extractor, response: Response
) -> IngestedRelease:
    release, created = await service.ingest_release(session, data, extractor)
    if not created:
        response.status_code = status.HTTP_200_OK  # seen before: nothing new was stored
    calls = await service.calls_of(session, release.id)
    return IngestedRelease(
        release=ReleaseView.model_validate(release),
        created=created,
        calls_to_action=[CallView.model_validate(c) for c in calls],
    )


@router.post("/releases/upload", status_code=status.HTTP_201_CREATED)
async def upload_release(
    session: SessionDep,
    _staff: Editor,
    extractor: ReleaseExtractor,
    response: Response,
    file: Annotated[UploadFile, File(description="The release: .txt, .md or .html")],
    title: Annotated[str | None, Form()] = None,
    organisation: Annotated[str | None, Form()] = None,
    published_on: Annotated[str | None, Form()] = None,
    language: Annotated[str | None, Form()] = None,
    source_url: Annotated[str | None, Form()] = None,
) -> IngestedRelease:
    """The same as submitting the release's text, from a file; the format follows the
    file's extension."""
    content = await read_upload(file)
    data = release_submission_from_form(
        content=content,
        filename=file.filename or "",
        title=title,
        organisation=organisation,
        published_on=published_on,
        language=language,
        source_url=source_url,
    )
    return await _ingest(session, data, extractor, response)


@router.get("/releases")
async def list_releases(
    session: SessionDep,
    _staff: Viewer,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: OffsetQuery = 0,
) -> list[ReleaseSummary]:
    releases = await service.list_releases(session, limit=limit, offset=offset)
    return [ReleaseSummary.model_validate(r) for r in releases]


@router.get("/releases/{release_id}")
async def read_release(release_id: RowIdPath, session: SessionDep, _staff: Viewer) -> ReleaseView:
    return ReleaseView.model_validate(await service.get_release(session, release_id))


@router.patch("/releases/{release_id}")
async def update_release(
    release_id: RowIdPath, data: ReleaseUpdate, session: SessionDep, _staff: Editor
) -> ReleaseView:
    """Correct the title, organisation, date or language; `"title": null` gives the
    release its headline again. The text and its calls stay as they are."""
    release = await service.get_release(session, release_id)
    return ReleaseView.model_validate(await service.update_release(session, release, data))


@router.get("/releases/{release_id}/calls")
async def list_calls(
    release_id: RowIdPath,
    session: SessionDep,
    _staff: Viewer,
    status: Annotated[CallStatus | None, Query(description="Only the calls in this status")] = None,
) -> list[CallView]:
    release = await service.get_release(session, release_id)
    calls = await service.calls_of(session, release.id, status=status)
    return [CallView.model_validate(c) for c in calls]


@router.post("/releases/{release_id}/calls", status_code=status.HTTP_201_CREATED)
async def add_call(
    release_id: RowIdPath,
    data: CallSelection,
    session: SessionDep,
    _staff: Editor,
    extractor: ReleaseExtractor,
) -> CallView:
    """A call staff found themselves: `start` and `end` into the release's text, or the
    exact `sentence`; `targets`, `action` and `strength` left out are read from it."""
    release = await service.get_release(session, release_id)
    call = await service.add_call(session, release, data, extractor)
    return CallView.model_validate(call)


@router.patch("/calls/{call_id}")
async def update_call(
    call_id: RowIdPath, data: CallUpdate, session: SessionDep, _staff: Editor
) -> CallView:
    call = await service.get_call(session, call_id)
    return CallView.model_validate(await service.update_call(session, call, data))


@router.post("/calls/{call_id}/accept")
async def accept_call(call_id: RowIdPath, session: SessionDep, _staff: Editor) -> CallView:
    call = await service.get_call(session, call_id)
    return CallView.model_validate(await service.accept_call(session, call))


@router.post("/calls/{call_id}/reject")
async def reject_call(call_id: RowIdPath, session: SessionDep, _staff: Editor) -> CallView:
    call = await service.get_call(session, call_id)
    return CallView.model_validate(await service.reject_call(session, call))


@router.post("/calls/{call_id}/promote")
async def promote_call(call_id: RowIdPath, session: SessionDep, _staff: Editor) -> CallView:
    call = await service.get_call(session, call_id)
    return CallView.model_validate(await service.promote_call(session, call))


@router.post("/calls/merge")
async def merge_calls(data: CallMerge, session: SessionDep, _staff: Editor) -> CallView:
    return CallView.model_validate(await service.merge_calls(session, data))


@router.post("/releases/{release_id}/drafts", status_code=status.HTTP_201_CREATED)
async def draft_campaign(
    release_id: RowIdPath, data: DraftRequest, session: SessionDep, _staff: Editor
) -> DraftedCampaign:
    release = await service.get_release(session, release_id)
    drafted = await service.draft_campaign(session, release, data)
    letter = drafted.letter
    return DraftedCampaign(
        campaign=StaffCampaignView.of(drafted.campaign),
        calls_to_action=[CallView.model_validate(c) for c in drafted.calls],
        letter=LetterSetupView.of(letter.setup) if letter else None,
        officials_found=letter.officials if letter else None,
    )
