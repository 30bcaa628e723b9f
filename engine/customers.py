"""Customers: finding, adding, pairing addresses, the sender card and the timeline.

Customers are the team's records: every active agent may find, read, add and pair them.
Mail is not: a customer's timeline and a sender card only ever show messages of the
accounts the acting agent may see (engine.access).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from engine.access import require_act, visible_accounts
from engine.errors import ConflictError, InvalidInputError, NotFoundError, UnknownAgentError
from engine.names import domain_of, person_name
from engine.sanitize import sanitize, sanitize_line
from storage import Db, Store, agents, audit, messages
from storage import cases as cases_sql
from storage import customers as customers_sql

if TYPE_CHECKING:
    from engine.models import Agent, Customer, SenderCard, Timeline

MAX_ADDRESS_CHARS = 254  # RFC 5321's limit on a forward path, less its brackets
_NOT_IN_ADDRESS = frozenset('<>()[],;:"\\')


def address_problem(address: str) -> str | None:
    """Why `address` (already stripped) cannot be a customer's address; None when it can."""
    if not address:
        return "no address given"
    if len(address) > MAX_ADDRESS_CHARS:
        return f"address longer than {MAX_ADDRESS_CHARS} characters"
    if any(ch.isspace() or not ch.isprintable() or ch in _NOT_IN_ADDRESS for ch in address):
        return f"{_shown(address)} is not an email address"
    local, at, domain = address.partition("@")
    if not at or not local or not domain or "@" in domain:
        return f"{_shown(address)} is not an email address"
    if domain.startswith(".") or domain.endswith(".") or ".." in domain:
        return f"{_shown(address)} has no valid domain"
    return None


def normalise_address(address: str) -> str:
    """The address as customers store it (stripped, lower-cased); InvalidInputError when
    it is not a plain address."""
    cleaned = address.strip()
    problem = address_problem(cleaned)
    if problem is not None:
        raise InvalidInputError(f"{problem}; give an address like name@example.com")
    return cleaned.lower()


def _shown(text: str, limit: int = 80) -> str:
    """Untrusted text for a one-line message: quoted, escaped, bounded."""
    return repr(text if len(text) <= limit else text[:limit] + "...")


async def _acting(store: Store, agent: Agent) -> Agent:
    """The agent as the store holds it now: a deactivated agent is refused at once."""
    current = await agents.by_id(store.reader, agent.id)
    if current is None or not current.active:
        raise UnknownAgentError(f"agent {agent.name!r} is deactivated; ask an admin")
    return current


async def sender_of(store: Store, agent: Agent, message_id: int) -> SenderCard:
    """Who sent a message the agent can see, and the customer the address belongs to."""
    from engine.models import SenderCard

    visible = await visible_accounts(store, agent.id)
    head = await messages.headers(store.reader, message_id=message_id, account_ids=visible)
    if head is None:
        raise NotFoundError(f"message {message_id} not found")
    address = head.from_addr.strip()
    address = "" if address_problem(address) else address.lower()
    customer = await customers_sql.by_address(store.reader, address) if address else None
    return SenderCard(
        message_id=head.id,
        account_id=head.account_id,
        name=person_name(head.from_name, address),
        address=address,
        domain=domain_of(address),
        customer=customer,
    )


async def pair_sender(
    store: Store, agent: Agent, message_id: int, customer_id: int, *, move: bool
) -> Customer:
    """Give the sender of a message to a customer, as pair does; the message's account
    must be one the agent may act on."""
    card = await sender_of(store, agent, message_id)
    await require_act(store, agent.id, card.account_id,
                      missing=f"message {message_id} not found")
    return await pair(store, agent, card.address, customer_id, move=move)


async def find(store: Store, agent: Agent, query: str, *, limit: int) -> list[Customer]:
    """Customers matching `query` by name, company or address, best first (see rank);
    every customer by name when the query is blank."""
    await _acting(store, agent)
    if limit <= 0:
        return []
    everyone = await customers_sql.all_with_addresses(store.reader)
    wanted = " ".join(query.split()).casefold()
    if not wanted:
        return sorted(everyone, key=lambda c: (c.name.casefold(), c.id))[:limit]
    scored = []
    for customer in everyone:
        score = rank(wanted, customer)
        if score is not None:
            scored.append((score, customer.name.casefold(), customer.id, customer))
    scored.sort(key=lambda item: item[:3])
    return [item[3] for item in scored[:limit]]


Score = tuple[int, int, int]


def rank(query: str, customer: Customer) -> Score | None:
    """How well a casefolded, non-blank query matches a customer (lower is better): its
    best field among name, company and addresses; None when no field matches."""
    scores = [s for s in (match_score(query, text) for text in
                          (customer.name, customer.company, *customer.addresses))
              if s is not None]
    return min(scores, default=None)


def match_score(query: str, text: str) -> Score | None:
    """Whether the query's characters appear in order in `text`, ignoring case, and how
    well: exact, then prefix, then substring (earlier first), then scattered (shorter
    span first); shorter texts break ties. None when they do not appear."""
    field = text.casefold()
    if not field:
        return None
    if field == query:
        return (0, 0, len(field))
    at = field.find(query)
    if at == 0:
        return (1, 0, len(field))
    if at > 0:
        return (2, at, len(field))
    span = shortest_span("".join(query.split()), field)
    return None if span is None else (3, span, len(field))


def shortest_span(query: str, text: str) -> int | None:
    """The length of the shortest stretch of `text` holding `query`'s characters in
    order; None when there is none."""
    if not query:
        return None
    best: int | None = None
    start = text.find(query[0])
    while start != -1:
        end = start
        for ch in query[1:]:
            end = text.find(ch, end + 1)
            if end == -1:
                return best
        # Walk back from the end to the latest start that still holds the query.
        first = end
        for ch in reversed(query[:-1]):
            first = text.rfind(ch, start, first)
        span = end - first + 1
        best = span if best is None else min(best, span)
        start = text.find(query[0], first + 1)
    return best


async def get(store: Store, agent: Agent, customer_id: int) -> Customer:
    """One customer with its addresses."""
    await _acting(store, agent)
    customer = await customers_sql.by_id(store.reader, customer_id)
    if customer is None:
        raise _no_customer(customer_id)
    return customer


async def add(
    store: Store, agent: Agent, *, name: str, company: str, addresses: Sequence[str],
    notes: str, move: bool,
) -> Customer:
    """Create a customer owning `addresses`. An address paired to another customer raises
    ConflictError and nothing is created, unless `move` takes it from that customer."""
    current = await _acting(store, agent)
    # Customer records are shown in every agent's terminal: clean them as mail is cleaned.
    clean_name = sanitize_line(name)
    if not clean_name:
        raise InvalidInputError("a customer needs a name; give one")
    clean_company = sanitize_line(company)
    wanted = list(dict.fromkeys(normalise_address(a) for a in addresses))
    async with store.transaction() as db:
        owned = await customers_sql.owners(db, wanted)
        if owned and not move:
            address = next(a for a in wanted if a in owned)
            raise await _conflict(db, address, owned[address], "the new customer")
        customer_id = await customers_sql.insert(
            db, name=clean_name, company=clean_company,
            addresses=[a for a in wanted if a not in owned], created_by=current.id,
            notes=sanitize(notes).strip(),
        )
        await audit.record(
            db, agent_id=current.id, action="customer.add", target_kind="customer",
            target_id=customer_id,
            detail={"name": clean_name, "company": clean_company, "addresses": wanted},
        )
        for address in (a for a in wanted if a in owned):
            await _move(db, current, address, owned[address], customer_id)
        created = await customers_sql.by_id(db, customer_id)
    assert created is not None  # made in this transaction
    return created


async def pair(
    store: Store, agent: Agent, address: str, customer_id: int, *, move: bool
) -> Customer:
    """Give `address` to a customer: its mail, past and future, is that customer's.
    Already that customer's: nothing changes. Another customer's: ConflictError, unless
    `move` takes it from that customer."""
    current = await _acting(store, agent)
    wanted = normalise_address(address)
    async with store.transaction() as db:
        target = await customers_sql.by_id(db, customer_id)
        if target is None:
            raise _no_customer(customer_id)
        owner = (await customers_sql.owners(db, [wanted])).get(wanted)
        if owner == customer_id:
            return target
        if owner is not None and not move:
            raise await _conflict(db, wanted, owner, f"customer {customer_id}")
        if owner is not None:
            await _move(db, current, wanted, owner, customer_id)
        else:
            await customers_sql.add_addresses(db, customer_id, [wanted])
            await audit.record(
                db, agent_id=current.id, action="customer.pair", target_kind="customer",
                target_id=customer_id, detail={"address": wanted},
            )
        paired = await customers_sql.by_id(db, customer_id)
    assert paired is not None  # read in this transaction
    return paired


async def _move(db: Db, agent: Agent, address: str, from_id: int, to_id: int) -> None:
    previous = await customers_sql.by_id(db, from_id)
    await customers_sql.move_address(db, address, to_id)
    await audit.record(
        db, agent_id=agent.id, action="customer.move_address", target_kind="customer",
        target_id=to_id,
        detail={"address": address, "from_customer_id": from_id,
                "from_customer": previous.name if previous else ""},
    )


async def _conflict(db: Db, address: str, owner_id: int, destination: str) -> ConflictError:
    owner = await customers_sql.by_id(db, owner_id)
    name = owner.name if owner else ""
    return ConflictError(
        f"{address} is already paired to customer {owner_id} ({name}); to move it to "
        f"{destination} pass --move (move=True), otherwise nothing is changed"
    )


def _no_customer(customer_id: int) -> NotFoundError:
    return NotFoundError(f"customer {customer_id} not found; see `frontdesk customer list`")


async def timeline(
    store: Store, agent: Agent, customer_id: int, *, offset: int, limit: int
) -> Timeline:
    """Every message to or from the customer in the accounts the agent may see, newest
    first (one page of it, with the total), with the cases and leads the agent may see."""
    from engine.models import Timeline

    current = await _acting(store, agent)
    customer = await customers_sql.by_id(store.reader, customer_id)
    if customer is None:
        raise _no_customer(customer_id)
    visible = await visible_accounts(store, current.id)
    page = await customers_sql.timeline_page(
        store.reader, customer_id=customer_id, account_ids=visible,
        offset=max(0, offset), limit=max(0, limit),
    )
    total = await customers_sql.timeline_count(
        store.reader, customer_id=customer_id, account_ids=visible
    )
    cases = await cases_sql.list_visible(
        store.reader, agent_id=current.id, account_ids=visible, customer_id=customer_id
    )
    leads = await customers_sql.leads_of(
        store.reader, customer_id=customer_id, account_ids=visible, agent_id=current.id
    )
    return Timeline(customer=customer, messages=tuple(page), total=total,
                    cases=tuple(cases), leads=tuple(leads))
