"""Mail that is not a conversation: out-of-office replies, newsletters and list traffic,
and spam. Each builder returns the sender, subject, extra headers and body blocks."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from engine.corpus.bodies import Block, link_block
from engine.corpus.people import Person


@dataclass(frozen=True, slots=True)
class BulkMail:
    sender: tuple[str, str]
    subject: str
    extra: list[tuple[str, str]]
    blocks: list[Block]
    html: bool


_OOO_SUBJECTS = {
    "DE": ("Abwesenheitsnotiz: {}", "Automatische Antwort: {}"),
    "FR": ("Réponse automatique : {}", "Absence du bureau : {}"),
    "SE": ("Autosvar: {}",),
    "DK": ("Autosvar: {}",),
    "NL": ("Automatisch antwoord: {}",),
    "ES": ("Respuesta automática: {}",),
}
_OOO_GENERIC = ("Automatic reply: {}", "Out of Office: {}", "Out of office", "Auto: {}")


def auto_reply(rng: random.Random, person: Person, colleague: Person, subject: str,
               when: datetime) -> BulkMail:
    """An out-of-office answer from `person` to a message with `subject`."""
    back = when + timedelta(days=rng.randint(2, 16))
    templates = _OOO_SUBJECTS.get(person.country.code, ()) + _OOO_GENERIC
    subject_out = rng.choice(templates).format(subject)
    date = f"{back:%A}, {back:%B} {back.day}"
    if person.country.code == "DE" and rng.random() < 0.6:
        text = (f"Vielen Dank für Ihre Nachricht. Ich bin bis einschließlich {back:%d.%m.%Y} "
                "nicht im Büro und habe nur eingeschränkt Zugriff auf meine E-Mails. In "
                f"dringenden Fällen wenden Sie sich bitte an {colleague.name} "
                f"({colleague.email}).")
    else:
        text = (f"Thank you for your email. I am out of the office until {date} with limited "
                "access to email. Your message will not be forwarded. For urgent matters, "
                f"please contact {colleague.name} at {colleague.email}.")
    extra = [("Auto-Submitted", "auto-replied"), ("X-Autoreply", "yes"),
             ("X-Auto-Response-Suppress", "All")]
    if rng.random() < 0.5:
        extra.append(("Precedence", "auto_reply"))
    blocks = [Block("p", text), Block("sig", items=("Best regards,", person.name,
                                                    person.company.name,
                                                    f"https://www.{person.company.domain}"))]
    return BulkMail((person.name, person.email), subject_out, extra, blocks,
                    rng.random() < 0.3)


@dataclass(frozen=True, slots=True)
class _ListSource:
    name: str
    address: str
    list_id: str
    precedence: str
    subjects: tuple[str, ...]
    paragraphs: tuple[str, ...]
    discussion: bool = False


_LISTS: tuple[_ListSource, ...] = (
    _ListSource(
        "StatusHub", "noreply@statushub.example", "Status updates <status.statushub.example>",
        "bulk",
        ("[StatusHub] Resolved: Elevated API error rates in EU region",
         "[StatusHub] Scheduled maintenance: database upgrade on {date}",
         "[StatusHub] Investigating: delayed webhook deliveries"),
        ("Between 09:12 and 09:47 UTC a subset of API requests in the EU region returned "
         "errors. The issue was caused by a configuration change and has been rolled back.",
         "We will continue to monitor the platform and publish a full incident report "
         "within five business days."),
    ),
    _ListSource(
        "The Support Leader Weekly", "newsletter@supportleader.example",
        "Support Leader Weekly <weekly.supportleader.example>", "bulk",
        ("5 ways to cut first response time (issue #{n})",
         "The Support Leader Weekly #{n}: shared inboxes done right",
         "Issue #{n}: what we learned from 10,000 CSAT surveys"),
        ("This week we look at how small support teams use shared inboxes without stepping "
         "on each other's toes: collision detection, clear ownership and honest SLAs.",
         "Plus: a template for weekly support reports that your leadership will actually "
         "read, and three tools our readers recommended.",
         "Reader question: how do you handle customers who reply to old, closed tickets "
         "with a completely new problem?"),
    ),
    _ListSource(
        "helpdesk-users", "helpdesk-users@lists.opensource.example",
        "Helpdesk users discussion <helpdesk-users.lists.opensource.example>", "list",
        ("[helpdesk-users] IMAP IDLE and shared folders",
         "[helpdesk-users] Best practice for tagging escalations?",
         "[helpdesk-users] Announcing release 4.{n}"),
        ("Has anyone managed to get IDLE notifications for shared folders working reliably? "
         "We see updates for the personal INBOX immediately but shared ones only on the "
         "next poll.",
         "We tag escalations with a prefix and a colour, and a nightly job reports "
         "everything older than 48 hours. Works well for a team of eight."),
        discussion=True,
    ),
    _ListSource(
        "Cloudy Billing", "news@cloudy-billing.example",
        "Cloudy product news <product-news.cloudy-billing.example>", "bulk",
        ("What's new in Cloudy Billing – {month}", "Your {month} product update",
         "New: automatic dunning emails"),
        ("Automatic dunning is here: overdue invoices now get polite reminders on a "
         "schedule you choose, in your customer's language.",
         "We also improved the invoice PDF layout and added support for e-invoicing "
         "formats required in several EU countries from 2026."),
    ),
)


def list_domain(source: int) -> str:
    return _LISTS[source % len(_LISTS)].address.rsplit("@", 1)[1]


def spam_domain(source: int) -> str:
    return _SPAM[source % len(_SPAM)][1].rsplit("@", 1)[1]


def list_mail(rng: random.Random, when: datetime, source_index: int) -> BulkMail:
    """A newsletter or mailing-list message with List-* headers."""
    source = _LISTS[source_index % len(_LISTS)]
    fill = {"date": f"{when:%B} {when.day}", "n": str(rng.randint(120, 240)),
            "month": f"{when:%B %Y}"}
    subject = rng.choice(source.subjects).format_map(fill)
    token = f"{rng.getrandbits(96):024x}"
    domain = source.address.rsplit("@", 1)[1]
    extra = [
        ("List-Id", source.list_id),
        ("List-Unsubscribe",
         f"<https://{domain}/unsubscribe/{token}>,{' '}<mailto:unsubscribe+{token}@{domain}>"),
        ("List-Unsubscribe-Post", "List-Unsubscribe=One-Click"),
        ("Precedence", source.precedence),
    ]
    if source.discussion:
        extra.append(("List-Post", f"<mailto:{source.address}>"))
        extra.append(("List-Archive", f"<https://{domain}/archive/>"))
    blocks = [Block("p", p) for p in source.paragraphs]
    blocks.append(Block("ul", items=("Read the full story on our blog",
                                     "Manage your email preferences",
                                     "Forward this to a colleague")))
    blocks.append(link_block("Read online", f"https://{domain}/issues/{token[:10]}"))
    blocks.append(Block("small", "You receive this email because you subscribed at "
                                 f"{domain}. Unsubscribe: https://{domain}/unsubscribe/{token}"))
    return BulkMail((source.name, source.address), subject, extra, blocks,
                    not source.discussion and rng.random() < 0.9)


_SPAM = (
    ("Mailbox Administrator", "security-alert@micros0ft-verify.example",
     "Your mailbox is almost full – verify your account now",
     "Your mailbox has reached 99% of its quota. To avoid losing incoming messages, "
     "verify your account within 24 hours using the secure link below."),
    ("DHL Express", "delivery@dhl-parcel-track.example", "Parcel on hold: customs fee unpaid",
     "Your parcel could not be delivered because a customs fee of 1,99 EUR is unpaid. "
     "Please pay the fee within 48 hours or the parcel will be returned to the sender."),
    ("Dr. Mary Johnson", "mary.j@inheritance-claims.example", "URGENT BUSINESS PROPOSAL",
     "I am contacting you regarding an unclaimed inheritance of USD 12,500,000 left by a "
     "client who shares your surname. I need your cooperation to transfer the funds."),
    ("Crypto Profits", "win@fastcoin.example", "Make 5000€ per week from home!!!",
     "Our automated trading robot earned its users over 5000€ per week. Places are limited, "
     "register today and receive a 200€ bonus."),
    ("SEO Expert", "rank1@seo-boost.example", "Get acme.example to #1 on Google",
     "I noticed your website is not ranking for important keywords. We can bring you to "
     "the first page of Google within 30 days, guaranteed."),
)


def spam(rng: random.Random, source_index: int) -> BulkMail:
    """Spam or phishing, with the headers a filter adds before filing it as Junk."""
    name, sender, subject, text = _SPAM[source_index % len(_SPAM)]
    score = rng.randint(62, 190) / 10
    domain = sender.rsplit("@", 1)[1]
    extra = [
        ("X-Spam-Flag", "YES"),
        ("X-Spam-Level", "*" * min(int(score), 20)),
        ("X-Spam-Status", f"Yes, score={score:.1f} required=5.0{' '}tests=BAYES_99,"
                          "HTML_MESSAGE,RCVD_IN_SBL,URIBL_BLACK"),
    ]
    blocks = [Block("p", "Dear customer,"), Block("p", text),
              link_block("Click here", f"https://{domain}/{rng.getrandbits(40):010x}"),
              Block("sig", items=("Best regards,", name))]
    return BulkMail((name, sender), subject, extra, blocks, rng.random() < 0.7)
