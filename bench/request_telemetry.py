"""What the per-request telemetry costs: one observation of the latency histogram (in
memory, or in multiprocess mode with PROMETHEUS_MULTIPROC_DIR set) and one JSON log line
through the masking filter, each timed alone with timeit.

    .venv/bin/python bench/request_telemetry.py
    PROMETHEUS_MULTIPROC_DIR=$(mktemp -d) .venv/bin/python bench/request_telemetry.py
"""

from __future__ import annotations

import io
import logging
import logging.config
import timeit

from campaign.observability.logs import logging_config
from campaign.observability.metrics import REQUEST_DURATION

ROUTE = "/api/v1/campaigns/{slug}/signatures"


def main() -> None:
    n = 200_000
    seconds = timeit.timeit(
        lambda: REQUEST_DURATION.labels("POST", ROUTE, "2xx").observe(0.003), number=n
    )
    print(f"histogram observation: {seconds / n * 1e6:.2f} µs")
    config = logging_config("json")
    config["handlers"]["default"]["stream"] = io.StringIO()
    logging.config.dictConfig(config)
    log = logging.getLogger("campaign.requests")
    extra = {"method": "POST", "route": ROUTE, "status": 202, "duration_ms": 3.1}
    n = 50_000
    seconds = timeit.timeit(lambda: log.info("%s %s %d", "POST", ROUTE, 202, extra=extra), number=n)
    print(f"request log line (JSON, masked): {seconds / n * 1e6:.2f} µs")


if __name__ == "__main__":
    main()
