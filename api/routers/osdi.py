"""The OSDI API, as Action Network speaks it, under /osdi/v1: people, petitions and
signatures, advocacy campaigns and outreaches (letters), fundraising pages and
donations, tags and taggings. Authenticated by a staff API token in the
`OSDI-API-Token` header; viewers read, editors write."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query, Request, Response
from fastapi.responses import JSONResponse
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.deps import SessionDep, SettingsDep, SigningLimitsDep
from api.params import RowIdPath
from campaign.campaigns.models import Campaign, CampaignKind
from campaign.donations.models import Donation, DonationSetup
from campaign.errors import BadRequest, Forbidden, NotFound, Unauthorized
from campaign.letters.models import Letter
from campaign.letters.queries import officials_of_letters
from campaign.osdi import resources
from campaign.osdi.paging import Listing, Page, parse_filter, read_page
from campaign.osdi.resources import HAL_JSON, Links, osdi_amount
from campaign.osdi.schemas import PersonSignupIn, PetitionIn, SignatureIn, TaggingIn, TagIn
from campaign.osdi.service import (
    create_petition,
    record_signature,
    signup_person,
    subscription_statuses,
    update_petition,
)
from campaign.people.models import Person
from campaign.signatures.models import Signature, SignatureStatus
from campaign.staff.models import ApiToken, Role
from campaign.staff.service import authenticate_token, token_role
from campaign.tags.models import Tag, Tagging
from campaign.tags.service import find_or_create_tag, get_tag, get_tagging, tag_person, untag

router = APIRouter(prefix="/osdi/v1", tags=["osdi"])

MAX_PAGE = 1_000_000
PageQuery = Annotated[int, Query(ge=1, le=MAX_PAGE)]
# Larger than 25 is served as 25, as Action Network does; beyond this it is a typo.
PerPageQuery = Annotated[int, Query(ge=1, le=10_000)]
FilterQuery = Annotated[str | None, Query(max_length=500)]


class HalResponse(JSONResponse):
    media_type = HAL_JSON


def requires_osdi_token(role: Role) -> Callable[..., Awaitable[ApiToken]]:
    async def authenticate_osdi_client(
        session: SessionDep,
        osdi_api_token: Annotated[str | None, Header(max_length=1000)] = None,
        authorization: Annotated[str | None, Header(max_length=1000)] = None,
    ) -> ApiToken:
        secret = osdi_api_token
        if secret is None and authorization and authorization.lower().startswith("bearer "):
            secret = authorization[7:].strip()
        if not secret:
            raise Unauthorized("send a staff API token in the OSDI-API-Token header")
        token = await authenticate_token(session, secret)
        if token is None:
            raise Unauthorized("the API token is not valid or has been revoked")
        if not (await token_role(session, token)).allows(role):
            raise Forbidden(f"this action needs the {role.value} role")
        return token

    authenticate_osdi_client.staff_role = role  # type: ignore[attr-defined]
    return authenticate_osdi_client


Reader = Annotated[ApiToken, Depends(requires_osdi_token(Role.VIEWER))]
Writer = Annotated[ApiToken, Depends(requires_osdi_token(Role.EDITOR))]


def _links(request: Request) -> Links:
    return Links(str(request.base_url).rstrip("/") + "/osdi/v1")


@dataclass(frozen=True)
class PageParams:
    page: int
    per_page: int
    filter: str | None


async def _page_params(
    page: PageQuery = 1, per_page: PerPageQuery = 25, filter: FilterQuery = None
) -> PageParams:
    return PageParams(page, per_page, filter)


# Every collection's `page`, `per_page` and OData `filter`, as Action Network takes them.
Paging = Annotated[PageParams, Depends(_page_params)]


async def _page(session: AsyncSession, listing: Listing, paging: PageParams) -> Page:
    filters = parse_filter(paging.filter)
    return await read_page(session, listing, filters, paging.page, paging.per_page)


def _collection(
    request: Request,
    path: Sequence[object],
    rel: str,
    page: Page,
    items: list[dict[str, Any]],
    filter_text: str | None,
) -> HalResponse:
    query = {"filter": filter_text} if filter_text else None
    body = resources.collection(_links(request), path, rel, page, items, query=query)
    return HalResponse(body)


# -- entry point ----------------------------------------------------------------------


@router.get("", summary="The OSDI entry point (AEP)")
async def entry_point(request: Request, _token: Reader) -> HalResponse:
    return HalResponse(resources.entry_point(_links(request)))


# -- people ---------------------------------------------------------------------------


def _people_listing(*where: Any) -> Listing:
    return Listing("people", Person, list(where), Person.modified_at, Person.created_at)


async def _people_items(
    session: AsyncSession, links: Links, people: Sequence[Person]
) -> list[dict[str, Any]]:
    statuses = await subscription_statuses(session, people)
    return [resources.person(links, p, subscribed=statuses[p.id]) for p in people]


@router.get("/people", summary="People, pages of at most 25")
async def list_people(
    request: Request,
    session: SessionDep,
    _token: Reader,
    paging: Paging,
) -> HalResponse:
    result = await _page(session, _people_listing(), paging)
    items = await _people_items(session, _links(request), result.rows)
    return _collection(request, ["people"], "osdi:people", result, items, paging.filter)


@router.post("/people", summary="The person signup helper: upsert by email address")
async def person_signup(
    request: Request, session: SessionDep, _token: Writer, body: PersonSignupIn
) -> HalResponse:
    person, created = await signup_person(session, body.person, body.add_tags)
    [item] = await _people_items(session, _links(request), [person])
    return HalResponse(item, status_code=201 if created else 200)


async def _person(session: AsyncSession, person_id: int) -> Person:
    person = await session.get(Person, person_id)
    if person is None:
        raise NotFound("no such person", field="person_id")
    return person


@router.get("/people/{person_id}", summary="One person")
async def read_person(
    request: Request, session: SessionDep, _token: Reader, person_id: RowIdPath
) -> HalResponse:
    [item] = await _people_items(session, _links(request), [await _person(session, person_id)])
    return HalResponse(item)


@router.get("/people/{person_id}/signatures", summary="A person's signatures")
async def person_signatures(
    request: Request,
    session: SessionDep,
    _token: Reader,
    person_id: RowIdPath,
    paging: Paging,
) -> HalResponse:
    await _person(session, person_id)
    listing = Listing(
        f"people/{person_id}/signatures",
        Signature,
        [Signature.person_id == person_id],
        Signature.modified_at,
        Signature.created_at,
    )
    result = await _page(session, listing, paging)
    links = _links(request)
    items = [resources.signature(links, row) for row in result.rows]
    path = ["people", person_id, "signatures"]
    return _collection(request, path, "osdi:signatures", result, items, paging.filter)


@router.get("/people/{person_id}/outreaches", summary="A person's letters")
async def person_outreaches(
    request: Request,
    session: SessionDep,
    _token: Reader,
    person_id: RowIdPath,
    paging: Paging,
) -> HalResponse:
    await _person(session, person_id)
    listing = Listing(
        f"people/{person_id}/outreaches",
        Letter,
        [Letter.person_id == person_id],
        Letter.modified_at,
        Letter.created_at,
    )
    result = await _page(session, listing, paging)
    items = await _outreach_items(session, _links(request), result.rows)
    path = ["people", person_id, "outreaches"]
    return _collection(request, path, "osdi:outreaches", result, items, paging.filter)


@router.get("/people/{person_id}/donations", summary="A person's donations")
async def person_donations(
    request: Request,
    session: SessionDep,
    _token: Reader,
    person_id: RowIdPath,
    paging: Paging,
) -> HalResponse:
    await _person(session, person_id)
    listing = _donations_listing(f"people/{person_id}/donations", Donation.person_id == person_id)
    result = await _page(session, listing, paging)
    items = [_donation(_links(request), row) for row in result.rows]
    path = ["people", person_id, "donations"]
    return _collection(request, path, "osdi:donations", result, items, paging.filter)


@router.get("/people/{person_id}/taggings", summary="A person's taggings")
async def person_taggings(
    request: Request,
    session: SessionDep,
    _token: Reader,
    person_id: RowIdPath,
    paging: Paging,
) -> HalResponse:
    await _person(session, person_id)
    listing = Listing(
        f"people/{person_id}/taggings",
        Tagging,
        [Tagging.person_id == person_id],
        Tagging.created_at,
        Tagging.created_at,
    )
    result = await _page(session, listing, paging)
    items = [resources.tagging(_links(request), row) for row in result.rows]
    path = ["people", person_id, "taggings"]
    return _collection(request, path, "osdi:taggings", result, items, paging.filter)


# -- petitions and signatures ----------------------------------------------------------


async def _campaign(
    session: AsyncSession, campaign_id: int, kind: CampaignKind, field: str
) -> Campaign:
    campaign = await session.get(Campaign, campaign_id)
    if campaign is None or campaign.kind != kind:
        raise NotFound(f"no such {field.removesuffix('_id').replace('_', ' ')}", field=field)
    return campaign


def _browser_url(settings: Any, campaign: Campaign) -> str:
    return f"{settings.public_url.rstrip('/')}/c/{campaign.slug}"


async def _petition_item(
    session: AsyncSession, links: Links, settings: Any, campaign: Campaign
) -> dict[str, Any]:
    confirmed = await session.scalar(
        select(func.count())
        .select_from(Signature)
        .where(Signature.campaign_id == campaign.id, Signature.status == SignatureStatus.CONFIRMED)
    )
    return resources.petition(
        links,
        campaign,
        total_signatures=int(confirmed or 0),
        browser_url=_browser_url(settings, campaign),
    )


@router.get("/petitions", summary="Petitions")
async def list_petitions(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    _token: Reader,
    paging: Paging,
) -> HalResponse:
    listing = Listing(
        "petitions",
        Campaign,
        [Campaign.kind == CampaignKind.PETITION],
        Campaign.updated_at,
        Campaign.created_at,
    )
    result = await _page(session, listing, paging)
    links = _links(request)
    items = [await _petition_item(session, links, settings, row) for row in result.rows]
    return _collection(request, ["petitions"], "osdi:petitions", result, items, paging.filter)


@router.post("/petitions", summary="Create a petition (a draft, for staff to publish)")
async def new_petition(
    request: Request, session: SessionDep, settings: SettingsDep, _token: Writer, body: PetitionIn
) -> HalResponse:
    campaign = await create_petition(session, body)
    item = await _petition_item(session, _links(request), settings, campaign)
    return HalResponse(item, status_code=201)


@router.get("/petitions/{petition_id}", summary="One petition")
async def read_petition(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    _token: Reader,
    petition_id: RowIdPath,
) -> HalResponse:
    campaign = await _campaign(session, petition_id, CampaignKind.PETITION, "petition_id")
    return HalResponse(await _petition_item(session, _links(request), settings, campaign))


@router.put("/petitions/{petition_id}", summary="Change a petition's title, texts or target")
async def change_petition(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    _token: Writer,
    petition_id: RowIdPath,
    body: PetitionIn,
) -> HalResponse:
    campaign = await _campaign(session, petition_id, CampaignKind.PETITION, "petition_id")
    campaign = await update_petition(session, campaign, body)
    return HalResponse(await _petition_item(session, _links(request), settings, campaign))


def _signatures_listing(petition_id: int) -> Listing:
    return Listing(
        f"petitions/{petition_id}/signatures",
        Signature,
        [Signature.campaign_id == petition_id],
        Signature.modified_at,
        Signature.created_at,
    )


@router.get("/petitions/{petition_id}/signatures", summary="A petition's signatures")
async def petition_signatures(
    request: Request,
    session: SessionDep,
    _token: Reader,
    petition_id: RowIdPath,
    paging: Paging,
) -> HalResponse:
    await _campaign(session, petition_id, CampaignKind.PETITION, "petition_id")
    result = await _page(session, _signatures_listing(petition_id), paging)
    links = _links(request)
    items = [resources.signature(links, row) for row in result.rows]
    path = ["petitions", petition_id, "signatures"]
    return _collection(request, path, "osdi:signatures", result, items, paging.filter)


@router.post(
    "/petitions/{petition_id}/signatures",
    summary="The record signature helper: a signature and its person, through the signing flow",
)
async def new_signature(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    limits: SigningLimitsDep,
    _token: Writer,
    petition_id: RowIdPath,
    body: SignatureIn | None = None,
) -> HalResponse:
    if body is None:
        raise BadRequest("a signature needs a JSON body with its person", field="person")
    campaign = await _campaign(session, petition_id, CampaignKind.PETITION, "petition_id")
    signature, created = await record_signature(
        session, campaign, body, limits, max_emails=settings.max_emails_per_signature
    )
    return HalResponse(
        resources.signature(_links(request), signature), status_code=201 if created else 200
    )


@router.get("/petitions/{petition_id}/signatures/{signature_id}", summary="One signature")
async def read_signature(
    request: Request,
    session: SessionDep,
    _token: Reader,
    petition_id: RowIdPath,
    signature_id: RowIdPath,
) -> HalResponse:
    signature = await session.get(Signature, signature_id)
    if signature is None or signature.campaign_id != petition_id:
        raise NotFound("no such signature", field="signature_id")
    return HalResponse(resources.signature(_links(request), signature))


# -- advocacy campaigns and outreaches ---------------------------------------------------


async def _outreach_items(
    session: AsyncSession, links: Links, letters: Sequence[Letter]
) -> list[dict[str, Any]]:
    officials = await officials_of_letters(session, [letter.id for letter in letters])
    return [resources.outreach(links, letter, officials[letter.id]) for letter in letters]


async def _advocacy_item(session: AsyncSession, links: Links, campaign: Campaign) -> dict[str, Any]:
    total = await session.scalar(
        select(func.count()).select_from(Letter).where(Letter.campaign_id == campaign.id)
    )
    return resources.advocacy_campaign(links, campaign, total_outreaches=int(total or 0))


@router.get("/advocacy_campaigns", summary="Letter campaigns")
async def list_advocacy_campaigns(
    request: Request,
    session: SessionDep,
    _token: Reader,
    paging: Paging,
) -> HalResponse:
    listing = Listing(
        "advocacy_campaigns",
        Campaign,
        [Campaign.kind == CampaignKind.LETTER],
        Campaign.updated_at,
        Campaign.created_at,
    )
    result = await _page(session, listing, paging)
    links = _links(request)
    items = [await _advocacy_item(session, links, row) for row in result.rows]
    return _collection(
        request, ["advocacy_campaigns"], "osdi:advocacy_campaigns", result, items, paging.filter
    )


@router.get("/advocacy_campaigns/{campaign_id}", summary="One letter campaign")
async def read_advocacy_campaign(
    request: Request, session: SessionDep, _token: Reader, campaign_id: RowIdPath
) -> HalResponse:
    campaign = await _campaign(session, campaign_id, CampaignKind.LETTER, "advocacy_campaign_id")
    return HalResponse(await _advocacy_item(session, _links(request), campaign))


@router.get("/advocacy_campaigns/{campaign_id}/outreaches", summary="A letter campaign's letters")
async def advocacy_outreaches(
    request: Request,
    session: SessionDep,
    _token: Reader,
    campaign_id: RowIdPath,
    paging: Paging,
) -> HalResponse:
    await _campaign(session, campaign_id, CampaignKind.LETTER, "advocacy_campaign_id")
    listing = Listing(
        f"advocacy_campaigns/{campaign_id}/outreaches",
        Letter,
        [Letter.campaign_id == campaign_id],
        Letter.modified_at,
        Letter.created_at,
    )
    result = await _page(session, listing, paging)
    items = await _outreach_items(session, _links(request), result.rows)
    path = ["advocacy_campaigns", campaign_id, "outreaches"]
    return _collection(request, path, "osdi:outreaches", result, items, paging.filter)


@router.get("/advocacy_campaigns/{campaign_id}/outreaches/{outreach_id}", summary="One letter")
async def read_outreach(
    request: Request,
    session: SessionDep,
    _token: Reader,
    campaign_id: RowIdPath,
    outreach_id: RowIdPath,
) -> HalResponse:
    letter = await session.get(Letter, outreach_id)
    if letter is None or letter.campaign_id != campaign_id:
        raise NotFound("no such outreach", field="outreach_id")
    [item] = await _outreach_items(session, _links(request), [letter])
    return HalResponse(item)


# -- fundraising pages and donations -----------------------------------------------------


def _donation(links: Links, row: Donation) -> dict[str, Any]:
    return resources.donation(links, row, amount_text=osdi_amount)


def _donations_listing(name: str, *where: Any) -> Listing:
    return Listing(name, Donation, list(where), Donation.modified_at, Donation.created_at)


async def _fundraising_item(
    session: AsyncSession, links: Links, campaign: Campaign
) -> dict[str, Any]:
    total = await session.scalar(
        select(func.count()).select_from(Donation).where(Donation.campaign_id == campaign.id)
    )
    return resources.fundraising_page(links, campaign, total_donations=int(total or 0))


async def _fundraising_campaign(session: AsyncSession, page_id: int) -> Campaign:
    campaign = await session.get(Campaign, page_id)
    if campaign is None or await session.get(DonationSetup, page_id) is None:
        raise NotFound("no such fundraising page", field="fundraising_page_id")
    return campaign


@router.get("/fundraising_pages", summary="Campaigns that take donations")
async def list_fundraising_pages(
    request: Request,
    session: SessionDep,
    _token: Reader,
    paging: Paging,
) -> HalResponse:
    listing = Listing(
        "fundraising_pages",
        Campaign,
        [Campaign.id.in_(select(DonationSetup.campaign_id))],
        Campaign.updated_at,
        Campaign.created_at,
    )
    result = await _page(session, listing, paging)
    links = _links(request)
    items = [await _fundraising_item(session, links, row) for row in result.rows]
    return _collection(
        request, ["fundraising_pages"], "osdi:fundraising_pages", result, items, paging.filter
    )


@router.get("/fundraising_pages/{page_id}", summary="One fundraising page")
async def read_fundraising_page(
    request: Request, session: SessionDep, _token: Reader, page_id: RowIdPath
) -> HalResponse:
    campaign = await _fundraising_campaign(session, page_id)
    return HalResponse(await _fundraising_item(session, _links(request), campaign))


@router.get("/fundraising_pages/{page_id}/donations", summary="A fundraising page's donations")
async def fundraising_page_donations(
    request: Request,
    session: SessionDep,
    _token: Reader,
    page_id: RowIdPath,
    paging: Paging,
) -> HalResponse:
    await _fundraising_campaign(session, page_id)
    listing = _donations_listing(
        f"fundraising_pages/{page_id}/donations", Donation.campaign_id == page_id
    )
    result = await _page(session, listing, paging)
    items = [_donation(_links(request), row) for row in result.rows]
    path = ["fundraising_pages", page_id, "donations"]
    return _collection(request, path, "osdi:donations", result, items, paging.filter)


@router.get("/donations", summary="Donations")
async def list_donations(
    request: Request,
    session: SessionDep,
    _token: Reader,
    paging: Paging,
) -> HalResponse:
    result = await _page(session, _donations_listing("donations"), paging)
    items = [_donation(_links(request), row) for row in result.rows]
    return _collection(request, ["donations"], "osdi:donations", result, items, paging.filter)


@router.get("/donations/{donation_id}", summary="One donation")
async def read_donation(
    request: Request, session: SessionDep, _token: Reader, donation_id: RowIdPath
) -> HalResponse:
    donation = await session.get(Donation, donation_id)
    if donation is None:
        raise NotFound("no such donation", field="donation_id")
    return HalResponse(_donation(_links(request), donation))


# -- tags and taggings ----------------------------------------------------------------


@router.get("/tags", summary="Tags")
async def list_tags(
    request: Request,
    session: SessionDep,
    _token: Reader,
    paging: Paging,
) -> HalResponse:
    listing = Listing("tags", Tag, [], Tag.modified_at, Tag.created_at)
    result = await _page(session, listing, paging)
    items = [resources.tag(_links(request), row) for row in result.rows]
    return _collection(request, ["tags"], "osdi:tags", result, items, paging.filter)


@router.post("/tags", summary="Create a tag (or find the one with that name)")
async def new_tag(
    request: Request, session: SessionDep, _token: Writer, body: TagIn
) -> HalResponse:
    tag = await find_or_create_tag(session, body.name)
    return HalResponse(resources.tag(_links(request), tag), status_code=201)


@router.get("/tags/{tag_id}", summary="One tag")
async def read_tag(
    request: Request, session: SessionDep, _token: Reader, tag_id: RowIdPath
) -> HalResponse:
    return HalResponse(resources.tag(_links(request), await get_tag(session, tag_id)))


@router.get("/tags/{tag_id}/taggings", summary="A tag's taggings")
async def tag_taggings(
    request: Request,
    session: SessionDep,
    _token: Reader,
    tag_id: RowIdPath,
    paging: Paging,
) -> HalResponse:
    await get_tag(session, tag_id)
    listing = Listing(
        f"tags/{tag_id}/taggings",
        Tagging,
        [Tagging.tag_id == tag_id],
        Tagging.created_at,
        Tagging.created_at,
    )
    result = await _page(session, listing, paging)
    items = [resources.tagging(_links(request), row) for row in result.rows]
    return _collection(
        request, ["tags", tag_id, "taggings"], "osdi:taggings", result, items, paging.filter
    )


@router.post("/tags/{tag_id}/taggings", summary="Tag a person")
async def new_tagging(
    request: Request, session: SessionDep, _token: Writer, tag_id: RowIdPath, body: TaggingIn
) -> HalResponse:
    tag = await get_tag(session, tag_id)
    person = await _person(session, body.person())
    tagging = await tag_person(session, tag, person.id)
    person.modified_at = tagging.created_at
    return HalResponse(resources.tagging(_links(request), tagging), status_code=201)


@router.get("/tags/{tag_id}/taggings/{tagging_id}", summary="One tagging")
async def read_tagging(
    request: Request, session: SessionDep, _token: Reader, tag_id: RowIdPath, tagging_id: RowIdPath
) -> HalResponse:
    return HalResponse(
        resources.tagging(_links(request), await get_tagging(session, tag_id, tagging_id))
    )


@router.delete("/tags/{tag_id}/taggings/{tagging_id}", summary="Take a tag off a person")
async def delete_tagging(
    session: SessionDep, _token: Writer, tag_id: RowIdPath, tagging_id: RowIdPath
) -> Response:
    await untag(session, tag_id, tagging_id)
    return HalResponse({"notice": "This tagging was successfully deleted."})
