"""Files of our own making for the target directory tests: an officials CSV, a Popolo
document and a postcode table, all about the invented country of Westland (filed as GB)."""

from __future__ import annotations

from typing import Any

EASTMOOR = "ocd-division/country:gb/district:eastmoor"
KETTLE = "ocd-division/country:gb/district:kettle"
UPPER_FOLD = "ocd-division/country:gb/district:upper_fold"

CSV_HEADER = "id,name,title,role,organisation,email,country,division_id,party,source\n"

# Line numbers count the header as line 1; line 6 holds a quoted line break, so the
# record after it starts on line 8.
OFFICIALS_CSV = CSV_HEADER + (
    "mp-1,Orla Penhallow,Member for Eastmoor,Legislator,Assembly of Westland,"
    f"orla.penhallow@assembly.example,GB,{EASTMOOR},Green Lanterns,https://assembly.example/m\n"
    "fm-1,Tobias Wren,,Foreign Minister,Westland Cabinet,Tobias.Wren@GOV.example,gb,,,\n"
    "mp-3,Nell Cardew,Member for Upper Fold,legislator,Assembly of Westland,"
    "not-an-address,GB,,,\n"
    "mp-4,Hal Brisk,Member for Kettle,legislator,Assembly of Westland,"
    "hal.brisk@assembly.example,XX,,,\n"
    '"mp-5","Ida\nMoss",Member for Kettle,legislator,Assembly of Westland,'
    "ida.moss@assembly.example,GB,,,\n"
    ",Pim Ashdown,Member,legislator,Assembly of Westland,pim@assembly.example,GB,,,\n"
    "mp-7,Rue Tallis,Member for Kettle,legislator,Assembly of Westland,"
    "rue.tallis@assembly.example,GB,district:kettle,,\n"
    "\n"
    "mp-8,Sol Vane,Member for Upper Fold,legislator,Assembly of Westland,"
    f"sol.vane@assembly.example,GB,{UPPER_FOLD},,,extra\n"
)
# The skipped rows of OFFICIALS_CSV, as the report gives them.
OFFICIALS_CSV_SKIPPED = [
    "line 4: email: not a valid address",
    "line 5: country: must be an ISO 3166-1 alpha-2 country code, such as GB or FR",
    "line 6: name: must be a single line",
    "line 8: id: Field required",
    "line 9: division_id: must be an Open Civic Data id starting with ocd-division/",
    "line 11: 11 fields, the header has 10",
]


def popolo_document() -> dict[str, Any]:
    """Two chambers, a party, areas with and without OCD ids, a post, and memberships
    that count (current ones) and that do not (ended, no email, in a party)."""
    return {
        "persons": [
            {"id": "p-orla", "name": "Orla Penhallow", "email": "orla.penhallow@assembly.example"},
            {
                "id": "p-tobias",
                "name": "Tobias Wren",
                "contact_details": [
                    {"type": "phone", "value": "+44 20 7946 0000"},
                    {"type": "email", "value": "tobias.wren@gov.example"},
                ],
            },
            {"id": "p-nell", "name": "Nell Cardew"},
            {"id": "p-hal", "name": "Hal Brisk", "email": "hal.brisk@assembly.example"},
            {"id": "p-ida", "name": "Ida Moss", "email": "ida.moss@assembly.example"},
        ],
        "organizations": [
            {"id": "assembly", "name": "Assembly of Westland", "classification": "legislature"},
            {"id": "cabinet", "name": "Westland Cabinet", "classification": "executive"},
            {"id": "lanterns", "name": "Green Lanterns", "classification": "party"},
        ],
        "areas": [
            {"id": EASTMOOR, "name": "Eastmoor"},
            {
                "id": "area-kettle",
                "name": "Kettle",
                "identifiers": [
                    {"scheme": "wikidata", "identifier": "Q0"},
                    {"scheme": "ocd-division", "identifier": KETTLE},
                ],
            },
            {"id": "area-upper", "name": "Upper Fold"},
        ],
        "posts": [
            {"id": "post-chair", "label": "Chair of the Assembly", "organization_id": "assembly"}
        ],
        "memberships": [
            {
                "person_id": "p-orla",
                "organization_id": "assembly",
                "area_id": EASTMOOR,
                "on_behalf_of_id": "lanterns",
                "start_date": "2021-05-06",
            },
            {
                "person_id": "p-tobias",
                "organization_id": "cabinet",
                "role": "Foreign Minister",
                "label": "Minister for Foreign Affairs",
            },
            {"person_id": "p-nell", "organization_id": "assembly", "area_id": "area-upper"},
            {
                "person_id": "p-hal",
                "organization_id": "assembly",
                "area_id": "area-kettle",
                "end_date": "2020-01-31",
            },
            {
                "person_id": "p-ida",
                "organization_id": "assembly",
                "area_id": "area-kettle",
                "on_behalf_of_id": "lanterns",
                "end_date": "2026-06",
            },
            {"person_id": "p-orla", "organization_id": "lanterns", "role": "Leader"},
            {"person_id": "p-hal", "post_id": "post-chair"},
        ],
    }


POSTCODES_CSV = (
    "postcode,division_id\n"
    f"sw1a 1aa,{EASTMOOR}\n"
    f"SW1A-1AA,{EASTMOOR}\n"
    f"N1 9GU,{KETTLE}\n"
    f"n19gu,{UPPER_FOLD}\n"
    f",{KETTLE}\n"
    "E1 6AN,district:nowhere\n"
)
