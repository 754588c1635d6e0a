"""Nobody gets in without a token: every route of every service's API, from its own OpenAPI.

For each of the six agents the app its ``create_app`` builds (authentication on, trusting the test
issuer of ``msp_events.testing.auth``) is asked, route by route as its OpenAPI document lists them:
no token, an expired one, one for another audience, one from another issuer, one whose signature
was tampered with -> 401 with ``WWW-Authenticate: Bearer`` and a message; a valid token carrying no
role allowed there -> 403; each allowed role -> past the check (neither 401 nor 403). The probes
stay open and ``/metrics`` is not on the API port. Routes added later are covered without editing
this file, because the routes come from the document.
"""

from __future__ import annotations

import importlib
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi import FastAPI

from msp_events.registry import SERVICES
from msp_events.runtime.auth import READ_METHODS, ROLES
from msp_events.testing import auth as test_auth

OPEN = {"/livez", "/readyz"}
DOCS = {"/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc"}
PATH_VALUES = ("C-1", "2026-03", "1", "contoso")
"""Candidates for path parameters: the first that matches the parameter's pattern is used."""


def build(service: str, tmp_path: Path) -> FastAPI:
    module = importlib.import_module(f"{service}.app")
    settings = module.Settings(
        DATABASE_URL=f"sqlite:///{tmp_path}/{service}.db",
        MSP_TRANSPORT="inprocess",
        auth=test_auth.settings(),
    )
    app: FastAPI = module.create_app(settings)
    app.state.service.migrate()  # the lifespan is not entered: the routes read an empty, migrated store
    return app


def operations(app: FastAPI) -> Iterator[tuple[str, str]]:
    """(method, concrete path) of every operation the OpenAPI document lists, probes excluded."""
    for template, item in app.openapi()["paths"].items():
        if template in OPEN:
            continue
        for method, operation in item.items():
            if method.upper() not in {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"}:
                continue
            path = template
            for parameter in operation.get("parameters", []):
                if parameter["in"] == "path":
                    path = path.replace(
                        "{" + parameter["name"] + "}", _value_for(parameter.get("schema", {}))
                    )
            yield method.upper(), path


def _value_for(schema: dict[str, Any]) -> str:
    patterns = [s["pattern"] for s in [schema, *schema.get("anyOf", [])] if "pattern" in s]
    for value in PATH_VALUES:
        if all(re.search(pattern, value) for pattern in patterns):
            return value
    return PATH_VALUES[0]


def tampered(token: str) -> str:
    """The same header and claims with the signature's bytes changed (last character flipped)."""
    head, claims, signature = token.split(".")
    middle = len(signature) // 2
    flipped = "A" if signature[middle] != "A" else "B"
    return f"{head}.{claims}.{signature[:middle]}{flipped}{signature[middle + 1 :]}"


BAD_TOKENS = {
    "expired": lambda: test_auth.token(["owner"], exp=int(time.time()) - 3600, iat=int(time.time()) - 7200),
    "wrong audience": lambda: test_auth.token(["owner"], aud="another-app-client"),
    "wrong issuer": lambda: test_auth.token(["owner"], iss="https://issuer.elsewhere.invalid"),
    "tampered signature": lambda: tampered(test_auth.token(["owner"])),
    "signed by another key": lambda: test_auth.token(
        ["owner"], key=rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ),
    "not a JWT": lambda: "not-a-jwt",
}


async def call(app: FastAPI, method: str, path: str, token: str | None) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://api") as client:
        return await client.request(method, path, headers=headers)


@pytest.mark.parametrize("service", SERVICES)
async def test_every_route_needs_a_valid_token_and_an_allowed_role(service: str, tmp_path: Path) -> None:
    app = build(service, tmp_path)
    read, write = test_auth.settings().roles_for(service)
    bad = {name: make() for name, make in BAD_TOKENS.items()}
    routes = list(operations(app))
    assert routes, f"{service}: no API route in the OpenAPI document"
    for method, path in routes:
        where = f"{service} {method} {path}"
        response = await call(app, method, path, None)
        assert response.status_code == 401, f"{where} without a token: {response.status_code} {response.text}"
        assert response.headers["www-authenticate"].startswith("Bearer"), where
        assert "bearer token is required" in response.json()["detail"], where
        for name, token in bad.items():
            response = await call(app, method, path, token)
            assert response.status_code == 401, f"{where} with a {name} token: {response.status_code}"
            assert response.headers["www-authenticate"].startswith('Bearer error="invalid_token"'), where
            assert response.json()["detail"], where
        allowed = read if method in READ_METHODS else write
        for roles in ([], *([r] for r in sorted(set(ROLES) - allowed))):
            response = await call(app, method, path, test_auth.token(roles))
            assert response.status_code == 403, f"{where} as {roles or 'nobody'}: {response.status_code}"
            assert "needs one of the roles" in response.json()["detail"], where
        for role in sorted(allowed):
            response = await call(app, method, path, test_auth.token([role]))
            assert response.status_code not in (401, 403), f"{where} as {role}: {response.text}"
            assert response.status_code < 500, f"{where} as {role}: {response.text}"
    app.state.service.engine.dispose()


@pytest.mark.parametrize("service", SERVICES)
async def test_the_probes_stay_open_and_metrics_are_not_on_the_api_port(service: str, tmp_path: Path) -> None:
    app = build(service, tmp_path)
    assert (await call(app, "GET", "/livez", None)).status_code == 200
    assert (await call(app, "GET", "/readyz", None)).status_code in (200, 503)  # a readiness answer, no 401
    assert (await call(app, "GET", "/metrics", test_auth.token(["owner"]))).status_code == 404
    document = app.openapi()
    assert "/metrics" not in document["paths"]
    assert document["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"
    app.state.service.engine.dispose()


async def test_the_error_messages_say_what_is_wrong(tmp_path: Path) -> None:
    """The reason reaches the caller (body and WWW-Authenticate), not just "unauthorized"."""
    app = build("cpi", tmp_path)
    path = next(path for method, path in operations(app) if method == "GET")
    expected = {
        "expired": "the token has expired",
        "wrong audience": "the token is not meant for this API (audience must be msp-agents-test)",
        "wrong issuer": "the token was not issued by https://issuer.test.msp.invalid",
        "tampered signature": "the token's signature does not verify against the issuer's keys",
    }
    for name, message in expected.items():
        response = await call(app, "GET", path, BAD_TOKENS[name]())
        assert response.json()["detail"] == message, name
        assert f'error_description="{message}"' in response.headers["www-authenticate"]
    app.state.service.engine.dispose()
