"""Secret tokens in links and headers: generated here, stored only as a hash."""

from __future__ import annotations

import hashlib
import secrets


def new_token(prefix: str = "") -> str:
    return prefix + secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    # The tokens carry 256 random bits, so a fast hash is enough; no salt or
    # stretching is needed to make a stolen table useless.
    return hashlib.sha256(token.encode()).hexdigest()
