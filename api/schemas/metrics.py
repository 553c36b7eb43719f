"""Staff metrics as the API shows them."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime

from pydantic import BaseModel

from campaign.metrics.queries import Metrics


class SignatureTotalsView(BaseModel):
    confirmed: int
    pending: int
    fraudulent: int
    invalidated: int


class LetterFiguresView(BaseModel):
    sent: int
    delivered: int


class EmailFiguresView(BaseModel):
    sent: int
    delivered: int
    bounced: int
    opened: int
    unsubscribed: int


class CurrencyFiguresView(BaseModel):
    currency: str
    payments: int
    received: int
    refunded: int


class DonationFiguresView(BaseModel):
    donations: int
    currencies: list[CurrencyFiguresView]


class TotalsView(BaseModel):
    signatures: SignatureTotalsView
    letters: LetterFiguresView
    emails: EmailFiguresView
    donations: DonationFiguresView


class SeriesPointView(BaseModel):
    start: datetime
    created: int
    confirmed: int


class BreakdownView(BaseModel):
    key: str
    created: int
    confirmed: int
    page_views: int


class FunnelView(BaseModel):
    page_views: int
    signatures: int
    confirmations: int
    donations: int


class WindowView(BaseModel):
    start: datetime
    end: datetime
    bucket: str
    tz: str


class MetricsView(BaseModel):
    """Totals cover all time; series, breakdowns and funnel cover `window`. Signature
    and page view figures are as of `as_of` (the last rollup pass)."""

    as_of: datetime | None
    window: WindowView
    totals: TotalsView
    series: list[SeriesPointView]
    by_country: list[BreakdownView]
    by_source: list[BreakdownView]
    by_utm_campaign: list[BreakdownView]
    funnel: FunnelView

    @classmethod
    def of(cls, metrics: Metrics) -> MetricsView:
        window = metrics.window
        return cls(
            as_of=metrics.as_of,
            window=WindowView(
                start=window.start, end=window.end, bucket=window.bucket, tz=window.zone.key
            ),
            totals=TotalsView.model_validate(asdict(metrics.totals)),
            series=[SeriesPointView.model_validate(asdict(point)) for point in metrics.series],
            by_country=[BreakdownView.model_validate(asdict(row)) for row in metrics.by_country],
            by_source=[BreakdownView.model_validate(asdict(row)) for row in metrics.by_source],
            by_utm_campaign=[
                BreakdownView.model_validate(asdict(row)) for row in metrics.by_utm_campaign
            ],
            funnel=FunnelView.model_validate(asdict(metrics.funnel)),
        )
