"""Who is calling: a JWT bearer token (PyJWT) with claims sub, name, role, exp."""

from __future__ import annotations

import time

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


def actor_from_token(token: str, settings: Settings) -> Actor:
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
    try:
        role = Role(claims["role"])
    except ValueError:
        raise AuthError(f"unknown role {claims['role']!r}") from None
    name = str(claims.get("name") or claims["sub"])
    return Actor(user_id=str(claims["sub"])[:100], name=name[:100], role=role)


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
