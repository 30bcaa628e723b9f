"""Signing an OAuth2 account in from the console: the provider's prompt (an address and
a code to type, or an address to open and the one the browser ends on to paste back),
then the wait for the person to sign in. Esc gives up; the account keeps its earlier
token, if any. The prompt's text and the provider's errors are plain Content only."""

from __future__ import annotations

import asyncio
import contextlib

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from engine.errors import FrontdeskError
from engine.models import AccountSettings, Agent, SignInPrompt
from engine.service import Service

STARTING = "Asking the provider for a sign-in…"
WAITING = "Waiting for the sign-in…"
CHECKING = "Checking the address…"


def prompt_fields(prompt: SignInPrompt) -> Content:
    """The address (and the code, for a device sign-in) on lines of their own, so they
    can be selected and copied."""
    parts: list[str | tuple[str, str]] = [("Address  ", "dim"), prompt.url]
    if prompt.code:
        parts += ["\n", ("Code     ", "dim"), (prompt.code, "bold")]
    return Content.assemble(*parts)


def one_line(text: str) -> str:
    """`text` with its line breaks and runs of spaces folded into single spaces."""
    return " ".join(text.split())


def _ignore_outcome(task: asyncio.Future[AccountSettings]) -> None:
    """A wait given up on: its result or error is of no interest any more."""
    if not task.cancelled():
        task.exception()


class SignInScreen(ModalScreen[bool]):
    """Dismissed with True once the account is signed in, False when given up."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, service: Service, agent: Agent, account: str) -> None:
        super().__init__(classes="dialog-screen")
        self.service = service
        self.agent = agent
        self.account = account
        self.prompt: SignInPrompt | None = None
        self.waiting = False
        self.closing = False
        self._waiter: asyncio.Future[AccountSettings] | None = None

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog dialog-wide", id="sign-in"):
            yield Static(Content.assemble("Sign in ", (self.account, "bold")),
                         classes="dialog-text", id="sign-in-title")
            yield Static(Content(""), classes="dialog-text", id="sign-in-message")
            yield Static(Content(""), classes="dialog-text", id="sign-in-fields")
            yield Input(placeholder="the address the browser ended on; Enter sends it",
                        id="sign-in-paste")
            yield Static(Content(STARTING), id="sign-in-status")
            yield Static(Content("Esc: cancel"), classes="dialog-keys", id="sign-in-keys")

    def on_mount(self) -> None:
        for name in ("#sign-in-message", "#sign-in-fields", "#sign-in-paste"):
            self.query_one(name).display = False
        self.sign_in()

    @work(exclusive=True, group="sign-in", exit_on_error=False)
    async def sign_in(self) -> None:
        """Begin the sign-in, show the prompt, wait for the outcome."""
        try:
            prompt = await self.service.begin_sign_in(self.agent, self.account)
        except FrontdeskError as exc:
            self.show_failure(exc)
            return
        self.prompt = prompt
        self.show_prompt(prompt)
        try:
            account = await self.wait_for(prompt)
        except FrontdeskError as exc:
            self.show_failure(exc)
            return
        self.signed_in(account)

    async def wait_for(self, prompt: SignInPrompt) -> AccountSettings:
        """finish_sign_in, run apart from this worker: when the worker is cancelled (the
        modal closes), the engine is told to stop waiting for the provider."""
        self.waiting = True
        waiter = asyncio.ensure_future(self.service.finish_sign_in(self.agent, prompt.id))
        self._waiter = waiter
        try:
            return await asyncio.shield(waiter)
        except asyncio.CancelledError:
            waiter.add_done_callback(_ignore_outcome)
            with contextlib.suppress(FrontdeskError):
                await self.service.cancel_sign_in(self.agent, prompt.id)
            raise
        finally:
            self.waiting = False

    def show_prompt(self, prompt: SignInPrompt) -> None:
        self.query_one("#sign-in-message", Static).update(Content(prompt.message))
        self.query_one("#sign-in-fields", Static).update(prompt_fields(prompt))
        self.query_one("#sign-in-message").display = True
        self.query_one("#sign-in-fields").display = True
        if prompt.kind == "browser":
            paste = self.query_one("#sign-in-paste", Input)
            paste.display = True
            paste.focus()
        self.set_status(WAITING)

    def set_status(self, text: str, *, failed: bool = False) -> None:
        status = self.query_one("#sign-in-status", Static)
        status.update(Content(text))
        status.set_class(failed, "-error")

    def show_failure(self, exc: FrontdeskError) -> None:
        """The error in one line; Esc then closes."""
        if self.closing:
            return
        self.set_status(one_line(str(exc)) or type(exc).__name__, failed=True)
        paste = self.query_one("#sign-in-paste", Input)
        paste.disabled = True
        self.query_one("#sign-in-keys", Static).update(Content("Esc: close"))

    def signed_in(self, account: AccountSettings) -> None:
        if self.closing:
            return
        self.closing = True
        who = account.oauth_user or account.email
        self.app.notify(f"Signed in as {who}: {account.name} syncs again.",
                        title="Sign-in", markup=False)
        self.wake_engine()
        self.dismiss(True)

    @work(group="sign-in-sync", exit_on_error=False)
    async def wake_engine(self) -> None:
        with contextlib.suppress(FrontdeskError):
            await self.service.request_sync(self.agent)

    @on(Input.Submitted, "#sign-in-paste")
    def _pasted(self, event: Input.Submitted) -> None:
        event.stop()
        address = event.value.strip()
        if address and self.prompt is not None and self.waiting:
            self.paste(self.prompt, address)

    @work(group="sign-in-paste", exit_on_error=False)
    async def paste(self, prompt: SignInPrompt, address: str) -> None:
        try:
            await self.service.paste_sign_in(self.agent, prompt.id, address)
        except FrontdeskError as exc:
            self.set_status(one_line(str(exc)), failed=True)
            return
        self.query_one("#sign-in-paste", Input).disabled = True
        self.set_status(CHECKING)

    async def action_cancel(self) -> None:
        """Give up: the engine stops waiting for the provider; then close."""
        if self.closing:
            return
        self.closing = True
        if self.prompt is not None and self.waiting:
            with contextlib.suppress(FrontdeskError):
                await self.service.cancel_sign_in(self.agent, self.prompt.id)
        self.workers.cancel_node(self)
        self.dismiss(False)

    async def on_unmount(self) -> None:
        """Closed by other means (the app quits): do not leave the engine waiting."""
        if self.prompt is not None and self.waiting and not self.closing:
            self.closing = True
            with contextlib.suppress(FrontdeskError):
                await self.service.cancel_sign_in(self.agent, self.prompt.id)
