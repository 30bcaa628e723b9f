"""The agent's signature for replies from one account (and, for an admin, the company
one for that account): templates such as `{{ agent.display_name }}`, checked and saved
by Service.set_signature as `frontdesk signature set --account NAME` does; emptied, it
is removed (Service.clear_signature). Below, the signature a reply from the account gets
now, filled in."""

from __future__ import annotations

from textual import work
from textual.app import ComposeResult
from textual.content import Content
from textual.widgets import Static, TextArea

from engine.errors import FrontdeskError
from engine.models import Agent, Signature
from engine.sanitize import sanitize
from engine.service import Service
from tui.screens.settings_section import SettingsSection
from tui.widgets.form_fields import one_line

PREVIEW_LINES = 8


class SignatureSection(SettingsSection):
    """Your signature for the account; the company one too for an admin."""

    def __init__(self, service: Service, agent: Agent, name: str, *,
                 id: str | None = None) -> None:
        super().__init__(service, agent, Content.assemble(
            ("Signature for replies from ", "bold"), (one_line(name), "bold")), id=id)
        self.account_name = name
        self.company = agent.role == "admin"
        self.start: dict[bool, str] = {False: "", True: ""}

    def fields(self) -> ComposeResult:
        yield Static(Content("Yours, for this account (a template: {{ agent.display_name }} "
                             "and the like; empty: none)"), classes="settings-text")
        yield TextArea("", id="signature-own", classes="settings-textarea")
        if self.company:
            yield Static(Content("The company signature for this account (admins)"),
                         classes="settings-text")
            yield TextArea("", id="signature-company", classes="settings-textarea")
        yield Static(Content(""), id="signature-preview", classes="settings-text")

    def _area(self, company: bool) -> TextArea:
        return self.query_one("#signature-company" if company else "#signature-own", TextArea)

    async def read(self) -> None:
        found = await self.service.list_signatures(self.agent)
        for company in (False, True) if self.company else (False,):
            body = self._written(found, company)
            self.start[company] = body
            self._area(company).text = body
        await self._preview()

    def _written(self, found: list[Signature], company: bool) -> str:
        for signature in found:
            if signature.account != self.account_name:
                continue
            if company and signature.scope == "company":
                return sanitize(signature.body)
            if not company and signature.scope == "personal" \
                    and signature.agent_id == self.agent.id:
                return sanitize(signature.body)
        return ""

    async def _preview(self) -> None:
        text = sanitize(await self.service.signature(self.agent, self.account_name))
        lines = text.splitlines()[:PREVIEW_LINES] if text.strip() else ["(no signature)"]
        self.query_one("#signature-preview", Static).update(Content.assemble(
            ("A reply from this account now closes with:\n", "dim"), "\n".join(lines)))

    def save(self) -> None:
        wanted = {company: self._area(company).text
                  for company in ((False, True) if self.company else (False,))}
        changed = {c: text for c, text in wanted.items() if text != self.start[c]}
        if not changed:
            self.note.done("Nothing to change.")
            return
        self.write(changed)

    @work(exclusive=True, group="settings-save", exit_on_error=False)
    async def write(self, changed: dict[bool, str]) -> None:
        self.note.clear_note()
        said = []
        for company, text in changed.items():
            whose = "the company signature" if company else "your signature"
            try:
                if text.strip():
                    await self.service.set_signature(self.agent, text,
                                                     account=self.account_name,
                                                     company=company)
                    said.append(f"{whose} saved")
                elif self.start[company].strip():
                    await self.service.clear_signature(self.agent, account=self.account_name,
                                                       company=company)
                    said.append(f"{whose} removed")
            except FrontdeskError as exc:
                self.refused(exc)
                return
            self.start[company] = text
        try:
            await self._preview()
        except FrontdeskError as exc:
            self.refused(exc)
            return
        self.note.done(f"{'; '.join(said).capitalize() or 'Nothing to change'}.")
