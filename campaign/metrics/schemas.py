"""What a metrics query is asked for: a time window, a bucket size and a time zone."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from campaign.db import utcnow
from campaign.errors import InvalidInput

# The window when the caller gives none: the last 30 days.
DEFAULT_WINDOW = timedelta(days=30)
# Longest window a series may cover, so an answer stays a few thousand points at most.
MAX_WINDOW = timedelta(days=3 * 366)


class Bucket(StrEnum):
    HOUR = "hour"
    DAY = "day"


@dataclass(frozen=True)
class MetricsWindow:
    """[start, end) in UTC, with how to cut it into buckets and in which time zone.
    Stored buckets are UTC hours, so the window's ends are rounded to them, and in a
    zone whose offset is not a whole hour (Asia/Kolkata, +05:30) a local day runs from
    the first UTC hour that starts in it: an hour is the finest precision there is."""

    start: datetime
    end: datetime
    bucket: Bucket
    zone: ZoneInfo


def time_zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise InvalidInput(f"unknown time zone {name!r}", field="tz") from error


def metrics_window(
    start: datetime | None, end: datetime | None, bucket: Bucket, zone_name: str
) -> MetricsWindow:
    """The caller's window: naive times are read in the caller's time zone."""
    zone = time_zone(zone_name)
    end_utc = _in_utc(end, zone) if end is not None else utcnow()
    start_utc = _in_utc(start, zone) if start is not None else end_utc - DEFAULT_WINDOW
    if start_utc >= end_utc:
        raise InvalidInput("'from' must be before 'to'", field="from")
    if end_utc - start_utc > MAX_WINDOW:
        raise InvalidInput("the window may cover at most three years", field="from")
    return MetricsWindow(start_utc, end_utc, bucket, zone)


def _in_utc(moment: datetime, zone: ZoneInfo) -> datetime:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    return moment.astimezone(UTC)
