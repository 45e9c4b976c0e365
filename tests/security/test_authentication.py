"""Who you are: missing, expired, forged and wrong-algorithm tokens are refused clearly."""

from __future__ import annotations

import time

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from events.shared.actors import Role
from schema.auth import AuthError, actor_from_header, actor_from_token, mint_token
from schema.settings import Settings
from tests.live import TEST_SECRET, LiveServer, gql, token

SETTINGS = Settings(jwt_secret=TEST_SECRET)
QUERY = "{ events(first: 1) { position } }"


def claims(**over: object) -> dict[str, object]:
    now = int(time.time())
    return {"sub": "u1", "name": "U1", "role": "auditor", "exp": now + 60, **over}


def test_valid_token_gives_the_actor() -> None:
    actor = actor_from_header("Bearer " + token("li.na", Role.MANAGER, "李娜"), SETTINGS)
    assert (actor.user_id, actor.name, actor.role) == ("li.na", "李娜", Role.MANAGER)


@pytest.mark.parametrize("header", [None, "", "Basic abc", "Bearer ", "bearer"])
def test_missing_or_malformed_header_is_refused(header: str | None) -> None:
    with pytest.raises(AuthError):
        actor_from_header(header, SETTINGS)


def test_expired_token_is_refused() -> None:
    expired = jwt.encode(claims(exp=int(time.time()) - 5), TEST_SECRET, algorithm="HS256")
    with pytest.raises(AuthError, match="expired"):
        actor_from_token(expired, SETTINGS)


def test_forged_signature_is_refused() -> None:
    forged = jwt.encode(claims(role="manager"), "not-the-secret-" * 4, algorithm="HS256")
    with pytest.raises(AuthError, match="invalid"):
        actor_from_token(forged, SETTINGS)


def test_alg_none_is_refused() -> None:
    unsigned = jwt.encode(claims(), "", algorithm="none")
    with pytest.raises(AuthError):
        actor_from_token(unsigned, SETTINGS)


def test_wrong_algorithm_is_refused() -> None:
    # Signed with the right secret but HS512 while the server accepts only HS256.
    other = jwt.encode(claims(), TEST_SECRET, algorithm="HS512")
    with pytest.raises(AuthError):
        actor_from_token(other, SETTINGS)


def test_unknown_role_and_missing_claims_are_refused() -> None:
    with pytest.raises(AuthError, match="role"):
        actor_from_token(jwt.encode(claims(role="ceo"), TEST_SECRET, algorithm="HS256"),
                         SETTINGS)
    no_exp = {k: v for k, v in claims().items() if k != "exp"}
    with pytest.raises(AuthError):
        actor_from_token(jwt.encode(no_exp, TEST_SECRET, algorithm="HS256"), SETTINGS)


def test_es256_with_public_key() -> None:
    private = ec.generate_private_key(ec.SECP256R1())
    private_pem = private.private_bytes(serialization.Encoding.PEM,
                                        serialization.PrivateFormat.PKCS8,
                                        serialization.NoEncryption()).decode()
    public_pem = private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    settings = Settings(jwt_algorithm="ES256", jwt_public_key=public_pem)
    signed = mint_token(settings, user_id="gm", name="GM", role=Role.GENERAL_MANAGER, ttl_s=60,
                        private_key=private_pem)
    assert actor_from_token(signed, settings).role == Role.GENERAL_MANAGER
    # An HS256 token made with the public key as secret (the classic confusion) is refused.
    confused = jwt.encode(claims(), "x" * 64, algorithm="HS256")
    with pytest.raises(AuthError):
        actor_from_token(confused, settings)


async def test_api_refuses_expired_and_forged_tokens(live_server: LiveServer) -> None:
    expired = jwt.encode(claims(exp=int(time.time()) - 5), TEST_SECRET, algorithm="HS256")
    forged = jwt.encode(claims(), "wrong-secret-" * 4, algorithm="HS256")
    for bad in (expired, forged):
        body = await gql(live_server, QUERY, auth=bad)
        assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
        assert body.get("data") is None or body["data"].get("events") is None
