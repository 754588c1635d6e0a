"""The runtime's bearer-token check (runtime/auth.py) beyond what every service's routes show.

``services/test_api_auth.py`` walks every route of the six agents; this covers the parts those
routes do not reach: writes need a writer's role, the role table is overridable by settings,
Cognito access tokens (``client_id``, no ``aud``) and nested roles claims, keys found through the
issuer's discovery document over real HTTP, the refusal to start without an issuer, the warning
when authentication is off, and a real process serving the API and /metrics on two ports.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
from fastapi import APIRouter, FastAPI

from msp_events.runtime.auth import AuthConfigurationError, AuthSettings, InvalidToken, TokenVerifier
from msp_events.runtime.http import build_http_app
from msp_events.runtime.inprocess import InProcessBus
from msp_events.runtime.router import HandlerRouter
from msp_events.runtime.service import Service
from msp_events.runtime.settings import ServiceSettings
from msp_events.testing import auth as test_auth
from msp_events.testing.faults import ServiceProcess

router = APIRouter()


@router.get("/budgets")
async def budgets() -> list[str]:
    return ["B-1"]


@router.post("/budgets")
async def set_budget() -> dict[str, str]:
    return {"status": "set"}


def app_for(tmp_path: Path, service_name: str = "dsa", auth: AuthSettings | None = None) -> FastAPI:
    settings = ServiceSettings(service_name=service_name, DATABASE_URL=f"sqlite:///{tmp_path}/s.db")
    service = Service(
        settings=settings, router=HandlerRouter(), transport=InProcessBus(), migrations=tmp_path
    )
    return build_http_app(service, [router], auth=auth or test_auth.settings())


async def status(app: FastAPI, method: str, token: str | None) -> int:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://s") as client:
        return (await client.request(method, "/budgets", headers=headers)).status_code


async def test_reading_is_for_readers_and_writing_for_writers(tmp_path: Path) -> None:
    app = app_for(tmp_path)  # dsa: read owner, finance, read_only; write owner, finance
    assert await status(app, "GET", test_auth.token(["read_only"])) == 200
    assert await status(app, "POST", test_auth.token(["read_only"])) == 403
    assert await status(app, "POST", test_auth.token(["finance"])) == 200
    assert await status(app, "POST", test_auth.token(["sales"])) == 403
    assert await status(app, "POST", test_auth.token(["sales", "owner"])) == 200  # any one allowed role


async def test_the_role_table_is_overridable_by_settings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AUTH_READ_ROLES", "auditor, owner")
    monkeypatch.setenv("AUTH_WRITE_ROLES", "owner")
    overridden = AuthSettings(**test_auth.settings().model_dump(exclude={"read_roles", "write_roles"}))
    assert overridden.roles_for("dsa") == (frozenset({"auditor", "owner"}), frozenset({"owner"}))
    app = app_for(tmp_path, auth=overridden)
    assert await status(app, "GET", test_auth.token(["auditor"])) == 200
    assert await status(app, "GET", test_auth.token(["finance"])) == 403
    assert await status(app, "POST", test_auth.token(["finance"])) == 403


async def test_an_unknown_service_is_for_the_owner_only(tmp_path: Path) -> None:
    app = app_for(tmp_path, service_name="newagent")
    assert await status(app, "GET", test_auth.token(["owner"])) == 200
    assert await status(app, "GET", test_auth.token(["read_only"])) == 403


def test_cognito_access_tokens_name_the_client_instead_of_an_audience() -> None:
    verifier = TokenVerifier(test_auth.settings())
    access = test_auth.token(["finance"], aud=None, token_use="access", client_id=test_auth.AUDIENCE)
    assert verifier.verify(access).roles == {"finance"}
    other = test_auth.token(["finance"], aud=None, token_use="access", client_id="another-client")
    with pytest.raises(InvalidToken, match="not meant for this API"):
        verifier.verify(other)
    id_token_without_audience = test_auth.token(["finance"], aud=None, client_id=test_auth.AUDIENCE)
    with pytest.raises(InvalidToken, match="not meant for this API"):  # only access tokens name a client
        verifier.verify(id_token_without_audience)


def test_roles_from_a_nested_claim_or_a_space_separated_string() -> None:
    nested = TokenVerifier(test_auth.settings().model_copy(update={"roles_claim": "realm_access.roles"}))
    token = test_auth.token([], realm_access={"roles": ["sales", "owner"]})
    assert nested.verify(token).roles == {"sales", "owner"}
    scoped = TokenVerifier(test_auth.settings().model_copy(update={"roles_claim": "scope"}))
    assert scoped.verify(test_auth.token([], scope="finance read_only")).roles == {"finance", "read_only"}


@pytest.fixture
def issuer() -> Iterator[str]:
    """A real HTTP OIDC issuer on localhost: the discovery document and the JWKS it points to."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # the stdlib's name
            base = f"http://127.0.0.1:{self.server.server_address[1]}"
            documents = {
                "/.well-known/openid-configuration": {"issuer": base, "jwks_uri": f"{base}/jwks.json"},
                "/jwks.json": test_auth.jwks(),
            }
            body = json.dumps(documents.get(self.path, {})).encode()
            self.send_response(200 if self.path in documents else 404)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_the_keys_come_from_the_issuers_discovery_document(issuer: str) -> None:
    verifier = TokenVerifier(AuthSettings(issuer=issuer, audience=test_auth.AUDIENCE))
    caller = verifier.verify(test_auth.token(["owner"], iss=issuer))
    assert caller.roles == {"owner"} and caller.subject == "test-user"


def test_auth_on_without_an_issuer_refuses_to_start_and_says_what_to_set(tmp_path: Path) -> None:
    with pytest.raises(AuthConfigurationError, match="OIDC_ISSUER and OIDC_AUDIENCE") as error:
        app_for(tmp_path, auth=AuthSettings(mode="oidc"))
    assert "AUTH_MODE=off" in str(error.value)


async def test_auth_off_is_explicit_and_warned(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        app = app_for(tmp_path, auth=AuthSettings(mode="off"))
    assert "AUTH_MODE=off" in caplog.text and "without a token" in caplog.text
    assert await status(app, "POST", None) == 200
    assert "securitySchemes" not in app.openapi().get("components", {})


SERVICE = Path(__file__).with_name("crashable_service.py")


@pytest.mark.integration
def test_a_real_process_serves_the_api_and_metrics_on_two_ports(
    tmp_path: Path, kafka_bootstrap: str, service_processes: list[ServiceProcess]
) -> None:
    env = {"KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap, "DATABASE_URL": f"sqlite:///{tmp_path}/crash.db"}
    process = ServiceProcess(SERVICE, env, tmp_path / "service.log")
    service_processes.append(process)
    process.wait_ready()
    api, metrics = f"http://127.0.0.1:{process.port}", f"http://127.0.0.1:{process.metrics_port}"
    assert "msp_service_info" in httpx.get(f"{metrics}/metrics", timeout=5).text
    assert httpx.get(f"{api}/metrics", timeout=5).status_code == 404
    assert httpx.get(f"{metrics}/readyz", timeout=5).status_code == 404


def test_a_process_without_an_issuer_exits_saying_which_settings_to_set(tmp_path: Path) -> None:
    env = {"AUTH_MODE": "oidc", "OIDC_ISSUER": "", "OIDC_AUDIENCE": "", "OIDC_JWKS_FILE": ""}
    process = ServiceProcess(SERVICE, env, tmp_path / "service.log")
    assert process.proc.wait(60) != 0
    assert "needs OIDC_ISSUER and OIDC_AUDIENCE" in (tmp_path / "service.log").read_text()
