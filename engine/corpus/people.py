"""Who writes the mail: customers by country (names, companies, time zones), the mail
clients they use, and the agents answering on shared mailboxes."""

from __future__ import annotations

import random
from dataclasses import dataclass

Name = tuple[str, str]  # (as written, ASCII form used in addresses)


@dataclass(frozen=True, slots=True)
class Company:
    name: str
    domain: str
    street: str
    city: str
    disclaimer: str | None = None


@dataclass(frozen=True, slots=True)
class Country:
    code: str
    weight: int
    utc_offset_minutes: int
    first_names: tuple[Name, ...]
    last_names: tuple[Name, ...]
    companies: tuple[Company, ...]
    phone_prefix: str
    currency: str  # a format string for amounts, e.g. "€{}" or "{} zł"
    family_first: bool = False
    joiner: str = " "
    greeting: str | None = None
    signoff: str | None = None


@dataclass(frozen=True, slots=True)
class MailClient:
    """How a sender's software shapes mail, so the corpus varies the way real mail does."""

    key: str
    header: tuple[str, str] | None
    reply_prefix: str
    quote_style: str  # "gmail", "apple", "thunderbird", "outlook"
    text_cte: str  # transfer encoding for non-ASCII text
    legacy_charset: str | None  # used for text that fits in it, as old clients still do
    boundary_style: str


@dataclass(frozen=True, slots=True)
class Person:
    name: str
    email: str
    greet: str  # how others address them in a greeting
    title: str
    company: Company
    country: Country
    client: MailClient
    phone: str

    @property
    def domain(self) -> str:
        return self.email.rsplit("@", 1)[1]


CLIENTS: tuple[MailClient, ...] = (
    MailClient("gmail", None, "Re: ", "gmail", "quoted-printable", None, "gmail"),
    MailClient("gmail-b64", None, "Re: ", "gmail", "base64", None, "gmail"),
    MailClient(
        "outlook", ("X-Mailer", "Microsoft Outlook 16.0"), "RE: ", "outlook",
        "quoted-printable", "windows-1252", "outlook",
    ),
    MailClient(
        "apple", ("X-Mailer", "Apple Mail (2.3826.200.121)"), "Re: ", "apple",
        "quoted-printable", None, "apple",
    ),
    MailClient(
        "thunderbird",
        ("User-Agent", "Mozilla Thunderbird 128.4.2"),
        "Re: ", "thunderbird", "8bit", "iso-8859-1", "thunderbird",
    ),
    MailClient(
        "roundcube", ("User-Agent", "Roundcube Webmail/1.6.9"), "Re: ", "thunderbird",
        "quoted-printable", None, "roundcube",
    ),
    MailClient(
        "iphone", ("X-Mailer", "iPhone Mail (22B83)"), "Re: ", "apple", "base64", None,
        "apple",
    ),
    MailClient(
        "outlook-de", ("X-Mailer", "Microsoft Outlook 16.0"), "AW: ", "outlook",
        "quoted-printable", "windows-1252", "outlook",
    ),
)
_CLIENT_WEIGHTS = (26, 8, 24, 14, 10, 6, 8, 0)
_OUTLOOK_DE = CLIENTS[-1]

TITLES: tuple[str, ...] = (
    "Finance Manager", "Head of Operations", "IT Administrator", "Office Manager", "CTO",
    "Customer Success Lead", "Purchasing", "Senior Developer", "Project Manager",
    "Accounts Payable", "Operations Coordinator", "Founder", "Data Analyst",
    "Head of E-Commerce",
)

_DISCLAIMER_EN = (
    "This e-mail and any attachments are confidential and intended solely for the "
    "addressee. If you have received it in error, please notify the sender and delete it. "
    "Any unauthorised use, disclosure or copying is prohibited."
)
_DISCLAIMER_DE = (
    "Diese E-Mail enthält vertrauliche Informationen. Wenn Sie nicht der richtige "
    "Adressat sind, informieren Sie bitte sofort den Absender und vernichten Sie diese "
    "E-Mail. Geschäftsführer: Jörg Weiß · Amtsgericht München HRB 214 587 · "
    "USt-IdNr. DE 298 114 552"
)


def _c(name: str, domain: str, street: str, city: str, disclaimer: str | None = None) -> Company:
    return Company(name, domain, street, city, disclaimer)


COUNTRIES: tuple[Country, ...] = (
    Country(
        "US", 20, -300,
        (("Emily", "emily"), ("Michael", "michael"), ("Sarah", "sarah"), ("David", "david"),
         ("Jessica", "jessica"), ("Chris", "chris"), ("Ashley", "ashley"),
         ("Brandon", "brandon"), ("Megan", "megan"), ("Tyler", "tyler")),
        (("Johnson", "johnson"), ("Smith", "smith"), ("Williams", "williams"),
         ("Brown", "brown"), ("Miller", "miller"), ("Davis", "davis"), ("Garcia", "garcia"),
         ("Wilson", "wilson"), ("Taylor", "taylor"), ("Anderson", "anderson")),
        (_c("Brightline Logistics", "brightline.example", "410 Harbor Blvd, Suite 200",
            "Oakland, CA 94607", _DISCLAIMER_EN),
         _c("Northwind Outfitters", "northwind-outfitters.example", "88 Pine Street",
            "Portland, ME 04101", _DISCLAIMER_EN),
         _c("Copperleaf Dental Group", "copperleaf.example", "1200 Elm Ave",
            "Austin, TX 78701", _DISCLAIMER_EN),
         _c("Summit Ridge Realty", "summitridge.example", "7 Canyon Rd", "Boulder, CO 80302")),
        "+1", "${}",
    ),
    Country(
        "GB", 10, 0,
        (("Oliver", "oliver"), ("Charlotte", "charlotte"), ("Harry", "harry"),
         ("Amelia", "amelia"), ("George", "george"), ("Olivia", "olivia")),
        (("Clarke", "clarke"), ("Hughes", "hughes"), ("Bennett", "bennett"),
         ("Walker", "walker"), ("Wright", "wright"), ("Thompson", "thompson")),
        (_c("Hartley & Finch Ltd", "hartleyfinch.example", "14 Wharf Lane", "Bristol BS1 4RN",
            _DISCLAIMER_EN),
         _c("Kestrel Print Co.", "kestrelprint.example", "Unit 3, Mill Yard",
            "Leeds LS9 8AB", _DISCLAIMER_EN)),
        "+44", "£{}", signoff="Cheers,",
    ),
    Country(
        "IE", 3, 0,
        (("Siobhán", "siobhan"), ("Aoife", "aoife"), ("Seán", "sean"), ("Niamh", "niamh"),
         ("Pádraig", "padraig")),
        (("O'Brien", "obrien"), ("Murphy", "murphy"), ("Ó Súilleabháin", "osullivan"),
         ("Byrne", "byrne"), ("Ní Bhriain", "nibhriain")),
        (_c("Clonmore Software", "clonmore.example", "Block C, Grand Canal Quay",
            "Dublin D02 X576", _DISCLAIMER_EN),),
        "+353", "€{}",
    ),
    Country(
        "DE", 10, 60,
        (("Zoë", "zoe"), ("Jürgen", "juergen"), ("Jörg", "joerg"), ("Björn", "bjoern"),
         ("Lena", "lena"), ("Günther", "guenther"), ("Käthe", "kaethe"), ("Felix", "felix")),
        (("Müller", "mueller"), ("Schäfer", "schaefer"), ("Weiß", "weiss"),
         ("Groß", "gross"), ("Köhler", "koehler"), ("Becker", "becker"),
         ("Krüger", "krueger"), ("Hoffmann", "hoffmann")),
        (_c("Nordlicht Handel GmbH", "nordlicht-handel.example", "Königstraße 27",
            "70173 Stuttgart", _DISCLAIMER_DE),
         _c("Bäckerei Sonnenschein KG", "sonnenschein.example", "Schloßallee 4",
            "80331 München", _DISCLAIMER_DE),
         _c("Fahrradwerk Süd GmbH", "fahrradwerk.example", "Hauptstraße 112",
            "79098 Freiburg", _DISCLAIMER_DE)),
        "+49", "{} €", greeting="Hallo,", signoff="Mit freundlichen Grüßen",
    ),
    Country(
        "NL", 4, 60,
        (("Zoë", "zoe"), ("Daan", "daan"), ("Sanne", "sanne"), ("Joëlle", "joelle"),
         ("Bram", "bram")),
        (("van der Berg", "vanderberg"), ("de Vries", "devries"), ("Jansen", "jansen"),
         ("Bakker", "bakker"), ("Visser", "visser")),
        (_c("Tulpenhof B.V.", "tulpenhof.example", "Keizersgracht 221", "1016 DV Amsterdam"),),
        "+31", "€ {}", greeting="Hoi,", signoff="Met vriendelijke groet,",
    ),
    Country(
        "FR", 7, 60,
        (("François", "francois"), ("Hélène", "helene"), ("Zoé", "zoe"),
         ("Jérôme", "jerome"), ("Amélie", "amelie"), ("Benoît", "benoit"),
         ("Cécile", "cecile")),
        (("Lefèvre", "lefevre"), ("Dubois", "dubois"), ("Girard", "girard"),
         ("Bélanger", "belanger"), ("Moreau", "moreau"), ("Rousseau", "rousseau")),
        (_c("Atelier Lumière SARL", "atelier-lumiere.example", "12 rue de la Paix",
            "75002 Paris"),
         _c("Vignobles Béranger", "beranger.example", "3 chemin des Crêtes",
            "33000 Bordeaux")),
        "+33", "{} €", greeting="Bonjour,", signoff="Cordialement,",
    ),
    Country(
        "ES", 6, 60,
        (("José", "jose"), ("María", "maria"), ("Álvaro", "alvaro"), ("Inés", "ines"),
         ("Lucía", "lucia"), ("Javier", "javier"), ("Sofía", "sofia")),
        (("Álvarez", "alvarez"), ("Núñez", "nunez"), ("García", "garcia"),
         ("Martínez", "martinez"), ("López", "lopez"), ("Peña", "pena")),
        (_c("Distribuciones Peñalver S.L.", "penalver.example", "Calle de Alcalá 150",
            "28009 Madrid"),
         _c("Ópticas Brisamar", "brisamar.example", "Avinguda Diagonal 477",
            "08036 Barcelona")),
        "+34", "{} €", greeting="Hola,", signoff="Saludos,",
    ),
    Country(
        "PL", 4, 60,
        (("Łukasz", "lukasz"), ("Małgorzata", "malgorzata"), ("Paweł", "pawel"),
         ("Agnieszka", "agnieszka"), ("Krzysztof", "krzysztof"), ("Zofia", "zofia")),
        (("Wójcik", "wojcik"), ("Wiśniewski", "wisniewski"), ("Dąbrowski", "dabrowski"),
         ("Zieliński", "zielinski"), ("Lewandowski", "lewandowski"),
         ("Kamiński", "kaminski")),
        (_c("Żuraw Systemy Sp. z o.o.", "zuraw.example", "ul. Świętokrzyska 30",
            "00-116 Warszawa"),),
        "+48", "{} zł", greeting="Dzień dobry,", signoff="Pozdrawiam,",
    ),
    Country(
        "DK", 3, 60,
        (("Søren", "soren"), ("Mette", "mette"), ("Rasmus", "rasmus"), ("Freja", "freja"),
         ("Ida", "ida")),
        (("Kierkegaard", "kierkegaard"), ("Jørgensen", "jorgensen"),
         ("Sørensen", "sorensen"), ("Nielsen", "nielsen"), ("Østergaard", "ostergaard")),
        (_c("Havnefront ApS", "havnefront.example", "Nørrebrogade 45", "2200 København N"),),
        "+45", "{} kr.", greeting="Hej,", signoff="Venlig hilsen",
    ),
    Country(
        "SE", 3, 60,
        (("Åsa", "asa"), ("Björn", "bjorn"), ("Märta", "marta"), ("Linnéa", "linnea"),
         ("Oskar", "oskar")),
        (("Lindström", "lindstrom"), ("Åkesson", "akesson"), ("Söderberg", "soderberg"),
         ("Nyström", "nystrom"), ("Johansson", "johansson")),
        (_c("Fjällräv Design AB", "fjallrav-design.example", "Götgatan 14",
            "118 46 Stockholm"),),
        "+46", "{} kr", greeting="Hej,", signoff="Med vänliga hälsningar",
    ),
    Country(
        "CZ", 2, 60,
        (("Jiří", "jiri"), ("Tomáš", "tomas"), ("Kateřina", "katerina"), ("Lucie", "lucie")),
        (("Dvořák", "dvorak"), ("Novák", "novak"), ("Černý", "cerny"),
         ("Procházka", "prochazka"), ("Kučera", "kucera")),
        (_c("Pivovar Říčany s.r.o.", "ricany.example", "Masarykovo nám. 9",
            "251 01 Říčany"),),
        "+420", "{} Kč", greeting="Dobrý den,", signoff="S pozdravem",
    ),
    Country(
        "TR", 2, 180,
        (("Çağrı", "cagri"), ("Ömer", "omer"), ("Şebnem", "sebnem"), ("Gökhan", "gokhan"),
         ("Ayşe", "ayse")),
        (("Yılmaz", "yilmaz"), ("Öztürk", "ozturk"), ("Çelik", "celik"), ("Şahin", "sahin"),
         ("Doğan", "dogan")),
        (_c("Boğaziçi Tekstil A.Ş.", "bogazici-tekstil.example", "İstiklal Cad. No: 88",
            "34433 İstanbul"),),
        "+90", "{} ₺", greeting="Merhaba,",
    ),
    Country(
        "GR", 1, 120,
        (("Γιώργος", "giorgos"), ("Νίκος", "nikos"), ("Δημήτρης", "dimitris"),
         ("Κώστας", "kostas")),
        (("Παπαδόπουλος", "papadopoulos"), ("Οικονόμου", "oikonomou"),
         ("Γεωργίου", "georgiou")),
        (_c("Aegean Ferries Booking", "aegean-booking.example", "Akti Miaouli 41",
            "185 35 Piraeus"),),
        "+30", "{} €",
    ),
    Country(
        "RU", 1, 180,
        (("Алексей", "aleksey"), ("Дмитрий", "dmitry"), ("Сергей", "sergey"),
         ("Иван", "ivan")),
        (("Смирнов", "smirnov"), ("Иванов", "ivanov"), ("Кузнецов", "kuznetsov"),
         ("Попов", "popov")),
        (_c("Sever Trade LLC", "sever-trade.example", "Nevsky pr. 28",
            "191186 Saint Petersburg"),),
        "+7", "{} ₽",
    ),
    Country(
        "BR", 4, -180,
        (("João", "joao"), ("Conceição", "conceicao"), ("Gonçalo", "goncalo"),
         ("Antônio", "antonio"), ("Luíza", "luiza")),
        (("Gonçalves", "goncalves"), ("Araújo", "araujo"), ("Simões", "simoes"),
         ("Magalhães", "magalhaes"), ("Brandão", "brandao")),
        (_c("Café Três Corações Ltda.", "trescoracoes.example", "Rua Augusta, 1508",
            "São Paulo - SP, 01304-001"),),
        "+55", "R$ {}", greeting="Olá,", signoff="Atenciosamente,",
    ),
    Country(
        "IN", 5, 330,
        (("Priya", "priya"), ("Arjun", "arjun"), ("Ananya", "ananya"), ("Rohan", "rohan"),
         ("Kavya", "kavya")),
        (("Sharma", "sharma"), ("Patel", "patel"), ("Iyer", "iyer"), ("Reddy", "reddy"),
         ("Nair", "nair")),
        (_c("Lotus Analytics Pvt Ltd", "lotus-analytics.example", "42 MG Road",
            "Bengaluru 560001", _DISCLAIMER_EN),
         _c("Saffron Retail", "saffronretail.example", "Plot 7, Andheri East",
            "Mumbai 400069")),
        "+91", "₹{}", signoff="Thanks & Regards,",
    ),
    Country(
        "CN", 3, 480,
        (("雷", "lei"), ("梅梅", "meimei"), ("伟", "wei"), ("芳", "fang"), ("静", "jing")),
        (("李", "li"), ("王", "wang"), ("张", "zhang"), ("刘", "liu"), ("陈", "chen")),
        (_c("Shenzhen Bright Electronics Co., Ltd.", "szbright.example",
            "8 Keji Road, Nanshan District", "Shenzhen 518057"),),
        "+86", "¥{}", family_first=True, joiner="",
    ),
    Country(
        "JP", 3, 540,
        (("花子", "hanako"), ("翔太", "shota"), ("美咲", "misaki"), ("健", "ken")),
        (("佐藤", "sato"), ("鈴木", "suzuki"), ("高橋", "takahashi"), ("田中", "tanaka")),
        (_c("Sakura Systems K.K.", "sakura-systems.example", "2-11-3 Shibuya",
            "Tokyo 150-0002", _DISCLAIMER_EN),),
        "+81", "¥{}", family_first=True, joiner="",
        signoff="よろしくお願いいたします。",
    ),
    Country(
        "KR", 1, 540,
        (("민준", "minjun"), ("서연", "seoyeon"), ("지훈", "jihoon")),
        (("김", "kim"), ("이", "lee"), ("박", "park")),
        (_c("Hanbit Commerce", "hanbit.example", "123 Teheran-ro, Gangnam-gu", "Seoul"),),
        "+82", "₩{}", family_first=True, joiner="",
    ),
    Country(
        "VN", 1, 420,
        (("Văn An", "van.an"), ("Thị Mai", "thi.mai"), ("Minh Tuấn", "minh.tuan"),
         ("Thu Hà", "thu.ha")),
        (("Nguyễn", "nguyen"), ("Trần", "tran"), ("Lê", "le"), ("Phạm", "pham")),
        (_c("Sông Hồng Trading", "songhong.example", "25 Lý Thường Kiệt", "Hà Nội"),),
        "+84", "{} ₫", family_first=True,
    ),
    Country(
        "IL", 1, 120,
        (("נועה", "noa"), ("יונתן", "yonatan"), ("תמר", "tamar")),
        (("כהן", "cohen"), ("לוי", "levi"), ("מזרחי", "mizrahi")),
        (_c("Negev Solar Ltd", "negevsolar.example", "5 HaBarzel St", "Tel Aviv"),),
        "+972", "₪{}",
    ),
    Country(
        "AE", 1, 240,
        (("سارة", "sara"), ("عمر", "omar"), ("ليلى", "layla")),
        (("حداد", "haddad"), ("منصور", "mansour"), ("الحسيني", "alhusseini")),
        (_c("Gulf Star Events", "gulfstar.example", "Sheikh Zayed Rd, Tower 2", "Dubai"),),
        "+971", "AED {}",
    ),
)
_COUNTRY_WEIGHTS = tuple(c.weight for c in COUNTRIES)

# Agents who answer on a shared mailbox besides the owners of the personal accounts.
EXTRA_AGENTS: tuple[str, ...] = ("Priya Nair", "Tom Becker", "Lucía Ortega", "Kenji Watanabe")


def _latin(text: str) -> bool:
    return all(ord(ch) < 0x250 for ch in text)


def _local_part(first: str, last: str, pattern: int) -> str:
    first, last = first.replace(".", ""), last.replace(".", "")
    if pattern == 0:
        return f"{first}.{last}"
    if pattern == 1:
        return f"{first[0]}{last}"
    return f"{first}_{last}" if pattern == 2 else f"{first}.{last[0]}"


def make_person(rng: random.Random, company_of: Person | None = None) -> Person:
    """A random customer; with `company_of`, a colleague at that person's company."""
    if company_of is None:
        land = rng.choices(COUNTRIES, _COUNTRY_WEIGHTS)[0]
        company = rng.choice(land.companies)
    else:
        land, company = company_of.country, company_of.company
    first, first_ascii = rng.choice(land.first_names)
    last, last_ascii = rng.choice(land.last_names)
    name = f"{last}{land.joiner}{first}" if land.family_first else f"{first} {last}"
    # Agents greet people in Latin script; "Hi 李" would read oddly in an English reply.
    greet = first if _latin(first) else first_ascii.replace(".", " ").title()
    # Each company spells addresses one way, as a real mail domain would.
    pattern = len(company.name) % 4
    email = f"{_local_part(first_ascii, last_ascii, pattern)}@{company.domain}"
    client = rng.choices(CLIENTS, _CLIENT_WEIGHTS)[0]
    if land.code in ("DE", "AT") and client.key == "outlook":
        client = _OUTLOOK_DE
    phone = (f"{land.phone_prefix} {rng.randint(20, 99)} {rng.randint(100, 999)} "
             f"{rng.randint(1000, 9999)}")
    return Person(name, email, greet, rng.choice(TITLES), company, land, client, phone)


def pick_client(rng: random.Random) -> MailClient:
    """A mail client for an agent of our own company."""
    return rng.choices(CLIENTS[:6], _CLIENT_WEIGHTS[:6])[0]
