"""Who is calling: a JWT bearer token (PyJWT) with claims sub, name, role, exp."""

from __future__ import annotations

import re
import time
from typing import Any

import jwt

from events.shared.actors import Actor, Role
from schema.settings import Settings

SYMMETRIC = {"HS256", "HS384", "HS512"}


class AuthError(Exception):
    """Missing, expired, forged or otherwise unacceptable credentials."""


def _verification_key(settings: Settings) -> str:
    if settings.jwt_algorithm in SYMMETRIC:
        return settings.jwt_secret
    if not settings.jwt_public_key:
        raise AuthError(f"{settings.jwt_algorithm} needs KEHU_JWT_PUBLIC_KEY")
    return settings.jwt_public_key


# A user id names one person everywhere (events, ownership): it is refused, never cut, when it
# is too long (cutting made two users sharing a 100-character prefix one person).
MAX_SUB_CHARS = 200
MAX_NAME_CHARS = 200
# Control characters, U+0000 above all, cannot be stored and name nobody.
_CONTROL = re.compile("[\x00-\x1f\x7f\ud800-\udfff]")


def _text_claim(claims: dict[str, Any], key: str, limit: int, *, required: bool) -> str | None:
    value = claims.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value.strip():
        raise AuthError(f"invalid token: '{key}' must be a non-empty string")
    if len(value) > limit:
        raise AuthError(f"invalid token: '{key}' is longer than {limit} characters")
    if _CONTROL.search(value):
        raise AuthError(f"invalid token: '{key}' contains control characters")
    return value


def authenticate(token: str, settings: Settings) -> tuple[Actor, float]:
    """The actor a token names and when the token expires (seconds since the epoch)."""
    if len(token) > settings.max_token_bytes:
        raise AuthError(f"invalid token: longer than {settings.max_token_bytes} bytes")
    try:
        # Exactly one algorithm is accepted: a token signed otherwise (or "none") is forged.
        claims = jwt.decode(
            token,
            _verification_key(settings),
            algorithms=[settings.jwt_algorithm],
            options={"require": ["sub", "role", "exp"]},
        )
    except jwt.ExpiredSignatureError:
        raise AuthError("token expired") from None
    except jwt.InvalidTokenError as exc:
        raise AuthError(f"invalid token: {exc}") from None
    sub = _text_claim(claims, "sub", MAX_SUB_CHARS, required=True)
    name = _text_claim(claims, "name", MAX_NAME_CHARS, required=False)
    try:
        role = Role(claims["role"])
    except (ValueError, TypeError):
        raise AuthError("invalid token: unknown role") from None
    assert sub is not None
    return Actor(user_id=sub, name=name or sub, role=role), float(claims["exp"])


def actor_from_token(token: str, settings: Settings) -> Actor:
    return authenticate(token, settings)[0]


def actor_from_header(value: str | None, settings: Settings) -> Actor:
    if not value:
        raise AuthError("missing Authorization: Bearer <token>")
    scheme, _, token = value.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise AuthError("Authorization must be 'Bearer <token>'")
    return actor_from_token(token.strip(), settings)


def mint_token(settings: Settings, *, user_id: str, name: str, role: Role, ttl_s: int,
               private_key: str | None = None) -> str:
    """A token for development and tests (HS256 with the configured secret by default)."""
    now = int(time.time())
    claims = {"sub": user_id, "name": name, "role": role.value, "iat": now, "exp": now + ttl_s}
    key = settings.jwt_secret if settings.jwt_algorithm in SYMMETRIC else private_key
    if key is None:
        raise AuthError(f"minting {settings.jwt_algorithm} tokens needs the private key")
    return jwt.encode(claims, key, algorithm=settings.jwt_algorithm)
