"""A test issuer: one RSA key pair per test process, its JWKS, and tokens signed with it.

Every service API requires a bearer JWT from an OIDC issuer (``runtime/auth.py``). Tests have no
Cognito, so this module is the issuer: the harness (``RunningService.http()``, ``fuzz``) builds
apps whose verifier trusts this key (``settings()``) and attaches an owner token by default, and
the auth tests sign the tokens that must fail (expired, another audience or issuer, a tampered
signature, no allowed role). Subprocess services get the same key as a JWKS file (``env()``).
"""

from __future__ import annotations

import json
import tempfile
import time
from functools import cache
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa

from msp_events.runtime.auth import AuthSettings

ISSUER = "https://issuer.test.msp.invalid"
AUDIENCE = "msp-agents-test"
KEY_ID = "msp-test-key"
ROLES_CLAIM = "cognito:groups"


@cache
def private_key() -> rsa.RSAPrivateKey:
    """The test issuer's signing key: generated once per process, never written anywhere."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@cache
def jwks() -> dict[str, Any]:
    """The issuer's public keys as a JWKS document (what ``jwks_uri`` would serve)."""
    public = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(private_key().public_key()))
    return {"keys": [{**public, "kid": KEY_ID, "use": "sig", "alg": "RS256"}]}


@cache
def jwks_file() -> Path:
    """The JWKS written to a file once per process (``OIDC_JWKS_FILE``)."""
    path = Path(tempfile.mkdtemp(prefix="msp-test-issuer-")) / "jwks.json"
    path.write_text(json.dumps(jwks()))
    return path


def settings() -> AuthSettings:
    """Auth settings that trust the test issuer (``AUTH_MODE=oidc``, the production mode)."""
    return AuthSettings(
        mode="oidc", issuer=ISSUER, audience=AUDIENCE, jwks_file=str(jwks_file()), roles_claim=ROLES_CLAIM
    )


def env() -> dict[str, str]:
    """The same, as the environment of a service started as its own process."""
    return {
        "AUTH_MODE": "oidc",
        "OIDC_ISSUER": ISSUER,
        "OIDC_AUDIENCE": AUDIENCE,
        "OIDC_JWKS_FILE": str(jwks_file()),
        "OIDC_ROLES_CLAIM": ROLES_CLAIM,
    }


def token(roles: tuple[str, ...] | list[str] = ("owner",), *, key: Any = None, **claims: Any) -> str:
    """A token from the test issuer with ``roles`` in the roles claim, valid for ten minutes;
    ``claims`` replace or add claims (``exp=...``, ``aud=...``, ``iss=...``; ``None`` leaves a claim
    out), ``key`` signs with another private key (what a forger would have)."""
    now = int(time.time())
    payload: dict[str, Any] = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": "test-user",
        "iat": now,
        "exp": now + 600,
        ROLES_CLAIM: list(roles),
        **claims,
    }
    payload = {name: value for name, value in payload.items() if value is not None}
    return jwt.encode(payload, key or private_key(), algorithm="RS256", headers={"kid": KEY_ID})


def bearer(roles: tuple[str, ...] | list[str] = ("owner",), **claims: Any) -> dict[str, str]:
    """The ``Authorization`` header carrying ``token(roles, **claims)``."""
    return {"Authorization": f"Bearer {token(roles, **claims)}"}
