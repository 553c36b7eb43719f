"""The keyed hash an erased address is kept as: enough to recognise the address when it
comes back, useless to anyone without the key."""

from __future__ import annotations

import hashlib
import hmac

from campaign.people.addresses import normalise_email

# Kept apart from the key's other uses (signed links) by what is hashed.
_PURPOSE = b"erased-address\x00"


def address_hash(address: str, key: str) -> str:
    """HMAC-SHA256 of the normalised address, as hex."""
    message = _PURPOSE + normalise_email(address).encode()
    return hmac.new(key.encode(), message, hashlib.sha256).hexdigest()
