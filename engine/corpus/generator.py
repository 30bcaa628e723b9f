"""generate_corpus: plan a corpus (threads, timing, folders, flags) with one seeded rng,
then render each message in date order.

Planning is cheap metadata only; bytes are produced lazily while iterating, so even a
20,000-message corpus with its large attachments never sits in memory at once. Each
message is rendered from its own seed drawn during planning, which keeps the bytes of a
message independent of how the others happened to render.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from engine.corpus import bodies, bulk, people
from engine.corpus.attachments import make_attachment
from engine.corpus.bodies import Block
from engine.corpus.encoding import Base64Pool, Entity, WordStyle, pick_word_style
from engine.corpus.hostile import HOSTILE_KINDS, hostile_message
from engine.corpus.model import (
    DEFAULT_ACCOUNTS,
    DEFAULT_PROFILE,
    CorpusAccount,
    CorpusMessage,
    CorpusProfile,
)
from engine.corpus.people import MailClient, Person
from engine.corpus.render import Delivery, Envelope, render_message
from engine.corpus.topics import Topic

DEFAULT_END = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)

# Thread lengths 1..6; most support conversations are two or three messages long.
_LENGTH_WEIGHTS = (22, 30, 20, 13, 9, 6)
_SEEN, _ANSWERED, _FLAGGED = "\\Seen", "\\Answered", "\\Flagged"
_LARGE_KINDS = {"pdf": "pdf", "png": "png", "jpg": "jpg", "csv": "zip", "log": "zip"}


@dataclass(slots=True, eq=False)
class _Thread:
    account: CorpusAccount
    customer: Person
    cc: tuple[Person, ...]
    topic: Topic
    slots: dict[str, str]
    subject: str
    agent: str
    agent_client: MailClient
    agent_style: WordStyle
    customer_style: WordStyle
    outbound: int = -1  # for threads we opened: which outbound template


@dataclass(slots=True, eq=False)
class _Plan:
    kind: str  # customer, agent, auto, list, spam, hostile
    account: CorpusAccount
    sent: datetime  # the Date header's instant (UTC)
    time: datetime  # internal date (UTC): arrival, or sending for our own mail
    message_id: str
    seed: int
    subject: str = ""
    thread: _Thread | None = None
    parent: _Plan | None = None
    stage: str = ""
    references: tuple[str, ...] = ()
    attachment: str = ""  # "", "small" or "large"
    attachment_size: int = 0
    html: bool = False
    quoted_by: int = 0  # how many later messages quote this one's text
    answered: bool = False
    hostile_kind: str = ""
    sender: Person | None = None
    folder: str = "INBOX"
    flags: tuple[str, ...] = ()
    order: int = 0
    source: int = 0  # list or spam campaign


@dataclass(slots=True)
class _Agents:
    """Our own people: who answers on which account, and with what mail client."""

    pool: dict[str, tuple[str, ...]]
    clients: dict[str, tuple[MailClient, WordStyle]] = field(default_factory=dict)


def _company(domain: str) -> str:
    return domain.split(".")[0].replace("-", " ").title()


def _quota(count: int, rate: float) -> int:
    return int(count * rate + 0.5) if rate > 0 else 0


class _Planner:
    def __init__(self, rng: random.Random, count: int, accounts: Sequence[CorpusAccount],
                 end: datetime, days: int, profile: CorpusProfile) -> None:
        self.rng = rng
        self.count = count
        self.accounts = tuple(accounts)
        self.end = end.astimezone(UTC)
        self.start = self.end - timedelta(days=days)
        self.profile = profile
        self.plans: list[_Plan] = []
        self.ids: set[str] = set()
        # The shared mailbox gets most of the support mail, as in real teams.
        self.weights = tuple(3 if a.shared else 1 for a in self.accounts)
        owners = tuple(a.name for a in self.accounts if not a.shared)
        shared_pool = owners + people.EXTRA_AGENTS
        self.agents = _Agents({a.key: shared_pool if a.shared else (a.name,)
                               for a in self.accounts})
        for name in sorted({n for names in self.agents.pool.values() for n in names}):
            self.agents.clients[name] = (people.pick_client(rng), pick_word_style(rng))

    # -- ids and times -----------------------------------------------------------------

    def new_id(self, domain: str) -> str:
        while True:
            mid = f"<{self.rng.getrandbits(96):024x}@{domain}>"
            if mid not in self.ids:
                self.ids.add(mid)
                return mid

    def pick_time(self, offset_minutes: int) -> datetime:
        """A sending time in the window, mostly on weekdays in office hours (local)."""
        rng = self.rng
        span = (self.end - self.start).total_seconds() - 600
        tz = bodies.tz_of(offset_minutes)
        candidate = self.start
        for _ in range(6):
            candidate = self.start + timedelta(seconds=int(rng.random() * max(span, 1)))
            local = candidate.astimezone(tz)
            if local.weekday() >= 5 and rng.random() < 0.7:
                continue
            if rng.random() < 0.8:
                local = local.replace(hour=rng.randint(8, 17), minute=rng.randrange(60),
                                      second=rng.randrange(60))
                moved = local.astimezone(UTC)
                if self.start <= moved <= self.end - timedelta(seconds=600):
                    return moved
            return candidate
        return candidate

    def transit(self) -> timedelta:
        return timedelta(seconds=self.rng.randint(3, 150))

    # -- threads -----------------------------------------------------------------------

    def plan_thread(self, limit: int) -> int:
        """Plan one thread of at most `limit` messages; returns how many were planned."""
        rng = self.rng
        account = rng.choices(self.accounts, self.weights)[0]
        customer = people.make_person(rng)
        cc: tuple[Person, ...] = ()
        if rng.random() < 0.15:
            cc = tuple(people.make_person(rng, company_of=customer)
                       for _ in range(rng.randint(1, 2)))
            cc = tuple(p for p in cc if p.email != customer.email)
        topic = bodies.pick_topic(rng)
        first_sent = self.pick_time(customer.country.utc_offset_minutes)
        domain = account.email.rsplit("@", 1)[1]
        slots = bodies.make_slots(rng, topic, customer, first_sent, f"app.{domain}")
        agent = rng.choice(self.agents.pool[account.key])
        client, style = self.agents.clients[agent]
        thread = _Thread(account, customer, cc, topic, slots,
                         bodies.make_subject(rng, topic, customer.country, slots), agent,
                         client, style, pick_word_style(rng))
        length = min(rng.choices(range(1, 7), _LENGTH_WEIGHTS)[0], limit)
        roles = ["agent" if rng.random() < 0.05 else "customer"]
        for _ in range(1, length):
            if roles[-1] == "customer":
                roles.append("agent" if rng.random() < 0.85 else "customer")
            else:
                roles.append("customer")
        stages = self._stages(roles)
        if roles[0] == "agent":
            thread.outbound = rng.randrange(len(bodies.topics.OUTBOUND))
            thread.subject = bodies.outbound_subject(thread.outbound, slots)
        sent = first_sent
        previous: _Plan | None = None
        planned = 0
        for role, stage in zip(roles, stages, strict=True):
            if previous is not None:
                sent = previous.sent + self._delay(role, stage)
            mine = role == "agent"
            time = sent if mine else sent + self.transit()
            if time > self.end:
                break
            sender_domain = domain if mine else customer.domain
            subject = thread.subject
            if previous is not None:
                prefix = client.reply_prefix if mine else customer.client.reply_prefix
                subject = prefix + bodies.base_subject(thread.subject)
            plan = _Plan(
                kind=role, account=account, sent=sent, time=time,
                message_id=self.new_id(sender_domain), seed=rng.getrandbits(64),
                subject=subject, thread=thread, parent=previous, stage=stage,
            )
            if previous is not None:
                plan.references = (*previous.references, previous.message_id)[-20:]
                previous.quoted_by += 1
                if mine and previous.kind == "customer":
                    previous.answered = True
            self.plans.append(plan)
            previous = plan
            planned += 1
        return planned

    @staticmethod
    def _stages(roles: list[str]) -> list[str]:
        stages: list[str] = []
        for i, role in enumerate(roles):
            prev = roles[i - 1] if i else ""
            if role == "agent":
                if i == 0:
                    stages.append("outbound")
                else:
                    stages.append("done" if stages[-1] == "thanks" else "answer")
            elif i == 0:
                stages.append("first")
            elif prev == "customer":
                stages.append("bump")
            else:
                last = i == len(roles) - 1 or (i == len(roles) - 2 and roles[i + 1] == "agent")
                stages.append("thanks" if last else "followup")
        return stages

    def _delay(self, role: str, stage: str) -> timedelta:
        rng = self.rng
        if stage == "bump":
            seconds = rng.uniform(1.2, 4.5) * 86400
        elif role == "agent":
            seconds = min(max(rng.lognormvariate(math.log(3 * 3600), 1.1), 300), 4 * 86400)
        else:
            seconds = min(max(rng.lognormvariate(math.log(7 * 3600), 1.0), 600), 6 * 86400)
        return timedelta(seconds=int(seconds))

    # -- mail outside conversations ----------------------------------------------------

    def plan_auto_replies(self, n: int) -> None:
        rng = self.rng
        latest = self.end - timedelta(minutes=15)
        candidates = [p for p in self.plans if p.kind == "agent" and p.time < latest]
        picks = rng.sample(candidates, min(n, len(candidates)))
        for agent_plan in picks:
            thread = agent_plan.thread
            assert thread is not None
            sent = agent_plan.sent + timedelta(seconds=rng.randint(20, 600))
            plan = _Plan(
                kind="auto", account=agent_plan.account, sent=sent,
                time=sent + self.transit(), message_id=self.new_id(thread.customer.domain),
                seed=rng.getrandbits(64), thread=thread, parent=agent_plan,
                references=(*agent_plan.references, agent_plan.message_id)[-20:],
                subject=agent_plan.subject, sender=thread.customer,
            )
            self.plans.append(plan)
        for _ in range(n - len(picks)):
            self.plan_single("auto")

    def plan_single(self, kind: str, hostile_kind: str = "") -> None:
        rng = self.rng
        if kind in ("hostile", "auto"):
            account = rng.choices(self.accounts, self.weights)[0]
        else:
            account = rng.choice(self.accounts)
        sender = people.make_person(rng)
        sent = self.pick_time(sender.country.utc_offset_minutes)
        source = rng.randrange(1 << 16)  # which list or spam campaign, fixed here for the id
        if kind == "list":
            domain = bulk.list_domain(source)
        elif kind == "spam":
            domain = bulk.spam_domain(source)
        else:
            domain = sender.domain
        self.plans.append(_Plan(
            kind=kind, account=account, sent=sent, time=sent + self.transit(),
            message_id=self.new_id(domain), seed=rng.getrandbits(64), sender=sender,
            hostile_kind=hostile_kind, source=source,
        ))

    # -- content choices, folders and flags --------------------------------------------

    def choose_content(self) -> None:
        rng, profile = self.rng, self.profile
        conversation = [p for p in self.plans if p.kind in ("customer", "agent")]
        large = rng.sample(conversation, min(len(conversation),
                                             _quota(self.count, profile.large_attachment_rate)))
        lo, hi = profile.large_attachment_kb
        for plan in large:
            plan.attachment = "large"
            plan.attachment_size = rng.randint(lo * 1024, hi * 1024)
        for plan in conversation:
            if (plan.kind == "customer" and not plan.attachment and plan.stage != "thanks"
                    and rng.random() < profile.attachment_rate):
                plan.attachment = "small"
                plan.attachment_size = rng.randint(2 * 1024, 40 * 1024)
            plan.html = rng.random() < profile.html_rate

    def assign_folders(self) -> None:
        rng, end = self.rng, self.end
        for plan in self.plans:
            age = (end - plan.time).total_seconds() / 86400
            if plan.kind == "agent":
                plan.folder, plan.flags = "Sent", (_SEEN,)
                continue
            if plan.kind == "spam":
                plan.folder = "Junk"
                plan.flags = (_SEEN,) if rng.random() < 0.15 else ()
                continue
            seen_p = 0.3 if age < 1 else 0.6 if age < 3 else 0.9 if age < 14 else 0.97
            if plan.kind == "hostile":
                seen_p /= 2
            seen = plan.answered or rng.random() < seen_p
            flagged = plan.kind == "customer" and rng.random() < (
                0.04 if plan.answered else 0.1)
            folder = "INBOX"
            roll = rng.random()
            trash_p = {"list": 0.2 if seen else 0.0, "auto": 0.2 if seen else 0.0,
                       "customer": 0.012}.get(plan.kind, 0.0)
            if roll < trash_p:
                folder = "Trash"
            elif (plan.kind == "customer" and age > 21 and seen and not flagged
                  and roll < 0.55):
                folder = "Archive"
            flags = []
            if seen:
                flags.append(_SEEN)
            if plan.answered:
                flags.append(_ANSWERED)
            if flagged:
                flags.append(_FLAGGED)
            plan.folder, plan.flags = folder, tuple(flags)


def _plan_corpus(rng: random.Random, count: int, accounts: Sequence[CorpusAccount],
                 end: datetime, days: int, profile: CorpusProfile) -> list[_Plan]:
    planner = _Planner(rng, count, accounts, end, days, profile)
    n_hostile = _quota(count, profile.hostile_rate)
    if count >= 200 and profile.hostile_rate > 0:
        n_hostile = max(1, n_hostile)
    special = {"hostile": n_hostile, "auto": _quota(count, profile.auto_reply_rate),
               "list": _quota(count, profile.list_rate), "spam": _quota(count, profile.spam_rate)}
    # On tiny corpora conversations come first; specials shrink to fit.
    budget = max(0, count - max(1, count // 2))
    for kind in ("hostile", "list", "spam", "auto"):
        special[kind] = min(special[kind], budget)
        budget -= special[kind]
    conversations = count - sum(special.values())
    planned = 0
    while planned < conversations:
        planned += planner.plan_thread(conversations - planned)
    planner.plan_auto_replies(special["auto"])
    for kind in ("list", "spam"):
        for _ in range(special[kind]):
            planner.plan_single(kind)
    for i in range(special["hostile"]):
        planner.plan_single("hostile", HOSTILE_KINDS[i % len(HOSTILE_KINDS)])
    planner.choose_content()
    for order, plan in enumerate(planner.plans):
        plan.order = order
    planner.plans.sort(key=lambda p: (p.time, p.order))
    planner.assign_folders()
    return planner.plans


# --- rendering ---------------------------------------------------------------------------


class _Renderer:
    def __init__(self, pool_key: bytes) -> None:
        self.pool = Base64Pool(pool_key)
        # Text lines and blocks of messages that later replies still have to quote.
        self.quotes: dict[int, tuple[tuple[str, ...], tuple[Block, ...]]] = {}

    def render(self, plan: _Plan) -> bytes:
        rng = random.Random(plan.seed)
        if plan.kind in ("customer", "agent"):
            return self._conversation(rng, plan)
        account = (plan.account.name, plan.account.email)
        sender = plan.sender
        assert sender is not None
        delivery = self._delivery(plan)
        sent_local = plan.sent.astimezone(bodies.tz_of(sender.country.utc_offset_minutes))
        if plan.kind == "hostile":
            return hostile_message(
                rng, plan.hostile_kind, sender=sender, account=account, when=sent_local,
                message_id=plan.message_id, delivery=delivery, client=sender.client)
        if plan.kind == "auto":
            colleague = people.make_person(rng, company_of=sender)
            mail = bulk.auto_reply(rng, sender, colleague, plan.subject or "Your message",
                                   sent_local)
        elif plan.kind == "list":
            mail = bulk.list_mail(rng, sent_local, plan.source)
        else:
            mail = bulk.spam(rng, plan.source)
        env = Envelope(sender=mail.sender, to=[account], subject=mail.subject,
                       date=sent_local, message_id=plan.message_id, extra=mail.extra)
        if plan.parent is not None:
            env.in_reply_to = plan.parent.message_id
            env.references = plan.references
        client = sender.client if plan.kind == "auto" else people.CLIENTS[0]
        return render_message(rng, env, mail.blocks, client=client,
                              style=pick_word_style(rng), html=mail.html, delivery=delivery)

    def _delivery(self, plan: _Plan) -> Delivery:
        domain = plan.account.email.rsplit("@", 1)[1]
        return Delivery(recipient=plan.account.email, received_at=plan.time,
                        mx=f"mx1.{domain}", dkim=plan.kind != "spam")

    def _conversation(self, rng: random.Random, plan: _Plan) -> bytes:
        thread = plan.thread
        assert thread is not None
        account, customer = thread.account, thread.customer
        domain = account.email.rsplit("@", 1)[1]
        help_url = f"https://help.{domain}"
        company = _company(domain)
        agent_first = thread.agent.split()[0]
        cc = [(p.name, p.email) for p in thread.cc]
        if plan.kind == "agent":
            client, style = thread.agent_client, thread.agent_style
            offset = -300
            if account.shared:
                sender: tuple[str | None, str] = (f"{thread.agent} ({account.name})",
                                                  account.email)
                team = f"{account.name} · {company}"
            else:
                sender = (account.name, account.email)
                team = f"Customer Success · {company}"
            to = [(customer.name, customer.email)]
            if plan.stage == "outbound":
                blocks = bodies.outbound_message(
                    rng, thread.outbound, thread.slots, customer_greet=customer.greet,
                    agent=thread.agent, team=team, help_url=help_url)
            else:
                blocks = bodies.agent_message(
                    rng, thread.topic, thread.slots, customer_greet=customer.greet,
                    agent=thread.agent, team=team, help_url=help_url, stage=plan.stage)
            delivery = None
        else:
            client, style = customer.client, thread.customer_style
            offset = customer.country.utc_offset_minutes
            sender = (customer.name, customer.email)
            to = [(account.name, account.email)]
            knows_agent = not account.shared or plan.parent is not None
            blocks = bodies.customer_message(
                rng, thread.topic, thread.slots, customer,
                agent_first=agent_first if knows_agent else None, stage=plan.stage)
            delivery = self._delivery(plan)
        when = plan.sent.astimezone(bodies.tz_of(offset))
        parent = plan.parent
        if parent is not None:
            lines, inner = self.quotes.get(parent.order, ((), ()))
            parent.quoted_by -= 1
            if parent.quoted_by <= 0:
                self.quotes.pop(parent.order, None)
            p_name, p_email = ((customer.name, customer.email) if parent.kind == "customer"
                               else (thread.agent, account.email))
            header = bodies.quote_header(parent.sent.astimezone(bodies.tz_of(offset)), p_name,
                                         p_email, client.quote_style)
            blocks.append(Block("quote", header, lines, inner))
        text = bodies.render_text(blocks)
        if plan.quoted_by:
            self.quotes[plan.order] = (tuple(text.rstrip("\n").split("\n")), tuple(blocks))
        env = Envelope(sender=sender, to=to, cc=cc, subject=plan.subject, date=when,
                       message_id=plan.message_id)
        if parent is not None:
            env.in_reply_to = parent.message_id
            env.references = plan.references
        attachments: list[Entity] = []
        if plan.attachment:
            kind = thread.topic.attachment
            if plan.attachment == "large":
                kind = "pdf" if plan.kind == "agent" else _LARGE_KINDS[kind]
            elif plan.kind == "agent":
                kind = "pdf"
            ref = thread.slots["invoice"] if kind == "pdf" else thread.slots["order"]
            lang = customer.country.code if plan.kind == "customer" else "EN"
            attachments.append(make_attachment(rng, self.pool, kind, plan.attachment_size,
                                               when, ref, lang))
        return render_message(rng, env, blocks, client=client, style=style, html=plan.html,
                              delivery=delivery, attachments=attachments, text=text)


def generate_corpus(
    count: int,
    *,
    seed: int = 1,
    accounts: Sequence[CorpusAccount] = DEFAULT_ACCOUNTS,
    end: datetime = DEFAULT_END,
    days: int = 90,
    profile: CorpusProfile = DEFAULT_PROFILE,
) -> Iterator[CorpusMessage]:
    """Yield exactly `count` messages, oldest first, spread over `days` days ending at `end`.

    The same arguments always give byte-identical messages. Conversations (customer mail
    in INBOX/Archive, agent replies in Sent) make up most of the corpus; auto-replies,
    list mail, spam (Junk) and hostile messages are mixed in at the rates of `profile`.
    """
    if count < 0:
        raise ValueError("count must not be negative")
    if days <= 0:
        raise ValueError("days must be positive")
    if not accounts:
        raise ValueError("at least one account is needed")
    if end.tzinfo is None:
        raise ValueError("end must be timezone-aware")
    rng = random.Random(seed)
    plans = _plan_corpus(rng, count, accounts, end, days, profile)
    return _emit(plans, rng.randbytes(16))


def _emit(plans: list[_Plan], pool_key: bytes) -> Iterator[CorpusMessage]:
    renderer = _Renderer(pool_key)
    for plan in plans:
        yield CorpusMessage(
            account=plan.account.key, folder=plan.folder, raw=renderer.render(plan),
            flags=plan.flags, internal_date=plan.time, message_id=plan.message_id,
        )
