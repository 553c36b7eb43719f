"""What the staff API answers about officials' responsiveness to a campaign's letters."""

from __future__ import annotations

from pydantic import BaseModel

from campaign.metrics.responsiveness import OfficialResponsiveness, Responsiveness


class ResponsivenessView(BaseModel):
    """The campaign's totals and each official's figures (pydantic reads the query's
    dataclasses as they are). Rates and medians are null while there is nothing to
    count them from."""

    campaign: str
    followup_days: int
    totals: Responsiveness
    officials: list[OfficialResponsiveness]
