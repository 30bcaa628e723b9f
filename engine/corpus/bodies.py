"""Message text: thread slots, greetings and signatures, body composition, and rendering
to plain text (wrapped, with "> " quotes) and to HTML."""

from __future__ import annotations

import functools
import html
import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from engine.corpus import topics
from engine.corpus.people import Country, Person
from engine.corpus.topics import Topic

_COMMA_DECIMAL = frozenset({"DE", "NL", "FR", "ES", "PL", "DK", "SE", "CZ", "TR", "GR", "RU",
                            "BR", "VN"})


@dataclass(frozen=True, slots=True)
class Block:
    """One piece of a body. kind: p, ul, link, sig, small, quote."""

    kind: str
    text: str = ""
    items: tuple[str, ...] = ()
    inner: tuple[Block, ...] = ()  # a quote's message, for the HTML rendering


def tz_of(offset_minutes: int) -> timezone:
    return timezone(timedelta(minutes=offset_minutes))


def format_amount(rng: random.Random, country: Country) -> str:
    value = rng.randint(19, 4800) + rng.randrange(100) / 100
    text = f"{value:,.2f}"
    if country.code in _COMMA_DECIMAL:
        text = text.replace(",", " ").replace(".", ",")
    return country.currency.format(text)


def make_slots(rng: random.Random, topic: Topic, customer: Person, start: datetime,
               product_host: str) -> dict[str, str]:
    """The facts a thread is about (order numbers, amounts...), fixed for all its mail."""
    local = start.astimezone(tz_of(customer.country.utc_offset_minutes))
    earlier = local - timedelta(days=rng.randint(2, 20))
    feature = rng.choice(topics.FEATURES)
    sample = customer.name if not customer.name.isascii() else "Zoë Müller"
    return {
        "invoice": f"INV-2026-{rng.randint(1000, 99999):05d}",
        "amount": format_amount(rng, customer.country),
        "month": earlier.strftime("%B %Y"),
        "date": f"{earlier.strftime('%B')} {earlier.day}",
        "clock": f"{rng.randint(8, 18)}:{rng.randrange(60):02d}",
        "plan": rng.choice(topics.PLANS),
        "product": rng.choice(topics.PRODUCTS),
        "product_host": product_host,
        "seats": str(rng.choice((3, 5, 8, 12, 15, 25, 40, 60, 120))),
        "po": str(rng.randint(10000, 99999)),
        "order": f"A{rng.randint(100000, 999999)}",
        "tracking": f"1Z{rng.getrandbits(56):014X}",
        "carrier": rng.choice(topics.CARRIERS),
        "days": str(rng.randint(3, 10)),
        "count": str(rng.choice((40, 120, 350, 1200, 4800, 12500, 48000))),
        "error": rng.choice(topics.ERRORS),
        "endpoint": rng.choice(topics.ENDPOINTS),
        "request_id": f"req_{rng.getrandbits(64):016x}",
        "version": f"2.{rng.randint(3, 14)}.{rng.randint(0, 9)}",
        "rate_limit": str(rng.choice((600, 1200, 3000))),
        "feature": feature,
        "feature_cap": feature[0].upper() + feature[1:],
        "use_case": rng.choice(topics.USE_CASES),
        "integration": rng.choice(topics.INTEGRATIONS),
        "browser": rng.choice(topics.BROWSERS),
        "workspace": customer.company.domain.split(".")[0],
        "customer_email": customer.email,
        "street": customer.company.street,
        "city": customer.company.city,
        "card": f"{rng.randint(1000, 9999)}",
        "reason": rng.choice(topics.REASONS),
        "sample_name": sample,
        "company": customer.company.name,
        "ticket": f"#{rng.randint(10000, 99999)}",
        "utc_offset": _offset_text(customer.country.utc_offset_minutes),
    }


def _offset_text(minutes: int) -> str:
    sign = "+" if minutes >= 0 else "-"
    hours, rest = divmod(abs(minutes), 60)
    return f"{sign}{hours}" + (f":{rest:02d}" if rest else "")


def pick_topic(rng: random.Random) -> Topic:
    return rng.choices(topics.TOPICS, _TOPIC_WEIGHTS)[0]


_TOPIC_WEIGHTS = tuple(t.weight for t in topics.TOPICS)


def make_subject(rng: random.Random, topic: Topic, country: Country,
                 slots: dict[str, str]) -> str:
    """A first-message subject, now and then in the customer's own language."""
    local = topic.local_subjects.get(country.code)
    template = rng.choice(local) if local and rng.random() < 0.3 else rng.choice(topic.subjects)
    return template.format_map(slots)


_REPLY_PREFIXES = ("re:", "aw:", "sv:", "vs:", "fw:", "fwd:", "wg:")


def base_subject(subject: str) -> str:
    """The subject without reply/forward prefixes, so a reply adds exactly one."""
    while True:
        head = subject[:5].lower()
        for prefix in _REPLY_PREFIXES:
            if head.startswith(prefix):
                subject = subject[len(prefix):].lstrip()
                break
        else:
            return subject


# --- composition ---------------------------------------------------------------------

_OPEN_GENERIC = ("Hello,", "Hi there,", "Dear Support Team,", "Good morning,", "Hi,",
                 "Hello support team,")
_CUSTOMER_CLOSINGS = (
    "Thanks in advance for your help.", "Looking forward to hearing from you.",
    "Let me know if you need anything else from us.", "Thank you!",
    "I'd appreciate a quick reply, as this is holding up our work.",
    "Many thanks for looking into this.",
)
_SIGNOFFS = ("Best regards,", "Kind regards,", "Thanks,", "Best,", "Regards,",
             "Many thanks,")
_AGENT_OPENERS = (
    "Thanks for reaching out, and sorry for the trouble.",
    "Thank you for getting in touch.",
    "Thanks for your patience while we looked into this.",
    "Thanks for the details, that helps a lot.",
    "Sorry for the slow reply, we have had a busy week.",
)
_AGENT_CLOSINGS = (
    "If anything else comes up, just reply to this email and we'll pick it up.",
    "Let me know if this works for you.",
    "I'll keep this ticket open until you confirm everything is in order.",
    "Please don't hesitate to get back to me if you have further questions.",
)
_AGENT_DONE = (
    "Great to hear that it's sorted. I'll close this ticket now; replying to it reopens it.",
    "Glad this is resolved. Have a good rest of the week!",
    "Thanks for confirming. I've noted this on your account in case it happens again.",
)
_BUMPS = (
    "Any update on this? We still haven't heard back and the problem persists.",
    "Just following up on my message below. Could someone have a look, please?",
    "Sorry to chase, but this is becoming urgent for us. Is there any news?",
)
_THANKS = (
    "That did the trick, thank you very much for your help!",
    "Thanks, everything works as expected now.",
    "Perfect, thank you. You can close the ticket.",
)
_CUSTOMER_CONTEXT = (
    "A bit of background: we are a team of {seats} people at {company} and have been using "
    "{product} on the {plan} plan for a little over two years. Most of the time it just "
    "works, which is why this caught us by surprise.",
    "I am copying the relevant details below so you don't have to look them up. If it is "
    "easier to discuss this on a call, I am available most afternoons this week (my time "
    "zone is UTC{utc_offset}).",
    "We have a board meeting coming up and I need to report on this, so a short written "
    "summary of the cause and what has been done about it would be very helpful.",
    "I searched your help center before writing but could not find anything that matches "
    "our situation. The closest article describes an older version of the settings page.",
)
_AGENT_CONTEXT = (
    "For your reference, this conversation is tracked as ticket {ticket}. Replying to this "
    "email keeps everything in one place, so there is no need to open a new request.",
    "I have also added a note to your account, so that any of my colleagues can pick this "
    "up with the full context if I am not available.",
    "I have shared your report with our product team as well; feedback like yours is what "
    "decides which fixes we prioritise in the next release.",
)
_STEPS_INTRO = ("Here is what I have done / what to do next:", "Next steps:",
                "Could you please do the following:", "To summarise:")
_ITEMS_INTRO = ("Here are the details:", "For reference:", "Some details that might help:",
                "What we know so far:")


def _fill(template: str, slots: dict[str, str]) -> str:
    return template.format_map(slots)


def customer_greeting(rng: random.Random, person: Person, agent_first: str | None) -> str:
    native = person.country.greeting
    if native and rng.random() < 0.35:
        return native if agent_first is None else f"{native[:-1]} {agent_first},"
    if agent_first is not None:
        return rng.choice(("Hi {},", "Hello {},", "Dear {},", "Hi {}!")).format(agent_first)
    return rng.choice(_OPEN_GENERIC)


def customer_signature(rng: random.Random, person: Person) -> list[Block]:
    native = person.country.signoff
    signoff = native if native and rng.random() < 0.5 else rng.choice(_SIGNOFFS)
    company = person.company
    lines: tuple[str, ...] = (signoff, "", person.name, f"{person.title} | {company.name}",
                              company.street, company.city, f"Tel. {person.phone}",
                              f"https://www.{company.domain}")
    if len(company.name) % 3 == 0:
        # Some companies put a marketing line under every employee's signature.
        lines += ("", f"Visit us at booth {len(company.domain) * 7} at the Retail Tech Expo "
                      f"- https://www.{company.domain}/events")
    blocks = [Block("sig", items=lines)]
    if company.disclaimer:
        blocks.append(Block("small", company.disclaimer))
    return blocks


def agent_signature(rng: random.Random, agent: str, team: str, help_url: str) -> list[Block]:
    lines = (rng.choice(("Best regards,", "Kind regards,", "Cheers,", "All the best,")), "",
             agent, team, help_url)
    site = help_url.replace("https://help.", "https://", 1)
    footer = (f"Our support hours are Monday to Friday, 8:00-20:00 CET. Status of our "
              f"services: {help_url}/status. How we handle your data: {site}/privacy. "
              "Please keep the ticket number in the subject when you reply.")
    return [Block("sig", items=lines), Block("small", footer)]


def customer_message(
    rng: random.Random, topic: Topic, slots: dict[str, str], person: Person, *,
    agent_first: str | None, stage: str,
) -> list[Block]:
    """A customer's blocks. stage: "first", "bump" (no answer yet), "followup" (still a
    problem after an answer) or "thanks" (resolved)."""
    blocks = [Block("p", customer_greeting(rng, person, agent_first))]
    if stage == "first":
        blocks.append(Block("p", _fill(rng.choice(topic.openings), slots)))
        details = rng.sample(topic.details, k=min(len(topic.details), rng.randint(2, 3)))
        blocks.extend(Block("p", _fill(d, slots)) for d in details)
        context = rng.sample(_CUSTOMER_CONTEXT, k=rng.choice((0, 1, 1, 2)))
        blocks.extend(Block("p", _fill(c, slots)) for c in context)
        if rng.random() < 0.8:
            items = rng.sample(topic.items, k=min(len(topic.items), rng.randint(3, 5)))
            blocks.append(Block("p", rng.choice(_ITEMS_INTRO)))
            blocks.append(Block("ul", items=tuple(_fill(i, slots) for i in items)))
        blocks.append(Block("p", rng.choice(_CUSTOMER_CLOSINGS)))
    elif stage == "bump":
        blocks.append(Block("p", rng.choice(_BUMPS)))
    elif stage == "followup":
        blocks.append(Block("p", _fill(rng.choice(topic.followups), slots)))
        if rng.random() < 0.5:
            blocks.append(Block("p", _fill(rng.choice(topic.details), slots)))
    else:
        blocks.append(Block("p", rng.choice(_THANKS)))
    blocks.extend(customer_signature(rng, person))
    return blocks


def agent_message(
    rng: random.Random, topic: Topic, slots: dict[str, str], *, customer_greet: str,
    agent: str, team: str, help_url: str, stage: str,
) -> list[Block]:
    """An agent's blocks. stage: "answer" (to a question) or "done" (after thanks)."""
    blocks = [Block("p", rng.choice(("Hi {},", "Hello {},", "Dear {},")).format(customer_greet))]
    if stage == "done":
        blocks.append(Block("p", rng.choice(_AGENT_DONE)))
    else:
        blocks.append(Block("p", rng.choice(_AGENT_OPENERS)))
        answers = rng.sample(topic.answers, k=min(len(topic.answers), rng.randint(2, 3)))
        blocks.extend(Block("p", _fill(a, slots)) for a in answers)
        context = rng.sample(_AGENT_CONTEXT, k=rng.choice((0, 1, 1, 2)))
        blocks.extend(Block("p", _fill(c, slots)) for c in context)
        if rng.random() < 0.6:
            steps = rng.sample(topic.steps, k=min(len(topic.steps), rng.randint(2, 4)))
            blocks.append(Block("p", rng.choice(_STEPS_INTRO)))
            blocks.append(Block("ul", items=tuple(_fill(s, slots) for s in steps)))
        if rng.random() < 0.5:
            blocks.append(link_block(f"Help article: {topic.key.replace('_', ' ')}",
                                     f"{help_url}/articles/{topic.key}-{rng.randint(100, 999)}"))
        blocks.append(Block("p", rng.choice(_AGENT_CLOSINGS)))
    blocks.extend(agent_signature(rng, agent, team, help_url))
    if rng.random() < 0.7:
        # Helpdesks append a satisfaction survey to every answer.
        token = f"{rng.getrandbits(64):016x}"
        blocks.append(Block("p", "How would you rate this reply? Good, okay or bad - one "
                                 "click is enough and helps us improve."))
        blocks.append(link_block("Rate this reply", f"{help_url}/csat/{token}"))
    return blocks


def outbound_subject(template: int, slots: dict[str, str]) -> str:
    return _fill(topics.OUTBOUND[template][0], slots)


def outbound_message(
    rng: random.Random, template: int, slots: dict[str, str], *, customer_greet: str,
    agent: str, team: str, help_url: str,
) -> list[Block]:
    """An agent-initiated first message (template: an index into topics.OUTBOUND)."""
    blocks = [Block("p", f"Hi {customer_greet},"),
              Block("p", _fill(topics.OUTBOUND[template][1], slots)),
              Block("p", rng.choice(_AGENT_CLOSINGS))]
    blocks.extend(agent_signature(rng, agent, team, help_url))
    return blocks


# --- rendering -------------------------------------------------------------------------


def wrap(text: str, width: int = 72, indent: str = "") -> list[str]:
    """Greedy wrap at spaces; textwrap is too slow for hundreds of thousands of paragraphs.

    Works line by line with rfind rather than word by word, since paragraphs are
    single-spaced template text.
    """
    lines: list[str] = []
    while len(text) > width:
        cut = text.rfind(" ", len(indent) + 1, width + 1)
        if cut < 0:
            cut = text.find(" ", width)
            if cut < 0:
                break
        lines.append(text[:cut])
        text = indent + text[cut + 1:]
    lines.append(text)
    return lines


def quote_header(when: datetime, name: str, email: str, style: str) -> str:
    """The attribution line above a quote, in the replying client's date style."""
    if style == "gmail":
        hour = when.hour % 12 or 12
        ampm = "AM" if when.hour < 12 else "PM"
        date = f"{when:%a}, {when:%b} {when.day}, {when.year} at {hour}:{when:%M} {ampm}"
    elif style == "apple":
        date = f"{when.day} {when:%b} {when.year}, at {when:%H:%M}"
    elif style == "thunderbird":
        date = f"{when:%d/%m/%Y %H:%M}"
    else:
        date = f"{when:%A}, {when:%B} {when.day}, {when.year} {when:%H:%M}"
    return f"On {date}, {name} <{email}> wrote:"


def render_text(blocks: Sequence[Block]) -> str:
    """Plain text with LF line ends and a final newline."""
    out: list[str] = []
    for block in blocks:
        if block.kind in ("p", "small"):
            out.extend(wrap(block.text))
        elif block.kind == "ul":
            for item in block.items:
                out.extend(wrap("- " + item, indent="  "))
        elif block.kind == "link":
            out.append(f"{block.text}:")
            out.append(block.items[0])
        elif block.kind == "sig":
            out.extend(block.items)
        elif block.kind == "quote":
            out.append(block.text)
            if block.items:
                # Blank lines quote as ">" rather than "> ", as mailers do.
                out.append(("> " + "\n> ".join(block.items)).replace("> \n", ">\n"))
        out.append("")
    return "\n".join(out).rstrip("\n") + "\n"


def link_block(label: str, url: str) -> Block:
    return Block("link", label, (url,))


_HTML_HEAD = {
    "outlook": (
        '<html xmlns:o="urn:schemas-microsoft-com:office:office">\n<head>\n'
        '<meta http-equiv="Content-Type" content="text/html; charset={charset}">\n'
        '<meta name="Generator" content="Microsoft Word 15 (filtered medium)">\n'
        "<style><!--\n@font-face {{font-family:Aptos;}}\n"
        "p.MsoNormal, li.MsoNormal, div.MsoNormal {{margin:0cm;font-size:11.0pt;"
        "font-family:\"Aptos\",sans-serif;}}\n"
        "a:link, span.MsoHyperlink {{color:#467886;text-decoration:underline;}}\n"
        "@page WordSection1 {{size:612.0pt 792.0pt;margin:72.0pt 72.0pt 72.0pt 72.0pt;}}\n"
        "div.WordSection1 {{page:WordSection1;}}\n--></style>\n</head>\n"
        '<body lang="EN-US" link="#467886" vlink="#96607D">\n<div class="WordSection1">\n'
    ),
    "default": (
        '<html>\n<head>\n<meta http-equiv="Content-Type" content="text/html; '
        'charset={charset}">\n</head>\n<body>\n<div dir="ltr">\n'
    ),
}


@dataclass(frozen=True, slots=True)
class _HtmlStyle:
    p_open: str
    p_close: str
    li_open: str
    li_close: str


# Mailers inline their styles on every element; that is where much of an HTML part's
# weight comes from, so the corpus does it too.
_OUTLOOK_HTML = _HtmlStyle(
    '<p class="MsoNormal"><span style="font-size:11.0pt;font-family:&quot;Aptos&quot;,'
    'sans-serif;mso-fareast-language:EN-US">',
    "</span></p>",
    '<li class="MsoListParagraph" style="margin-left:0cm;mso-list:l0 level1 lfo1">'
    '<span style="font-size:11.0pt">',
    "</span></li>",
)
_DEFAULT_HTML = _HtmlStyle(
    '<p style="margin:0 0 12px 0;font-family:Arial,Helvetica,sans-serif;font-size:14px;'
    'line-height:1.4;color:#222222">',
    "</p>",
    '<li style="margin-left:15px;font-family:Arial,Helvetica,sans-serif">',
    "</li>",
)


# Quoted messages are re-rendered at every level of a thread, so the same strings are
# escaped over and over.
_escape = functools.lru_cache(maxsize=1 << 16)(html.escape)


def _html_blocks(blocks: Sequence[Block], st: _HtmlStyle, out: list[str]) -> None:
    esc = _escape
    for block in blocks:
        if block.kind == "p":
            out.append(f"{st.p_open}{esc(block.text)}{st.p_close}\n")
        elif block.kind == "small":
            out.append(f'<p style="font-size:8pt;color:#777777">{esc(block.text)}</p>\n')
        elif block.kind == "ul":
            out.append("<ul>\n")
            out.extend(f"{st.li_open}{esc(item)}{st.li_close}\n" for item in block.items)
            out.append("</ul>\n")
        elif block.kind == "link":
            url = block.items[0]
            out.append(f'{st.p_open}<a href="{esc(url)}">{esc(block.text)}</a>{st.p_close}\n')
        elif block.kind == "sig":
            lines = []
            for line in block.items:
                if line.startswith("https://"):
                    label = line.removeprefix("https://")
                    lines.append(f'<a href="{esc(line)}">{esc(label)}</a>')
                else:
                    lines.append(esc(line))
            joined = "<br>\n".join(lines)
            out.append(f'<div class="signature">{joined}</div>\n')
        elif block.kind == "quote":
            out.append(f'<div class="quote-attribution">{esc(block.text)}</div>\n'
                       '<blockquote type="cite" style="margin:0 0 0 .8ex;'
                       'border-left:1px solid #ccc;padding-left:1ex">\n')
            if block.inner:
                _html_blocks(block.inner, st, out)
            else:
                out.append(esc("\n".join(block.items)).replace("\n", "<br>\n"))
                out.append("\n")
            out.append("</blockquote>\n")


def render_html(blocks: Sequence[Block], *, style: str, charset: str) -> str:
    """An HTML rendering of the same blocks: paragraphs, lists, links, and the quoted
    message as a nested blockquote, as HTML mailers quote."""
    outlook = style == "outlook"
    out = [_HTML_HEAD["outlook" if outlook else "default"].format(charset=charset)]
    _html_blocks(blocks, _OUTLOOK_HTML if outlook else _DEFAULT_HTML, out)
    out.append("</div>\n</body>\n</html>\n")
    return "".join(out)
