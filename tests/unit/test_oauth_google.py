"""engine.oauth.google's pure parts: PKCE, the consent URL, reading a pasted redirect, and
the checks made before any request; plus the provider-text cleaning they rely on."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import string
from urllib.parse import parse_qs, urlsplit

import pytest

from engine.errors import OAuthError, OAuthReauthError
from engine.oauth import google
from engine.oauth.config import GOOGLE, GOOGLE_AUTH_URI, GOOGLE_SCOPE, ProviderConfig
from engine.oauth.http import clean_text, provider_detail

# Nothing listens on port 9 (discard): any request made by mistake fails loudly.
NOWHERE = ProviderConfig(
    provider=GOOGLE, client_id="cid.apps.example", token_uri="https://127.0.0.1:9/token"
)
REDIRECT = "http://127.0.0.1:8765/"
UNRESERVED = set(string.ascii_letters + string.digits + "-._~")


def prompt(**changes: str) -> google.BrowserPrompt:
    made = google.browser_prompt(NOWHERE, redirect_uri=REDIRECT)
    return dataclasses.replace(made, **changes) if changes else made


# -- PKCE --------------------------------------------------------------------------------


def test_challenge_matches_rfc_7636_appendix_b() -> None:
    verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
    assert google.pkce_challenge(verifier) == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"


def test_challenge_is_unpadded_base64url_of_sha256() -> None:
    verifier = google.new_verifier()
    challenge = google.pkce_challenge(verifier)
    expected = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
    assert challenge == expected.decode().rstrip("=")
    assert "=" not in challenge and len(challenge) == 43


def test_verifier_is_64_unreserved_characters_and_fresh() -> None:
    verifiers = {google.new_verifier() for _ in range(50)}
    assert len(verifiers) == 50
    for verifier in verifiers:
        assert len(verifier) == 64
        assert set(verifier) <= UNRESERVED


# -- the consent URL ----------------------------------------------------------------------


def test_consent_url_carries_every_parameter() -> None:
    made = google.browser_prompt(NOWHERE, redirect_uri=REDIRECT, login_hint="bob@example.com")
    parts = urlsplit(made.url)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == GOOGLE_AUTH_URI
    params = {key: values[0] for key, values in parse_qs(parts.query).items()}
    assert params == {
        "client_id": "cid.apps.example",
        "redirect_uri": REDIRECT,
        "response_type": "code",
        "scope": GOOGLE_SCOPE,
        "access_type": "offline",
        "prompt": "consent",
        "code_challenge": google.pkce_challenge(made.verifier),
        "code_challenge_method": "S256",
        "state": made.state,
        "login_hint": "bob@example.com",
    }
    assert made.redirect_uri == REDIRECT


def test_consent_url_without_hint_and_with_a_private_endpoint() -> None:
    config = dataclasses.replace(NOWHERE, auth_uri="https://127.0.0.1:4443/o/oauth2/v2/auth")
    made = google.browser_prompt(config, redirect_uri=REDIRECT)
    assert made.url.startswith("https://127.0.0.1:4443/o/oauth2/v2/auth?")
    assert "login_hint" not in parse_qs(urlsplit(made.url).query)


def test_each_prompt_has_its_own_state_and_verifier() -> None:
    first, second = prompt(), prompt()
    assert first.state != second.state
    assert first.verifier != second.verifier


def test_prompt_repr_hides_the_verifier() -> None:
    made = prompt()
    assert made.verifier not in repr(made)
    assert "verifier" not in repr(made)


# -- reading the redirect -----------------------------------------------------------------


@pytest.mark.parametrize(
    "pasted",
    [
        "http://127.0.0.1:8765/?state=s1&code=4%2Fabc&scope=x",
        "  http://127.0.0.1:8765/?state=s1&code=4%2Fabc&scope=x \n",
        "state=s1&code=4%2Fabc&scope=x",
        "?state=s1&code=4%2Fabc&scope=x",
        "127.0.0.1:8765/?state=s1&code=4%2Fabc&scope=x",
        "/?state=s1&code=4%2Fabc&scope=x",
        "http://127.0.0.1:8765/#state=s1&code=4%2Fabc&scope=x",
    ],
)
def test_redirect_is_read_in_every_pasted_form(pasted: str) -> None:
    params = google.parse_redirect(pasted)
    assert params["code"] == "4/abc"
    assert params["state"] == "s1"


def test_redirect_without_query_has_no_parameters() -> None:
    assert google.parse_redirect("http://127.0.0.1:8765/") == {}
    assert google.parse_redirect("   ") == {}


# -- refusals before any request -----------------------------------------------------------


def test_declined_sign_in_is_named() -> None:
    made = prompt()
    url = f"{REDIRECT}?error=access_denied&state={made.state}"
    with pytest.raises(OAuthError, match="declined"):
        google.finish_browser_flow(NOWHERE, made, url)


def test_other_provider_error_is_quoted_cleanly() -> None:
    made = prompt()
    url = f"{REDIRECT}?error=invalid_scope&error_description=Bad%0Ascope&state={made.state}"
    with pytest.raises(OAuthError, match=r"invalid_scope: Bad scope") as caught:
        google.finish_browser_flow(NOWHERE, made, url)
    assert "\n" not in str(caught.value)


def test_address_without_code_asks_for_the_whole_address() -> None:
    made = prompt()
    with pytest.raises(OAuthError, match="paste the whole address"):
        google.finish_browser_flow(NOWHERE, made, f"{REDIRECT}?state={made.state}")
    with pytest.raises(OAuthError, match="paste the whole address"):
        google.finish_browser_flow(NOWHERE, made, REDIRECT)


def test_state_mismatch_is_refused() -> None:
    made = prompt()
    with pytest.raises(OAuthError, match="state mismatch") as caught:
        google.finish_browser_flow(NOWHERE, made, f"{REDIRECT}?code=4/abc&state=forged")
    assert not isinstance(caught.value, OAuthReauthError)
    with pytest.raises(OAuthError, match="state mismatch"):
        google.finish_browser_flow(NOWHERE, made, f"{REDIRECT}?code=4/abc")


@pytest.mark.parametrize("state", ["", "not json", "[]", "{}", '{"refresh_token": ""}'])
def test_unreadable_stored_state_needs_a_new_sign_in(state: str) -> None:
    with pytest.raises(OAuthReauthError, match="sign in again"):
        google.refresh(NOWHERE, state)


# -- provider text ------------------------------------------------------------------------


def test_provider_detail_is_one_short_line_without_trace_ids() -> None:
    detail = provider_detail(
        "invalid_grant",
        "AADSTS70000: The value is not valid.\r\nTrace ID: abc\r\nCorrelation ID: def",
    )
    assert detail == "invalid_grant: AADSTS70000: The value is not valid."
    assert provider_detail(None) == "unknown_error"
    assert len(provider_detail("x", "word " * 200)) <= 164


def test_clean_text_masks_what_looks_like_a_token() -> None:
    token = "ya29." + "A1b2C3d4" * 10
    cleaned = clean_text(f"bad token {token} here\x1b[31m")
    assert token not in cleaned
    assert "\x1b" not in cleaned
    assert cleaned.startswith("bad token ********")
