"""Our rows as OSDI resources (HAL+JSON), shaped as Action Network shapes them, so
that clients written for it find each field where they look."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from campaign.campaigns.models import Campaign
from campaign.donations.models import Donation
from campaign.donations.money import minor_units_per_major
from campaign.letters.models import Letter
from campaign.osdi.paging import Page
from campaign.people.models import Person
from campaign.signatures.models import Signature
from campaign.tags.models import Tag, Tagging
from campaign.targets.models import Official

ORIGIN_SYSTEM = "campaign"
HAL_JSON = "application/hal+json"
OSDI_DOCS = "https://opensupporter.github.io/osdi-docs/{rel}"

# Collections and the resource each holds, as the entry point lists them.
COLLECTIONS = {
    "people": "osdi:people",
    "petitions": "osdi:petitions",
    "advocacy_campaigns": "osdi:advocacy_campaigns",
    "fundraising_pages": "osdi:fundraising_pages",
    "donations": "osdi:donations",
    "tags": "osdi:tags",
}


@dataclass(frozen=True)
class Links:
    """Absolute links under the API's root, e.g. https://example.org/osdi/v1."""

    root: str

    def to(self, *parts: object) -> dict[str, str]:
        return {"href": "/".join([self.root, *(str(part) for part in parts)])}

    def curies(self) -> list[dict[str, Any]]:
        # The relations are OSDI's own, documented by the specification.
        return [{"name": "osdi", "href": OSDI_DOCS, "templated": True}]


def identifiers(row_id: int) -> list[str]:
    # action_network: too, because clients written for Action Network take the id from
    # the identifier with that prefix.
    return [f"campaign:{row_id}", f"action_network:{row_id}"]


def when(moment: datetime | None) -> str | None:
    return None if moment is None else moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _dates(created: datetime, modified: datetime) -> dict[str, Any]:
    return {"created_date": when(created), "modified_date": when(modified)}


def entry_point(links: Links) -> dict[str, Any]:
    body: dict[str, Any] = {
        "motd": "campaign's OSDI API, compatible with Action Network's",
        "vendor_name": "campaign",
        "product_name": "campaign",
        "osdi_version": "1.2.0",
        "max_pagesize": 25,
        "_links": {
            "self": links.to(),
            "curies": links.curies(),
            **{rel: links.to(name) for name, rel in COLLECTIONS.items()},
        },
    }
    return body


def collection(
    links: Links,
    path: Sequence[object],
    rel: str,
    page: Page,
    items: list[dict[str, Any]],
    *,
    query: dict[str, str] | None = None,
) -> dict[str, Any]:
    """A page of a collection as Action Network answers it; past the end, an empty list
    (what its clients stop on)."""

    def page_link(number: int) -> dict[str, str]:
        params = {**(query or {}), "page": str(number), "per_page": str(page.per_page)}
        return {"href": links.to(*path)["href"] + "?" + urlencode(params)}

    page_links: dict[str, Any] = {"self": page_link(page.page)}
    if page.page < page.total_pages:
        page_links["next"] = page_link(page.page + 1)
    if page.page > 1:
        page_links["previous"] = page_link(min(page.page - 1, page.total_pages))
    return {
        "total_pages": page.total_pages,
        "per_page": page.per_page,
        "page": page.page,
        "total_records": page.total_records,
        "_links": {
            **page_links,
            "curies": links.curies(),
            rel: [item["_links"]["self"] for item in items],
        },
        "_embedded": {rel: items},
    }


def person(
    links: Links, row: Person, *, subscribed: bool, tags: list[str] | None = None
) -> dict[str, Any]:
    postal: dict[str, Any] = {"primary": True, "country": row.country}
    if row.postcode:
        postal["postal_code"] = row.postcode
    body: dict[str, Any] = {
        "identifiers": identifiers(row.id),
        **_dates(row.created_at, row.modified_at),
        "given_name": row.given_name,
        "family_name": row.family_name,
        "email_addresses": [
            {
                "primary": True,
                "address": row.email,
                "status": "subscribed" if subscribed else "unsubscribed",
            }
        ],
        "postal_addresses": [postal],
        "custom_fields": dict(row.custom_fields or {}),
        "_links": {
            "self": links.to("people", row.id),
            "osdi:signatures": links.to("people", row.id, "signatures"),
            "osdi:outreaches": links.to("people", row.id, "outreaches"),
            "osdi:donations": links.to("people", row.id, "donations"),
            "osdi:taggings": links.to("people", row.id, "taggings"),
        },
    }
    if tags is not None:
        body["tags"] = tags
    return body


def petition(
    links: Links, row: Campaign, *, total_signatures: int, browser_url: str
) -> dict[str, Any]:
    return {
        "identifiers": identifiers(row.id),
        **_dates(row.created_at, row.updated_at),
        "origin_system": ORIGIN_SYSTEM,
        "title": row.title,
        "description": row.summary,
        "petition_text": row.body_markdown,
        "target": [{"name": row.target}],
        "total_signatures": total_signatures,
        "browser_url": browser_url,
        "status": row.state,
        "_links": {
            "self": links.to("petitions", row.id),
            "osdi:signatures": links.to("petitions", row.id, "signatures"),
            "osdi:record_signature_helper": links.to("petitions", row.id, "signatures"),
        },
    }


def signature(links: Links, row: Signature) -> dict[str, Any]:
    referrer = {
        key: value
        for key, value in (
            ("source", row.utm_source),
            ("website", row.referrer),
        )
        if value
    }
    body: dict[str, Any] = {
        "identifiers": identifiers(row.id),
        **_dates(row.created_at, row.modified_at),
        "origin_system": ORIGIN_SYSTEM,
        "action_date": when(row.created_at),
        # Ours, beside OSDI's fields: only a confirmed signature counts.
        "status": row.status,
        # Ours too (OSDI's signature has no language): the language version signed.
        "language": row.language,
        "_links": {
            "self": links.to("petitions", row.campaign_id, "signatures", row.id),
            "osdi:petition": links.to("petitions", row.campaign_id),
            "osdi:person": links.to("people", row.person_id),
        },
    }
    if row.comment:
        body["comments"] = row.comment
    if referrer:
        body["referrer_data"] = referrer
    return body


def advocacy_campaign(links: Links, row: Campaign, *, total_outreaches: int) -> dict[str, Any]:
    return {
        "identifiers": identifiers(row.id),
        **_dates(row.created_at, row.updated_at),
        "origin_system": ORIGIN_SYSTEM,
        "title": row.title,
        "description": row.summary,
        "type": "email",
        "targets": [{"name": row.target}],
        "total_outreaches": total_outreaches,
        "status": row.state,
        "_links": {
            "self": links.to("advocacy_campaigns", row.id),
            "osdi:outreaches": links.to("advocacy_campaigns", row.id, "outreaches"),
        },
    }


def outreach(links: Links, row: Letter, officials: Sequence[Official]) -> dict[str, Any]:
    return {
        "identifiers": identifiers(row.id),
        **_dates(row.created_at, row.modified_at),
        "origin_system": ORIGIN_SYSTEM,
        "type": "email",
        "subject": row.subject,
        "message": row.body,
        "status": row.status,
        "targets": [_target(official) for official in officials],
        "_links": {
            "self": links.to("advocacy_campaigns", row.campaign_id, "outreaches", row.id),
            "osdi:advocacy_campaign": links.to("advocacy_campaigns", row.campaign_id),
            "osdi:person": links.to("people", row.person_id),
        },
    }


def _target(official: Official) -> dict[str, Any]:
    target: dict[str, Any] = {
        "title": official.title,
        "organization": official.organisation,
        "given_name": official.name,
    }
    if official.division_id:
        target["ocdid"] = official.division_id
    return target


def fundraising_page(links: Links, row: Campaign, *, total_donations: int) -> dict[str, Any]:
    return {
        "identifiers": identifiers(row.id),
        **_dates(row.created_at, row.updated_at),
        "origin_system": ORIGIN_SYSTEM,
        "title": row.title,
        "description": row.summary,
        "total_donations": total_donations,
        "_links": {
            "self": links.to("fundraising_pages", row.id),
            "osdi:donations": links.to("fundraising_pages", row.id, "donations"),
        },
    }


def donation(
    links: Links, row: Donation, *, amount_text: Callable[[int, str], str]
) -> dict[str, Any]:
    amount = amount_text(row.amount, row.currency)
    return {
        "identifiers": identifiers(row.id),
        **_dates(row.created_at, row.modified_at),
        "origin_system": ORIGIN_SYSTEM,
        "action_date": when(row.completed_at or row.created_at),
        "currency": row.currency.upper(),
        "amount": amount,
        "recipients": [{"display_name": ORIGIN_SYSTEM, "amount": amount}],
        "payment": {"method": "Credit Card", "reference_number": str(row.id)},
        "action_network:recurrence": {
            "recurring": row.frequency == "monthly",
            "period": "Monthly" if row.frequency == "monthly" else "None",
        },
        "status": row.status,
        "_links": {
            "self": links.to("donations", row.id),
            "osdi:fundraising_page": links.to("fundraising_pages", row.campaign_id),
            "osdi:person": links.to("people", row.person_id),
        },
    }


def osdi_amount(amount: int, currency: str) -> str:
    """An amount in the minor unit as OSDI writes it: "12.50" (or "1200" for yen)."""
    per_major = minor_units_per_major(currency)
    return str(amount) if per_major == 1 else f"{amount / per_major:.2f}"


def tag(links: Links, row: Tag) -> dict[str, Any]:
    return {
        "identifiers": identifiers(row.id),
        **_dates(row.created_at, row.modified_at),
        "name": row.name,
        "_links": {
            "self": links.to("tags", row.id),
            "osdi:taggings": links.to("tags", row.id, "taggings"),
        },
    }


def tagging(links: Links, row: Tagging) -> dict[str, Any]:
    return {
        "identifiers": identifiers(row.id),
        **_dates(row.created_at, row.created_at),
        "item_type": "osdi:person",
        "_links": {
            "self": links.to("tags", row.tag_id, "taggings", row.id),
            "osdi:tag": links.to("tags", row.tag_id),
            "osdi:person": links.to("people", row.person_id),
        },
    }
