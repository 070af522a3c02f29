"""Password hashing with argon2id (argon2-cffi's defaults follow RFC 9106)."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

MIN_PASSWORD_CHARS = 12

_hasher = PasswordHasher()

# Verified against when the e-mail address is unknown, so a failed login takes as long
# whether or not the account exists (no account enumeration through timing).
_DUMMY_HASH = _hasher.hash("not-a-password-anyone-has")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def burn_verification_time(password: str) -> None:
    """Costs what a real verification costs, for an e-mail address we do not know."""
    verify_password(_DUMMY_HASH, password)


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)


def password_problem(password: str) -> str | None:
    """Why a new password is not acceptable, or None."""
    if len(password) < MIN_PASSWORD_CHARS:
        return f"Het wachtwoord moet minstens {MIN_PASSWORD_CHARS} tekens hebben"
    if password.strip() != password:
        return "Het wachtwoord mag niet met een spatie beginnen of eindigen"
    return None
