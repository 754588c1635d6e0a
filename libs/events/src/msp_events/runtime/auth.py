"""Who may call a service's REST API: bearer JWTs from an OIDC issuer, roles from a claim.

Every agent's API answers questions about an MSP's margins, contracts and customers, so nothing but
the probes answers without a token. The token is a JWT an OIDC issuer signed (a Cognito user pool
in AWS, any OIDC provider elsewhere); it is verified with PyJWT against the issuer's published
keys (JWKS): signature, ``iss``, audience, ``exp`` (with a small leeway for clock skew). Cognito
*access* tokens carry no ``aud`` but a ``client_id``; that is accepted as the audience when ``aud``
is absent, so both ID and access tokens of the configured app client work.

The caller's roles come from one claim (``OIDC_ROLES_CLAIM``, default ``cognito:groups``; a dotted
path such as ``realm_access.roles`` reaches into nested claims). Which roles may read (GET, HEAD)
and which may write (every other method) is a table keyed by service name, ``DEFAULT_ROLES`` below,
overridable per deployment with ``AUTH_READ_ROLES`` / ``AUTH_WRITE_ROLES`` (comma lists):

=======  =====================================================  ==========================
service  read (GET, HEAD)                                        write (POST, PUT, PATCH, DELETE)
=======  =====================================================  ==========================
cpi      owner, finance, service_manager, read_only              owner, finance, service_manager
spo      owner, sales, read_only                                 owner, sales
ram      owner, service_manager, read_only                       owner, service_manager
sli      owner, finance, service_manager, read_only              owner, finance, service_manager
dsa      owner, finance, read_only                               owner, finance
vcm      owner, finance, read_only                               owner, finance
other    owner                                                   owner
=======  =====================================================  ==========================

Answers: 401 with ``WWW-Authenticate: Bearer`` (RFC 6750: ``error="invalid_token"`` and a
description) and a body saying what is wrong when the token is missing or does not verify; 403
naming the roles that would do when it verifies but carries none of them. The wall clock is read
here, at the HTTP edge, for ``exp`` only; handlers still take time from events.

``AUTH_MODE=off`` turns all of this off for the embedded default and local development, with a
warning in the log at startup; with ``AUTH_MODE=oidc`` (the default) and no issuer the service
refuses to start and says which settings to set.
"""

from __future__ import annotations

import json
import logging
import threading
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import jwt
from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

log = logging.getLogger(__name__)

ROLES = ("owner", "finance", "service_manager", "sales", "read_only")
"""The roles an MSP gives its people (groups in the Cognito user pool)."""

READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

DEFAULT_ROLES: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    # service: (may read, may write); write is read minus read_only
    name: (frozenset(read), frozenset(read) - {"read_only"})
    for name, read in {
        "cpi": ("owner", "finance", "service_manager", "read_only"),
        "spo": ("owner", "sales", "read_only"),
        "ram": ("owner", "service_manager", "read_only"),
        "sli": ("owner", "finance", "service_manager", "read_only"),
        "dsa": ("owner", "finance", "read_only"),
        "vcm": ("owner", "finance", "read_only"),
    }.items()
}
"""Who may use which agent: the owner everything; each role the agents of its trade."""

ALGORITHMS = ["RS256", "RS384", "RS512", "ES256", "ES384", "ES512", "PS256", "PS384", "PS512"]
"""Asymmetric only: a shared-secret (HS*) token can never verify against published keys."""


class AuthSettings(BaseSettings):
    """``AUTH_*`` / ``OIDC_*``: who issues the tokens the API accepts."""

    model_config = SettingsConfigDict(extra="ignore", populate_by_name=True)

    mode: Literal["oidc", "off"] = Field(
        default="oidc", alias="AUTH_MODE", description="off: no authentication (development only, warned)"
    )
    issuer: str | None = Field(
        default=None,
        alias="OIDC_ISSUER",
        description="e.g. https://cognito-idp.<region>.amazonaws.com/<pool id>",
    )
    audience: str | None = Field(
        default=None, alias="OIDC_AUDIENCE", description="the app client id tokens must be issued for"
    )
    jwks_url: str | None = Field(
        default=None,
        alias="OIDC_JWKS_URL",
        description="default: jwks_uri of <issuer>/.well-known/openid-configuration",
    )
    jwks_file: str | None = Field(
        default=None, alias="OIDC_JWKS_FILE", description="a local JWKS (air-gapped clusters, tests)"
    )
    roles_claim: str = Field(default="cognito:groups", alias="OIDC_ROLES_CLAIM")
    leeway_s: float = Field(
        default=30.0, alias="OIDC_LEEWAY_S", ge=0, description="clock skew allowed on exp"
    )
    read_roles: str | None = Field(
        default=None,
        alias="AUTH_READ_ROLES",
        description="comma list replacing the service's default readers",
    )
    write_roles: str | None = Field(
        default=None,
        alias="AUTH_WRITE_ROLES",
        description="comma list replacing the service's default writers",
    )

    def roles_for(self, service: str) -> tuple[frozenset[str], frozenset[str]]:
        """(may read, may write) for ``service``: the default table, then the overrides."""
        read, write = DEFAULT_ROLES.get(service, (frozenset({"owner"}), frozenset({"owner"})))
        if self.read_roles is not None:
            read = _comma_list(self.read_roles)
        if self.write_roles is not None:
            write = _comma_list(self.write_roles)
        return read, write


class AuthConfigurationError(RuntimeError):
    """Authentication is on but cannot work with these settings: the service must not start."""


def _comma_list(value: str) -> frozenset[str]:
    return frozenset(part.strip() for part in value.split(",") if part.strip())


@dataclass(frozen=True)
class Caller:
    """Who is calling, once the token verified: ``subject`` and the roles of the roles claim."""

    subject: str
    roles: frozenset[str]
    claims: dict[str, Any]


class InvalidToken(Exception):
    """The token does not verify; the message says why (it goes back to the caller)."""


class _Keys:
    """The issuer's signing keys: a local JWKS file, or the JWKS URL (discovered once, cached by
    PyJWKClient, refetched when a token names an unknown key id, e.g. after a rotation)."""

    def __init__(self, settings: AuthSettings) -> None:
        self.settings = settings
        self._file: jwt.PyJWKSet | None = None
        self._client: jwt.PyJWKClient | None = None
        self._lock = threading.Lock()
        if settings.jwks_file:
            self._file = jwt.PyJWKSet.from_dict(json.loads(Path(settings.jwks_file).read_text()))
        elif settings.jwks_url:
            self._client = jwt.PyJWKClient(settings.jwks_url, cache_keys=True, timeout=5)

    def for_token(self, token: str) -> jwt.PyJWK:
        if self._file is not None:
            kid = jwt.get_unverified_header(token).get("kid")
            try:
                return self._file[kid] if kid else self._file.keys[0]
            except KeyError as error:
                raise InvalidToken(f"the token's key id {kid!r} is not one of the issuer's keys") from error
        try:
            return self._remote().get_signing_key_from_jwt(token)
        except jwt.PyJWKClientConnectionError as error:
            raise KeysUnavailable(f"cannot fetch the issuer's keys: {error}") from error
        except jwt.PyJWKClientError as error:
            raise InvalidToken(str(error)) from error

    def _remote(self) -> jwt.PyJWKClient:
        with self._lock:
            if self._client is None:
                self._client = jwt.PyJWKClient(_discover_jwks_url(self.settings), cache_keys=True, timeout=5)
            return self._client


class KeysUnavailable(Exception):
    """The issuer's keys cannot be fetched now (network, issuer down): 503, the caller may retry."""


def _discover_jwks_url(settings: AuthSettings) -> str:
    assert settings.issuer is not None
    url = settings.issuer.rstrip("/") + "/.well-known/openid-configuration"
    try:
        with urllib.request.urlopen(url, timeout=5) as response:  # https from settings
            document = json.loads(response.read())
        return str(document["jwks_uri"])
    except (OSError, ValueError, KeyError) as error:
        raise KeysUnavailable(f"cannot read jwks_uri from {url}: {error}") from error


class TokenVerifier:
    """Verifies a bearer token against the issuer's keys and reads the caller's roles."""

    def __init__(self, settings: AuthSettings) -> None:
        missing = [
            name
            for name, value in (("OIDC_ISSUER", settings.issuer), ("OIDC_AUDIENCE", settings.audience))
            if not value
        ]
        if missing:
            raise AuthConfigurationError(
                f"AUTH_MODE=oidc (the default) needs {' and '.join(missing)}: set OIDC_ISSUER to the token "
                "issuer (for Cognito https://cognito-idp.<region>.amazonaws.com/<user pool id>) and "
                "OIDC_AUDIENCE to the app client id; optionally OIDC_JWKS_URL or OIDC_JWKS_FILE when the "
                "issuer publishes no discovery document. Only for local development: AUTH_MODE=off."
            )
        self.settings = settings
        self.keys = _Keys(settings)

    def verify(self, token: str) -> Caller:
        s = self.settings
        try:
            key = self.keys.for_token(token)
            claims: dict[str, Any] = jwt.decode(
                token,
                key,
                algorithms=ALGORITHMS,
                issuer=s.issuer,
                leeway=s.leeway_s,
                options={"require": ["exp", "iss"], "verify_aud": False},
            )
        except jwt.ExpiredSignatureError as error:
            raise InvalidToken("the token has expired") from error
        except jwt.InvalidIssuerError as error:
            raise InvalidToken(f"the token was not issued by {s.issuer}") from error
        except jwt.InvalidSignatureError as error:
            raise InvalidToken("the token's signature does not verify against the issuer's keys") from error
        except jwt.MissingRequiredClaimError as error:
            raise InvalidToken(f"the token has no {error.claim!r} claim") from error
        except jwt.PyJWTError as error:
            raise InvalidToken(f"the token is not a valid JWT: {error}") from error
        if not _audience_matches(claims, s.audience or ""):
            raise InvalidToken(f"the token is not meant for this API (audience must be {s.audience})")
        return Caller(subject=str(claims.get("sub", "")), roles=_roles(claims, s.roles_claim), claims=claims)


def _audience_matches(claims: dict[str, Any], audience: str) -> bool:
    """``aud`` (a string or a list) names the audience; a Cognito access token has no ``aud`` and
    names its app client in ``client_id`` instead."""
    if "aud" in claims:
        aud = claims["aud"]
        return audience in ([aud] if isinstance(aud, str) else list(aud) if isinstance(aud, list) else [])
    return claims.get("token_use") == "access" and claims.get("client_id") == audience


def _roles(claims: dict[str, Any], claim: str) -> frozenset[str]:
    """The roles claim: the claim itself (``cognito:groups``), else a dotted path; a list of
    strings, or one string of space- or comma-separated roles."""
    value: Any = claims.get(claim)
    if value is None and "." in claim:
        value = claims
        for part in claim.split("."):
            value = value.get(part) if isinstance(value, dict) else None
    if isinstance(value, str):
        return frozenset(value.replace(",", " ").split())
    if isinstance(value, list):
        return frozenset(str(v) for v in value)
    return frozenset()


AUTH_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {
        "description": "no bearer token, or one that does not verify (expired, wrong issuer or audience, bad "
        "signature): the WWW-Authenticate header and the detail say which"
    },
    403: {"description": "the token verifies but carries none of the roles allowed here"},
}
"""Documented on every protected route, so the OpenAPI says what a client may get back."""


def _unauthorized(message: str) -> HTTPException:
    description = message.replace('"', "'")
    return HTTPException(
        status_code=401,
        detail=message,
        headers={"WWW-Authenticate": f'Bearer error="invalid_token", error_description="{description}"'},
    )


def auth_dependencies(service: str, settings: AuthSettings) -> Sequence[Any]:
    """The FastAPI dependencies that guard a service's API routers (none when auth is off)."""
    if settings.mode == "off":
        log.warning(
            "AUTH_MODE=off: the %s API answers anyone without a token. Only for local development; "
            "set AUTH_MODE=oidc with OIDC_ISSUER and OIDC_AUDIENCE anywhere else.",
            service,
        )
        return []
    verifier = TokenVerifier(settings)
    read, write = settings.roles_for(service)
    bearer = HTTPBearer(auto_error=False, description="a JWT from the OIDC issuer (OIDC_ISSUER)")

    def authorize(
        request: Request, credentials: HTTPAuthorizationCredentials | None = Depends(bearer)
    ) -> Caller:
        # a plain def: FastAPI runs it in the thread pool, where fetching the JWKS may block
        if credentials is None:
            if request.headers.get("authorization"):
                raise _unauthorized("the Authorization header must be 'Bearer <token>'")
            raise HTTPException(
                status_code=401,
                detail="a bearer token is required: Authorization: Bearer <JWT from the OIDC issuer>",
                headers={"WWW-Authenticate": "Bearer"},
            )
        try:
            caller = verifier.verify(credentials.credentials)
        except InvalidToken as error:
            raise _unauthorized(str(error)) from error
        except KeysUnavailable as error:
            raise HTTPException(status_code=503, detail=str(error), headers={"Retry-After": "5"}) from error
        allowed = read if request.method in READ_METHODS else write
        if not caller.roles & allowed:
            action = "read" if request.method in READ_METHODS else "change"
            raise HTTPException(
                status_code=403,
                detail=f"to {action} {service} data a caller needs one of the roles "
                f"{', '.join(sorted(allowed))} in the {settings.roles_claim!r} claim; the token has "
                f"{', '.join(sorted(caller.roles)) or 'none'}",
            )
        request.state.caller = caller
        return caller

    return [Depends(authorize)]
