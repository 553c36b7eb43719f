"""Staff passwords: argon2id hashes (argon2-cffi's defaults), checked off the event loop."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

MIN_PASSWORD_LENGTH = 12
# Long enough for any passphrase; bounded so nobody can make us hash megabytes.
MAX_PASSWORD_LENGTH = 1024

_hasher = PasswordHasher()


@dataclass(frozen=True)
class PasswordCheck:
    matches: bool
    # A fresh hash when the stored one was made with weaker parameters than today's.
    new_hash: str | None = None


def password_problem(password: str) -> str | None:
    """Why a new password is refused, or None when it is acceptable."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"the password must be at least {MIN_PASSWORD_LENGTH} characters long"
    if len(password) > MAX_PASSWORD_LENGTH:
        return f"the password must be at most {MAX_PASSWORD_LENGTH} characters long"
    return None


async def hash_password(password: str) -> str:
    # argon2 takes tens of milliseconds of CPU on purpose: in a thread, so other
    # requests keep being served meanwhile.
    return await asyncio.to_thread(_hasher.hash, password)


async def check_password(password: str, stored_hash: str) -> PasswordCheck:
    return await asyncio.to_thread(_check, password, stored_hash)


async def check_against_dummy(password: str) -> None:
    """Spend the time a real check takes, for an address with no account, so the answer's
    timing does not tell whether the address belongs to a staff user."""
    await asyncio.to_thread(_check, password, _dummy_hash())


def _check(password: str, stored_hash: str) -> PasswordCheck:
    if len(password) > MAX_PASSWORD_LENGTH:
        return PasswordCheck(matches=False)
    try:
        _hasher.verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return PasswordCheck(matches=False)
    if _hasher.check_needs_rehash(stored_hash):
        return PasswordCheck(matches=True, new_hash=_hasher.hash(password))
    return PasswordCheck(matches=True)


@cache
def _dummy_hash() -> str:
    return _hasher.hash("no account has this password; it only costs time")
