"""OAuth2 sign-in and refresh end to end, against the fake authority over HTTPS: msal's
device code flow for Microsoft, PKCE with a loopback redirect for Google."""

from __future__ import annotations

import dataclasses
import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from engine.errors import OAuthError, OAuthReauthError
from engine.oauth import google, microsoft
from engine.oauth.config import Grant, ProviderConfig
from tests.servers import oauth_authority as oauth_servers
from tests.servers.jwt_tokens import claims_of
from tests.servers.oauth_authority import ISSUER, OAuthAuthority

pytestmark = pytest.mark.integration

# The fixtures live with the server; importing them here makes them available.
oauth_authority = oauth_servers.oauth_authority
oauth_authority_factory = oauth_servers.oauth_authority_factory

ALICE = "alice@example.com"
BOB = "bob@example.com"


def later(delay: float, action: Callable[[], object]) -> threading.Timer:
    timer = threading.Timer(delay, action)
    timer.daemon = True
    timer.start()
    return timer


def assert_token_for(grant: Grant, email: str, authority: OAuthAuthority) -> None:
    claims = claims_of(grant.access_token)
    assert claims["email"] == email
    assert claims["iss"] == ISSUER
    assert claims["aud"] == authority.client_id
    assert grant.expires_at.tzinfo is not None
    assert abs(grant.expires_at.timestamp() - claims["exp"]) < 5


def assert_no_secret_in(text: str, *secrets: str) -> None:
    for secret in secrets:
        assert secret not in text


# -- Microsoft: device code ----------------------------------------------------------------


@pytest.fixture
def ms(oauth_authority: OAuthAuthority) -> ProviderConfig:
    return oauth_authority.microsoft_config()


def sign_in(authority: OAuthAuthority, config: ProviderConfig, email: str = ALICE) -> Grant:
    authority.auto_approve = email
    try:
        prompt = microsoft.start_device_flow(config)
        return microsoft.finish_device_flow(config, prompt)
    finally:
        authority.auto_approve = None


def test_device_flow_signs_in(oauth_authority: OAuthAuthority, ms: ProviderConfig) -> None:
    prompt = microsoft.start_device_flow(ms)
    assert prompt.verification_uri == f"{oauth_authority.base_url}/devicelogin"
    assert prompt.user_code in prompt.message and "\n" not in prompt.message
    assert prompt.expires_at - datetime.now(UTC) > timedelta(minutes=14)
    assert oauth_authority.pending_user_codes == [prompt.user_code]
    assert prompt.flow["device_code"] not in repr(prompt)

    started = time.monotonic()
    later(1.2, lambda: oauth_authority.approve(prompt.user_code, ALICE))
    grant = microsoft.finish_device_flow(ms, prompt)

    assert time.monotonic() - started >= 1.2  # it polled until the approval
    assert grant.user == ALICE
    assert_token_for(grant, ALICE, oauth_authority)
    assert grant.expires_at - datetime.now(UTC) > timedelta(minutes=59)
    assert oauth_authority.grants == {"device_code": 1}
    assert oauth_authority.refusals["authorization_pending"] >= 1
    assert_no_secret_in(repr(grant), grant.access_token, grant.state)
    assert ALICE in json.dumps(json.loads(grant.state)["Account"])


def test_device_flow_can_be_cancelled(oauth_authority: OAuthAuthority, ms: ProviderConfig) -> None:
    prompt = microsoft.start_device_flow(ms)
    stop = threading.Event()
    later(0.3, stop.set)
    started = time.monotonic()
    with pytest.raises(OAuthError, match=r"^sign-in cancelled$") as caught:
        microsoft.finish_device_flow(ms, prompt, cancelled=stop.is_set)
    assert time.monotonic() - started < 3
    assert not isinstance(caught.value, OAuthReauthError)
    assert oauth_authority.grants["device_code"] == 0


def test_device_code_expiry_ends_the_wait(
    oauth_authority: OAuthAuthority, ms: ProviderConfig
) -> None:
    oauth_authority.device_code_lifetime = 2
    prompt = microsoft.start_device_flow(ms)
    started = time.monotonic()
    with pytest.raises(OAuthError, match=r"expired.*start the sign-in again"):
        microsoft.finish_device_flow(ms, prompt)
    assert 1.5 < time.monotonic() - started < 6


def test_declined_device_sign_in(oauth_authority: OAuthAuthority, ms: ProviderConfig) -> None:
    prompt = microsoft.start_device_flow(ms)
    oauth_authority.deny(prompt.user_code)
    with pytest.raises(OAuthError, match="declined"):
        microsoft.finish_device_flow(ms, prompt)


def test_refresh_answers_from_the_cache_while_the_token_is_fresh(
    oauth_authority: OAuthAuthority, ms: ProviderConfig
) -> None:
    grant = sign_in(oauth_authority, ms)
    again = microsoft.refresh(ms, grant.state, ALICE)
    anyone = microsoft.refresh(ms, again.state, None)  # the only account
    assert again.access_token == grant.access_token == anyone.access_token
    assert again.user == anyone.user == ALICE
    assert oauth_authority.grants["refresh_token"] == 0


def test_refresh_renews_an_expired_token(
    oauth_authority: OAuthAuthority, ms: ProviderConfig
) -> None:
    oauth_authority.lifetime = 2
    grant = sign_in(oauth_authority, ms)
    time.sleep(2.1)
    assert grant.expires_at < datetime.now(UTC)
    oauth_authority.lifetime = 3600
    renewed = microsoft.refresh(ms, grant.state, ALICE)
    assert renewed.access_token != grant.access_token
    assert renewed.user == ALICE
    assert_token_for(renewed, ALICE, oauth_authority)
    assert oauth_authority.grants["refresh_token"] == 1
    # The new token is cached in the new state: the next call needs no request.
    assert microsoft.refresh(ms, renewed.state, ALICE).access_token == renewed.access_token
    assert oauth_authority.grants["refresh_token"] == 1


def test_msal_renews_a_token_with_under_five_minutes_left(
    oauth_authority: OAuthAuthority, ms: ProviderConfig
) -> None:
    oauth_authority.lifetime = 240
    grant = sign_in(oauth_authority, ms)
    assert grant.expires_at > datetime.now(UTC) + timedelta(minutes=3)
    renewed = microsoft.refresh(ms, grant.state, ALICE)
    assert renewed.access_token != grant.access_token
    assert oauth_authority.grants["refresh_token"] == 1


def test_forced_refresh_rotates_the_refresh_token(
    oauth_authority: OAuthAuthority, ms: ProviderConfig
) -> None:
    grant = sign_in(oauth_authority, ms)
    renewed = microsoft.refresh(ms, grant.state, ALICE, force=True)
    assert renewed.access_token != grant.access_token
    assert renewed.state != grant.state
    assert oauth_authority.grants["refresh_token"] == 1
    # The authority spent the old refresh token: only the new state works from now on.
    with pytest.raises(OAuthReauthError):
        microsoft.refresh(ms, grant.state, ALICE, force=True)
    assert microsoft.refresh(ms, renewed.state, ALICE, force=True).user == ALICE


def test_revoked_refresh_token_needs_a_new_sign_in(
    oauth_authority: OAuthAuthority, ms: ProviderConfig
) -> None:
    grant = sign_in(oauth_authority, ms)
    assert oauth_authority.revoke(ALICE) == 1
    with pytest.raises(OAuthReauthError) as caught:
        microsoft.refresh(ms, grant.state, ALICE, force=True)
    message = str(caught.value)
    assert message.endswith("sign in again")
    assert "invalid_grant" in message and "AADSTS70000" in message
    assert "Trace ID" not in message and "\n" not in message
    assert oauth_authority.base_url.removeprefix("https://") in message
    assert_no_secret_in(message, grant.access_token, *_refresh_tokens(grant.state))


def _refresh_tokens(state: str) -> list[str]:
    return [item["secret"] for item in json.loads(state)["RefreshToken"].values()]


@pytest.mark.parametrize("state", ["", "not json", "{}"])
def test_refresh_without_a_stored_sign_in(ms: ProviderConfig, state: str) -> None:
    with pytest.raises(OAuthReauthError, match="sign in again"):
        microsoft.refresh(ms, state, ALICE)


def test_refresh_for_someone_else_needs_a_sign_in(
    oauth_authority: OAuthAuthority, ms: ProviderConfig
) -> None:
    grant = sign_in(oauth_authority, ms)
    with pytest.raises(OAuthReauthError, match=f"{BOB}; sign in again"):
        microsoft.refresh(ms, grant.state, BOB)


def test_confidential_client_signs_in_and_refreshes(
    oauth_authority_factory: Callable[..., OAuthAuthority],
) -> None:
    authority = oauth_authority_factory(client_secret="s3cret-value")
    config = authority.microsoft_config()
    grant = sign_in(authority, config, BOB)
    assert grant.user == BOB
    renewed = microsoft.refresh(config, grant.state, BOB, force=True)
    assert_token_for(renewed, BOB, authority)

    wrong = authority.microsoft_config(client_secret="wrong")
    with pytest.raises(OAuthError, match="invalid_client") as caught:
        microsoft.refresh(wrong, renewed.state, BOB, force=True)
    assert not isinstance(caught.value, OAuthReauthError)
    assert "wrong" not in str(caught.value)


def test_unreachable_authority(ms: ProviderConfig) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    config = dataclasses.replace(ms, authority=f"https://127.0.0.1:{port}/tenant")
    with pytest.raises(OAuthError, match=f"cannot reach 127.0.0.1:{port}"):
        microsoft.start_device_flow(config)


def test_untrusted_certificate(ms: ProviderConfig) -> None:
    with pytest.raises(OAuthError, match=r"^TLS with 127\.0\.0\.1:"):
        microsoft.start_device_flow(dataclasses.replace(ms, ca_file=None))


def test_missing_ca_file_is_named(ms: ProviderConfig, gg: ProviderConfig) -> None:
    with pytest.raises(OAuthError, match=r"CA file /nonexistent/ca\.pem does not exist"):
        microsoft.start_device_flow(dataclasses.replace(ms, ca_file="/nonexistent/ca.pem"))
    with pytest.raises(OAuthError, match=r"CA file /nonexistent/ca\.pem does not exist"):
        google.refresh(
            dataclasses.replace(gg, ca_file="/nonexistent/ca.pem"),
            json.dumps({"refresh_token": "rt"}),
        )


def test_ca_environment_cannot_override_the_configured_ca(
    ms: ProviderConfig, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/nonexistent/ca.pem")
    monkeypatch.setenv("HTTPS_PROXY", "http://127.0.0.1:9")
    assert microsoft.start_device_flow(ms).user_code


def test_unknown_tenant(oauth_authority: OAuthAuthority, ms: ProviderConfig) -> None:
    config = dataclasses.replace(ms, authority=f"{oauth_authority.base_url}/other-tenant")
    with pytest.raises(OAuthError, match="not answer as a Microsoft sign-in authority"):
        microsoft.start_device_flow(config)


def test_unknown_client_cannot_start(ms: ProviderConfig) -> None:
    with pytest.raises(OAuthError, match="unauthorized_client"):
        microsoft.start_device_flow(dataclasses.replace(ms, client_id="someone-else"))


# -- Google: authorization code with PKCE ---------------------------------------------------


@pytest.fixture
def gg(oauth_authority: OAuthAuthority) -> ProviderConfig:
    return oauth_authority.google_config()


@pytest.fixture
def browser_flow(
    gg: ProviderConfig,
) -> Iterator[tuple[google.BrowserPrompt, google.LoopbackListener]]:
    prompt, listener = google.start_browser_flow(gg, login_hint=BOB)
    with listener:
        yield prompt, listener


def consent(authority: OAuthAuthority, url: str) -> str:
    """Play the browser at the consent page: the address it is redirected to."""
    answer = requests.get(url, verify=authority.ca_file, allow_redirects=False, timeout=5)
    assert answer.status_code == 302, answer.text
    return str(answer.headers["Location"])


def test_browser_flow_with_the_pasted_address(
    oauth_authority: OAuthAuthority,
    gg: ProviderConfig,
    browser_flow: tuple[google.BrowserPrompt, google.LoopbackListener],
) -> None:
    prompt, listener = browser_flow
    assert prompt.redirect_uri == f"http://127.0.0.1:{listener.port}/"
    landed = consent(oauth_authority, prompt.url)
    assert landed.startswith(prompt.redirect_uri + "?")

    grant = google.finish_browser_flow(gg, prompt, f"  \n{landed}\t ")

    assert_token_for(grant, BOB, oauth_authority)
    assert grant.user is None
    assert set(json.loads(grant.state)) == {"refresh_token"}
    assert oauth_authority.grants == {"authorization_code": 1}
    assert_no_secret_in(repr(grant), grant.access_token, grant.state)


def test_browser_flow_with_only_the_query_string(
    oauth_authority: OAuthAuthority,
    gg: ProviderConfig,
    browser_flow: tuple[google.BrowserPrompt, google.LoopbackListener],
) -> None:
    prompt, _ = browser_flow
    landed = consent(oauth_authority, prompt.url)
    grant = google.finish_browser_flow(gg, prompt, urlsplit(landed).query)
    assert_token_for(grant, BOB, oauth_authority)


def test_browser_flow_through_the_loopback_listener(
    oauth_authority: OAuthAuthority,
    gg: ProviderConfig,
    browser_flow: tuple[google.BrowserPrompt, google.LoopbackListener],
) -> None:
    prompt, listener = browser_flow
    landed = consent(oauth_authority, prompt.url)
    pages: list[requests.Response] = []
    browser = threading.Thread(target=lambda: pages.append(requests.get(landed, timeout=5)))
    browser.start()

    received = listener.wait(5)
    browser.join(5)

    assert received == landed
    assert pages[0].status_code == 200
    assert "close this window and return to the console" in pages[0].text
    assert prompt.state not in pages[0].text
    assert not listener.listening
    grant = google.finish_browser_flow(gg, prompt, received)
    assert_token_for(grant, BOB, oauth_authority)


def test_listener_ignores_requests_that_carry_no_answer(
    browser_flow: tuple[google.BrowserPrompt, google.LoopbackListener],
) -> None:
    _, listener = browser_flow
    base = f"http://127.0.0.1:{listener.port}"

    def browse() -> None:
        assert requests.get(f"{base}/favicon.ico", timeout=5).status_code == 404
        requests.get(f"{base}/?error=access_denied&state=x", timeout=5)

    browser = threading.Thread(target=browse)
    browser.start()
    assert listener.wait(5) == f"{base}/?error=access_denied&state=x"
    browser.join(5)


def test_listener_wait_gives_up_on_timeout_or_cancel(
    browser_flow: tuple[google.BrowserPrompt, google.LoopbackListener],
) -> None:
    _, listener = browser_flow
    started = time.monotonic()
    assert listener.wait(0.3) is None
    assert listener.wait(30, cancelled=lambda: time.monotonic() - started > 0.6) is None
    assert time.monotonic() - started < 2
    assert listener.listening  # a later wait may still catch the browser


def test_listener_releases_its_port_on_close(gg: ProviderConfig) -> None:
    _, listener = google.start_browser_flow(gg)
    port = listener.port
    with socket.create_connection(("127.0.0.1", port), timeout=2):
        pass
    listener.close()
    listener.close()
    assert not listener.listening
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=2).close()


def test_listener_on_a_chosen_port_binds_loopback_only(gg: ProviderConfig) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    prompt, listener = google.start_browser_flow(gg, port=port)
    with listener:
        assert listener.port == port
        assert prompt.redirect_uri == f"http://127.0.0.1:{port}/"
        with pytest.raises(OAuthError, match=f"cannot listen on 127.0.0.1:{port}"):
            google.start_browser_flow(gg, port=port)


def test_wrong_state_is_refused_without_redeeming_the_code(
    oauth_authority: OAuthAuthority,
    gg: ProviderConfig,
    browser_flow: tuple[google.BrowserPrompt, google.LoopbackListener],
) -> None:
    prompt, _ = browser_flow
    landed = consent(oauth_authority, prompt.url)
    other = dataclasses.replace(prompt, state="another-sign-in")
    with pytest.raises(OAuthError, match="state mismatch"):
        google.finish_browser_flow(gg, other, landed)
    assert oauth_authority.grants["authorization_code"] == 0


def test_declined_consent_is_refused(
    oauth_authority: OAuthAuthority,
    gg: ProviderConfig,
    browser_flow: tuple[google.BrowserPrompt, google.LoopbackListener],
) -> None:
    prompt, _ = browser_flow
    oauth_authority.google_deny = True
    landed = consent(oauth_authority, prompt.url)
    assert parse_qs(urlsplit(landed).query)["error"] == ["access_denied"]
    with pytest.raises(OAuthError, match="declined"):
        google.finish_browser_flow(gg, prompt, landed)


def test_wrong_verifier_is_refused(
    oauth_authority: OAuthAuthority,
    gg: ProviderConfig,
    browser_flow: tuple[google.BrowserPrompt, google.LoopbackListener],
) -> None:
    prompt, _ = browser_flow
    landed = consent(oauth_authority, prompt.url)
    tampered = dataclasses.replace(prompt, verifier=google.new_verifier())
    with pytest.raises(OAuthError, match="invalid_grant: Invalid code verifier") as caught:
        google.finish_browser_flow(gg, tampered, landed)
    assert not isinstance(caught.value, OAuthReauthError)
    assert "start the sign-in again" in str(caught.value)
    assert oauth_authority.grants["authorization_code"] == 0


def test_a_code_is_redeemed_once(
    oauth_authority: OAuthAuthority,
    gg: ProviderConfig,
    browser_flow: tuple[google.BrowserPrompt, google.LoopbackListener],
) -> None:
    prompt, _ = browser_flow
    landed = consent(oauth_authority, prompt.url)
    google.finish_browser_flow(gg, prompt, landed)
    with pytest.raises(OAuthError, match="invalid_grant"):
        google.finish_browser_flow(gg, prompt, landed)


def google_sign_in(authority: OAuthAuthority, config: ProviderConfig) -> Grant:
    prompt, listener = google.start_browser_flow(config, login_hint=BOB)
    with listener:
        return google.finish_browser_flow(config, prompt, consent(authority, prompt.url))


def test_google_refresh_keeps_the_refresh_token(
    oauth_authority: OAuthAuthority, gg: ProviderConfig
) -> None:
    grant = google_sign_in(oauth_authority, gg)
    renewed = google.refresh(gg, grant.state)
    assert renewed.access_token != grant.access_token
    assert_token_for(renewed, BOB, oauth_authority)
    assert renewed.state == grant.state  # Google sent no new refresh token
    assert oauth_authority.grants["refresh_token"] == 1


def test_google_revoked_refresh_token_needs_a_new_sign_in(
    oauth_authority: OAuthAuthority, gg: ProviderConfig
) -> None:
    grant = google_sign_in(oauth_authority, gg)
    oauth_authority.revoke(BOB)
    with pytest.raises(OAuthReauthError, match=r"invalid_grant.*sign in again$") as caught:
        google.refresh(gg, grant.state)
    assert_no_secret_in(str(caught.value), json.loads(grant.state)["refresh_token"])


def test_google_id_token_names_the_user(
    oauth_authority: OAuthAuthority, gg: ProviderConfig
) -> None:
    oauth_authority.google_id_token = True
    assert google_sign_in(oauth_authority, gg).user == BOB


def test_google_client_secret_is_sent_and_checked(
    oauth_authority_factory: Callable[..., OAuthAuthority],
) -> None:
    authority = oauth_authority_factory(client_secret="g-secret")
    config = authority.google_config()
    grant = google_sign_in(authority, config)
    assert google.refresh(config, grant.state).user is None
    wrong = authority.google_config(client_secret="wrong")
    with pytest.raises(OAuthError, match="invalid_client") as caught:
        google.refresh(wrong, grant.state)
    assert not isinstance(caught.value, OAuthReauthError)


def test_google_token_endpoint_unreachable(gg: ProviderConfig) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    config = dataclasses.replace(gg, token_uri=f"https://127.0.0.1:{port}/token")
    with pytest.raises(OAuthError, match=f"cannot reach 127.0.0.1:{port}"):
        google.refresh(config, json.dumps({"refresh_token": "rt"}))
