"""Signed JWT access tokens for the offline OAuth2 tests.

The fake authorities issue them and Dovecot's `passdb oauth2` validates them locally
(HS256 with a key file per issuer; see /work/shared/TESTING.md).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass, field
from typing import Any


def b64url(data: bytes) -> str:
    """Base64url without padding, as JOSE writes it."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


@dataclass(frozen=True)
class TokenSigner:
    """Mints HS256 tokens for one issuer and audience (the OAuth client id)."""

    issuer: str
    audience: str
    key: bytes = field(default_factory=lambda: secrets.token_bytes(32))

    def mint(
        self,
        email: str,
        *,
        lifetime: float = 3600.0,
        issuer: str | None = None,
        audience: str | None = None,
        key: bytes | None = None,
        alg: str = "HS256",
        extra: dict[str, Any] | None = None,
    ) -> str:
        """A token for `email`; every keyword exists to make a bad token on purpose
        (expired: a negative lifetime; wrong issuer, audience or key; alg "none")."""
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": issuer or self.issuer,
            "aud": audience or self.audience,
            "azp": audience or self.audience,
            "sub": hashlib.sha256(email.encode()).hexdigest()[:16],
            "email": email,
            "iat": now,
            "nbf": now - 5,
            "exp": now + int(lifetime),
            "jti": secrets.token_hex(8),
        }
        claims.update(extra or {})
        header = {"alg": alg, "typ": "JWT"}
        signing_input = (
            b64url(json.dumps(header, separators=(",", ":")).encode())
            + "."
            + b64url(json.dumps(claims, separators=(",", ":")).encode())
        )
        if alg == "none":
            return signing_input + "."
        signature = hmac.new(key or self.key, signing_input.encode("ascii"), hashlib.sha256)
        return signing_input + "." + b64url(signature.digest())


def claims_of(token: str) -> dict[str, Any]:
    """The payload of a token (no check: for assertions in tests)."""
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
