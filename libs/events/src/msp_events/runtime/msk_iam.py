"""Amazon MSK IAM authentication: SASL/OAUTHBEARER with a token signed by the AWS credentials.

MSK's IAM listener (port 9098, TLS) takes a base64 pre-signed ``kafka-cluster:Connect`` URL as the
OAUTHBEARER token; AWS's own signer package builds it from whatever credentials botocore finds
(EKS Pod Identity or IRSA in the chart, a profile on a laptop) or from a role it assumes. aiokafka
asks its token provider on every new connection, so the provider keeps the token until shortly
before it expires (15 minutes): a reconnect storm then costs no signing, and a long-lived client
never presents an expired token.

Selected by ``KAFKA_SASL_MECHANISM=AWS_MSK_IAM`` (with ``KAFKA_SECURITY_PROTOCOL=SASL_SSL`` and
``KAFKA_AWS_REGION``); the signer is injectable so tests run without an AWS account.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable

from aiokafka.abc import AbstractTokenProvider

Signer = Callable[[], tuple[str, int]]
"""Returns (token, expiry as epoch milliseconds): the shape of the AWS signer's functions."""

REFRESH_BEFORE_EXPIRY_S = 60.0


def aws_signer(region: str, role_arn: str | None = None, profile: str | None = None) -> Signer:
    """The AWS MSK IAM signer for ``region``: default credentials, a profile, or an assumed role."""
    from aws_msk_iam_sasl_signer import MSKAuthTokenProvider as msk

    if role_arn:
        return lambda: msk.generate_auth_token_from_role_arn(region, role_arn)
    if profile:
        return lambda: msk.generate_auth_token_from_profile(region, profile)
    return lambda: msk.generate_auth_token(region)


class MskIamTokenProvider(AbstractTokenProvider):  # type: ignore[misc]
    """aiokafka's OAUTHBEARER token callback for MSK IAM, caching the signed token until it nears
    expiry. Signing may call STS (an assumed role), so it runs in a worker thread; a thread lock
    (not an asyncio one: one provider serves every client of the process, whatever its loop) makes
    connections opening at once sign once."""

    def __init__(
        self,
        signer: Signer,
        *,
        refresh_before_s: float = REFRESH_BEFORE_EXPIRY_S,
        wall_clock_ms: Callable[[], float] = lambda: time.time() * 1000,
    ) -> None:
        self._signer = signer
        self._refresh_before_ms = refresh_before_s * 1000
        self._wall_clock_ms = wall_clock_ms
        self._token: str | None = None
        self._expires_ms = 0.0
        self._lock = threading.Lock()
        self.signed = 0
        """How many tokens were signed (a test and a debugger want to know the cache works)."""

    def _fresh(self) -> str | None:
        if self._token is not None and self._wall_clock_ms() < self._expires_ms - self._refresh_before_ms:
            return self._token
        return None

    def _refresh(self) -> str:
        with self._lock:
            cached = self._fresh()
            if cached is not None:
                return cached
            token, expires_ms = self._signer()
            self._token, self._expires_ms = token, float(expires_ms)
            self.signed += 1
            return token

    async def token(self) -> str:
        cached = self._fresh()
        if cached is not None:
            return cached
        return await asyncio.to_thread(self._refresh)


_SHARED: dict[tuple[str, str | None, str | None], MskIamTokenProvider] = {}
_SHARED_LOCK = threading.Lock()


def shared_provider(
    region: str, role_arn: str | None = None, profile: str | None = None
) -> MskIamTokenProvider:
    """One provider per identity and process: every client (and every /readyz admin client) reuses
    its token, so an assumed role costs one STS call per token lifetime, not one per connection."""
    key = (region, role_arn, profile)
    with _SHARED_LOCK:
        if key not in _SHARED:
            _SHARED[key] = MskIamTokenProvider(aws_signer(region, role_arn, profile))
        return _SHARED[key]
