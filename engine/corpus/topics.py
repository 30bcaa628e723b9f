"""What support mail is about: per-topic subjects, paragraphs and list items, written as
str.format templates over the thread's slots (see bodies.make_slots)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Topic:
    key: str
    weight: int
    subjects: tuple[str, ...]
    openings: tuple[str, ...]
    details: tuple[str, ...]
    items: tuple[str, ...]
    answers: tuple[str, ...]
    steps: tuple[str, ...]
    followups: tuple[str, ...]
    attachment: str  # the kind of file a customer attaches: "pdf", "png", "csv", "log"
    local_subjects: dict[str, tuple[str, ...]] = field(default_factory=dict)


TOPICS: tuple[Topic, ...] = (
    Topic(
        "invoice", 14,
        ("Question about invoice {invoice}", "Invoice {invoice} shows the wrong amount",
         "Incorrect VAT on our {month} invoice", "We were charged twice in {month}"),
        ("I'm writing about invoice {invoice}, which we received on {date}. The total of "
         "{amount} does not match the {plan} plan we agreed on, and our finance team cannot "
         "approve it in its current form.",
         "Our accounts payable team flagged invoice {invoice} this morning. It lists {seats} "
         "seats, but we reduced the subscription last month and the change was confirmed by "
         "your sales team at the time.",
         "We have just noticed that our card was charged twice for the same billing period. "
         "Both charges show up as {amount} on our statement, one on {date} and another one "
         "a day later."),
        ("For context, we switched from monthly to annual billing in the summer, and since "
         "then every invoice has come out slightly different. I would rather sort this out "
         "properly now than keep correcting it by hand every quarter.",
         "Our VAT number is listed correctly in the billing settings, so I expected the "
         "reverse-charge note and no VAT line. Instead the invoice adds VAT on top, which our "
         "auditors will not accept for a cross-border B2B purchase.",
         "Could you either send a corrected version or issue a credit note for the "
         "difference? We need the paperwork before our month-end close, which is on the "
         "last working day of {month}."),
        ("Invoice number: {invoice}", "Amount charged: {amount}", "Billing period: {month}",
         "Plan: {product} {plan}", "Seats on the invoice: {seats}",
         "Purchase order: PO-{po}"),
        ("I have looked into invoice {invoice} and you are right: the seat change from last "
         "month was recorded in our CRM but never reached the billing system, so the invoice "
         "was generated with the old quantity.",
         "I have issued a credit note for the difference, which you will receive in a "
         "separate email within the next hour. The corrected invoice is already available "
         "on your billing page.",
         "Regarding the VAT line: the VAT number on your account failed the automatic VIES "
         "check on the day the invoice was created, which is why VAT was added. I have "
         "re-validated it manually and re-issued the invoice with the reverse-charge note."),
        ("Open Settings > Billing > Invoices", "Download the corrected invoice marked R1",
         "Forward it to your accounts payable contact",
         "Discard the original invoice {invoice}"),
        ("Thanks for the quick reply. I checked the billing page, but it still shows the "
         "original invoice {invoice} and no credit note yet. Could you check whether it was "
         "actually sent?",
         "Thank you. One more question: will the credit note reference our purchase order "
         "PO-{po}? Our system rejects documents without it."),
        "pdf",
        {"DE": ("Rechnung {invoice} – falscher Betrag", "Frage zur Rechnung {invoice}"),
         "FR": ("Facture {invoice} : montant incorrect",),
         "ES": ("Factura {invoice} – importe erróneo",),
         "PL": ("Błędna faktura {invoice}",),
         "SE": ("Fråga om faktura {invoice}",),
         "CZ": ("Dotaz k faktuře {invoice}",),
         "JP": ("請求書 {invoice} について",),
         "CN": ("关于发票 {invoice} 的问题",)},
    ),
    Topic(
        "login", 13,
        ("Can't log in to {product}", "Locked out after password reset",
         "2FA codes not accepted", "SSO login loops back to the sign-in page"),
        ("Since this morning I cannot log in to {product}. After entering my password the "
         "page reloads and asks for it again, without any error message. Two colleagues "
         "have the same problem, others can log in fine.",
         "I reset my password yesterday as requested in your security notice, and since "
         "then my account is locked. The reset link in the email says it has expired, even "
         "when I click it within a minute.",
         "The six-digit codes from my authenticator app are rejected every time. I have "
         "checked that the clock on my phone is correct and I have re-scanned the QR code, "
         "but nothing helps."),
        ("I have tried {browser} and a private window, cleared cookies and disabled all "
         "extensions. The same happens on my phone over mobile data, so I don't think it is "
         "our network or proxy.",
         "We use single sign-on through our identity provider and nothing changed on our "
         "side as far as I know. Our IT team says the assertion is sent correctly and the "
         "certificate has not expired.",
         "This is quite urgent for us: our team handles customer orders in {product} and "
         "we cannot process anything while we are locked out."),
        ("Account email: {customer_email}", "Browser: {browser}",
         "Time of the last attempt: {date}, around {clock}", "Error shown: {error}",
         "Workspace: {workspace}"),
        ("Thank you for the detailed description, that made it much easier to track down. "
         "Your account was temporarily locked by our brute-force protection after several "
         "failed attempts from an address in your office network.",
         "I have unlocked the account and reset the second factor, so on your next login "
         "you will be asked to scan a new QR code. Please remove the old entry from your "
         "authenticator app first to avoid confusion.",
         "The login loop is caused by a cookie setting that some versions of {browser} "
         "apply to embedded sign-in pages. Our engineers shipped a fix this afternoon; it "
         "should be live for your workspace within the hour."),
        ("Sign out of all sessions", "Clear cookies for {product_host}",
         "Log in again with your email address", "Scan the new QR code when prompted"),
        ("Unfortunately it still doesn't work. I can get past the password now, but the "
         "2FA step fails with \"{error}\".",
         "Thanks, I could log in now. My colleague still sees the loop though, could you "
         "check her account as well? Her address is in copy."),
        "png",
        {"DE": ("Anmeldung nicht möglich", "Login funktioniert nicht mehr"),
         "FR": ("Impossible de me connecter",),
         "ES": ("No puedo iniciar sesión",),
         "PL": ("Nie mogę się zalogować",),
         "TR": ("Giriş yapamıyorum",),
         "RU": ("Не могу войти в аккаунт",)},
    ),
    Topic(
        "shipping", 11,
        ("Order {order} hasn't arrived", "Shipping delay on order {order}",
         "Where is my delivery? (order {order})", "Tracking number not working"),
        ("We ordered {count} units of the {product} starter kit on {date} (order {order}) "
         "and the confirmation promised delivery within {days} business days. Nothing has "
         "arrived so far.",
         "The tracking number {tracking} from your shipping confirmation shows no movement "
         "for a week now. {carrier} says they never received the parcel.",
         "Our order {order} was marked as delivered yesterday, but nobody here received "
         "anything and the reception desk has no record of a {carrier} delivery."),
        ("We need the hardware for a store opening, so a delay is a real problem for us. "
         "If the parcel is lost, could you send a replacement by express and we will refuse "
         "the original delivery if it shows up?",
         "I have already contacted {carrier} twice and they keep telling me to ask the "
         "sender. I would appreciate it if you could open an investigation from your side.",
         "Please note that our delivery address changed in {month}. I updated it in the "
         "account settings, but maybe the order still went to the old one?"),
        ("Order number: {order}", "Tracking number: {tracking}", "Carrier: {carrier}",
         "Ordered on: {date}", "Delivery address: {street}, {city}"),
        ("I'm sorry about the delay. I checked with our warehouse: the parcel left us on "
         "time but was held at the {carrier} hub because of a customs paperwork issue, "
         "which has now been resolved.",
         "I have opened a trace with {carrier} and, since you need the devices urgently, "
         "arranged a replacement shipment by express at no cost. You will receive a new "
         "tracking number by email as soon as it is picked up.",
         "The delivery went to the address stored on the order, which was still the old "
         "one. I have corrected it and asked {carrier} to redirect the parcel; this usually "
         "adds one or two days."),
        ("Keep an eye out for the new tracking number", "Refuse the original parcel if it "
         "arrives late", "Reply to this email once the delivery is complete"),
        ("Thank you, but the new tracking number {tracking} also shows no update since "
         "yesterday. Is there anything else you can do?",
         "Quick update: the replacement arrived this morning. The original parcel is "
         "still missing, should we send it back if it turns up?"),
        "jpg",
        {"DE": ("Lieferung verspätet – Bestellung {order}", "Wo bleibt meine Bestellung?"),
         "FR": ("Commande {order} non reçue",),
         "ES": ("Pedido {order} no recibido",),
         "BR": ("Pedido {order} ainda não chegou",),
         "DK": ("Manglende levering af ordre {order}",),
         "SE": ("Leveransen har inte kommit",),
         "JP": ("注文 {order} がまだ届きません",)},
    ),
    Topic(
        "refund", 8,
        ("Refund request for order {order}", "Requesting a refund", "Refund not received yet",
         "Cancel and refund {plan} upgrade"),
        ("I would like to request a refund for order {order}. Two of the devices were "
         "damaged in transit: the screens are cracked and one unit does not power on.",
         "Last month we were upgraded to the {plan} plan by mistake when a colleague "
         "clicked through the trial banner. We never used any of the {plan} features and "
         "would like the upgrade reversed and refunded.",
         "You confirmed a refund of {amount} on {date}, but the money has not arrived on "
         "our account yet. Your email said it would take five to seven business days."),
        ("I have attached photos of the packaging and the damaged units. Please let me know "
         "whether you need the devices back or whether we can dispose of them.",
         "Our bank says there is no incoming transfer from you, and they asked for the "
         "reference of the refund so they can trace it.",
         "We are otherwise happy with {product}, so this is not a cancellation, we just "
         "want to go back to the plan we had."),
        ("Order number: {order}", "Amount: {amount}", "Payment method: card ending {card}",
         "Reason: {reason}"),
        ("I'm sorry about the damaged devices. I have approved a full refund of {amount} to "
         "the card used for the order; depending on your bank it will show up within five "
         "to ten business days.",
         "I have reverted the workspace to your previous plan and refunded the prorated "
         "difference of {amount}. The refund reference is RF-{po}, which your bank can use "
         "to trace the payment.",
         "There is no need to send the damaged units back. If you prefer replacements "
         "instead of a refund, just reply to this email and I will arrange a new shipment."),
        ("Watch for a refund of {amount} from ACME*SUPPORT",
         "Use reference RF-{po} with your bank", "Dispose of the damaged devices locally"),
        ("Thanks. It has now been ten business days and the refund still hasn't appeared. "
         "Could you send me a confirmation from your payment provider?",
         "Received, thank you for sorting this out so quickly."),
        "jpg",
        {"DE": ("Rückerstattung für Bestellung {order}",),
         "FR": ("Demande de remboursement",),
         "ES": ("Solicitud de reembolso – pedido {order}",),
         "PL": ("Prośba o zwrot pieniędzy",)},
    ),
    Topic(
        "api", 10,
        ("API returns {error} on {endpoint}", "Webhook deliveries failing since {date}",
         "Rate limit errors with only a few requests", "Breaking change in API v2?"),
        ("Since {date} our integration receives {error} from {endpoint} for roughly one "
         "request in ten. Nothing changed in our code and the same requests succeed when "
         "retried a few seconds later.",
         "Your webhook deliveries to our endpoint stopped on {date}. The dashboard shows "
         "them as failed with a timeout, but our server logs show no incoming requests at "
         "all.",
         "We are getting {error} responses after as few as {count} requests per minute, "
         "while the documentation for the {plan} plan says the limit is {rate_limit} per "
         "minute."),
        ("We call the API from two servers behind a NAT gateway, so all requests come from "
         "the same IP address. Could it be that the limit is applied per IP rather than per "
         "API key?",
         "I have attached an extract of our logs with request IDs and timestamps (UTC). The "
         "request ID of the most recent failure is {request_id}.",
         "We are on SDK version {version} for Python. Upgrading did not change anything. "
         "This is blocking our release planned for next week, so any pointer would help."),
        ("Endpoint: {endpoint}", "Error: {error}", "Request ID: {request_id}",
         "SDK version: {version}", "First seen: {date}"),
        ("Thanks for the request IDs, they allowed our engineers to find the failing calls "
         "quickly. The errors came from a single node in our EU cluster that had a stale "
         "configuration after a deployment; it has been taken out of rotation.",
         "Rate limits are applied per API key and per source IP; the per-IP limit is lower "
         "to protect the service from abuse. I have raised the per-IP limit for your "
         "workspace to match your plan.",
         "Our webhook sender was blocked by a firewall rule on your side after we added a "
         "new egress IP range. The complete list of addresses is in our documentation; "
         "please allow all of them."),
        ("Retry failed requests with exponential backoff",
         "Allow our new egress range 203.0.113.0/24",
         "Upgrade the SDK to {version} or later",
         "Use the Idempotency-Key header on POST requests"),
        ("We still see {error} a few times an hour, less than before but enough to trigger "
         "our alerts. Latest request ID: {request_id}.",
         "Confirmed, no more errors since your fix. Thanks to you and the engineering "
         "team."),
        "csv",
        {"DE": ("API-Fehler {error} bei {endpoint}",),
         "JP": ("API エラー {error} について",),
         "CN": ("API 返回 {error} 错误",)},
    ),
    Topic(
        "feature", 8,
        ("Feature request: {feature}", "Any plans for {feature}?", "Suggestion: {feature}"),
        ("We have been using {product} for about a year now and it works well for us. One "
         "thing we are really missing is {feature}.",
         "Is {feature} on your roadmap? Several people in our team asked me about it after "
         "we moved from our previous tool, which had it.",
         "I would like to suggest a small improvement: {feature}. It would save our team a "
         "lot of manual work every week."),
        ("At the moment we work around it with a spreadsheet that one person updates every "
         "Friday, which is error-prone and takes about two hours.",
         "We would also be happy to take part in a beta or give feedback on early designs, "
         "if that helps.",
         "For us this would also be a strong argument for moving the remaining {seats} "
         "users from the {plan} plan to Enterprise next year."),
        ("Use case: {use_case}", "Team size: {seats} users", "Current plan: {plan}",
         "Current workaround: a weekly manual export"),
        ("Thank you for the suggestion and for explaining your use case in such detail. "
         "{feature_cap} is something several customers have asked for, and I have added "
         "your vote and your description to the request in our product board.",
         "I can't promise a date, but our product team reviews the most requested items "
         "every quarter and this one is currently near the top of the list.",
         "In the meantime, the reporting API can produce most of this data. I have put "
         "together a short example below that you could run on a schedule."),
        ("Vote for the request on our public roadmap", "Try the reporting API example",
         "Join the beta program from Settings > Labs"),
        ("Thanks! Could you let me know when this moves to development? We would love to "
         "test it early.",),
        "png",
        {"FR": ("Suggestion de fonctionnalité",), "DE": ("Verbesserungsvorschlag",)},
    ),
    Topic(
        "export", 5,
        ("Data export request (GDPR art. 15)", "How to export all our data?",
         "Request to delete personal data"),
        ("Under article 15 of the GDPR I would like to receive a copy of all personal data "
         "you hold about me, including logs and backups.",
         "We are preparing our annual audit and need a complete export of all records in "
         "our workspace, including deleted items if possible.",
         "Please delete all personal data related to my former colleague, who left the "
         "company on {date}. Her account should be removed entirely."),
        ("Please send the export in a machine-readable format such as CSV or JSON. If you "
         "need to verify my identity, let me know which documents you require.",
         "The export in the admin panel stops at 10,000 rows, which is not enough for us: "
         "we have around {count} records.",),
        ("Workspace: {workspace}", "Requested by: {customer_email}", "Date range: all time"),
        ("We have received your request and started the export. For security reasons the "
         "download link will be sent to the workspace owner and will expire after seven "
         "days.",
         "The 10,000-row limit only applies to exports from the web interface. Exports "
         "started from Settings > Data > Full export have no limit and include deleted "
         "items from the last 30 days.",
         "The account has been deleted and the data will be removed from our backups "
         "within 35 days, in line with our retention policy."),
        ("Open Settings > Data > Full export", "Choose JSON or CSV",
         "Download the archive within seven days"),
        ("The export finished but the CSV files seem to be cut off after about 50 MB. Is "
         "there a size limit?",),
        "csv",
        {"DE": ("Auskunftsersuchen nach Art. 15 DSGVO",),
         "FR": ("Demande d'accès aux données (RGPD)",)},
    ),
    Topic(
        "integration", 7,
        ("{integration} integration stopped syncing", "Problem connecting {integration}",
         "Duplicate records after {integration} sync"),
        ("Our {integration} integration stopped syncing on {date}. The status page inside "
         "{product} says \"connected\", but no new records have come through since then.",
         "When I try to connect {integration}, the authorization window opens and closes "
         "again immediately, and the integration stays disconnected.",
         "Since the last sync, every contact from {integration} appears twice in "
         "{product}. We now have about {count} duplicates."),
        ("We reconnected the integration twice with an administrator account, with the "
         "same result each time.",
         "Our {integration} admin says our account has all the required permissions and "
         "that nothing changed on their side."),
        ("Integration: {integration}", "Last successful sync: {date}", "Workspace: {workspace}",
         "Records affected: about {count}"),
        ("{integration} changed the permissions required for third-party apps last week, "
         "and connections authorized before the change lost access to new records. "
         "Reconnecting once more should fix it now that we have updated our app.",
         "The duplicates were created by a retry bug on our side that we have fixed. I can "
         "run a cleanup script on your workspace that merges the duplicates, keeping the "
         "most recently edited version of each record.",),
        ("Disconnect {integration} in Settings > Integrations", "Connect it again",
         "Run a manual sync", "Check the sync log for errors"),
        ("Yes, please run the cleanup script. Is there a way to undo it if something goes "
         "wrong?",
         "The sync works again, thank you."),
        "log",
    ),
    Topic(
        "performance", 6,
        ("{product} very slow since {date}", "Dashboard takes minutes to load",
         "Timeouts when opening reports"),
        ("Since {date} the dashboard in {product} takes more than a minute to load, and "
         "large reports often fail with a timeout.",
         "Our team is complaining that {product} has become very slow, especially in the "
         "morning between 9 and 11 local time."),
        ("We have around {count} records and {seats} users, nothing out of the ordinary "
         "compared to previous months.",
         "I measured it from three different networks and the result is the same, so it is "
         "unlikely to be on our side."),
        ("Workspace: {workspace}", "Browser: {browser}", "Slowest page: Reports > Monthly",
         "Typical load time: {count} ms"),
        ("You are right, we saw increased response times for workspaces in your region "
         "during peak hours. We have added capacity and the reports now load in a few "
         "seconds in our tests.",
         "One of your saved reports runs a query over the full history on every page load. "
         "I have added an index for it, which brought the time down from 70 to about 2 "
         "seconds."),
        ("Reload the dashboard", "Let us know if any report still takes more than 10 "
         "seconds"),
        ("It is better now, but the monthly report still times out. Could you have another "
         "look?",),
        "png",
    ),
    Topic(
        "cancellation", 4,
        ("Cancel our subscription", "Not renewing our {plan} plan",
         "Question about cancellation terms"),
        ("We have decided not to renew our {plan} subscription when it ends in {month}. "
         "Please confirm the cancellation and let me know what happens to our data.",
         "Our company is being merged into another group and we will move to their tools. "
         "Could you tell me the notice period for the {plan} plan?"),
        ("Thank you for the good service over the last few years. The decision was made by "
         "our new management and is not related to {product} itself.",),
        ("Workspace: {workspace}", "Plan: {plan}", "Renewal date: {date}"),
        ("I'm sorry to see you go, and thank you for letting us know in time. I have turned "
         "off the automatic renewal; your workspace stays fully usable until the end of the "
         "current term.",
         "After the term ends your data is kept read-only for 30 days, so you can still "
         "export it, and then deleted."),
        ("Export your data before the end of the term",
         "Download your final invoice from the billing page"),
        ("Thanks for confirming. Could you also send us the final invoice as PDF?",),
        "pdf",
        {"DE": ("Kündigung unseres Abonnements",), "NL": ("Opzegging abonnement",)},
    ),
    Topic(
        "import_bug", 7,
        ("CSV import fails with \"{error}\"", "Import stops at row {count}",
         "Special characters broken after import"),
        ("When importing our product list from CSV the import stops with \"{error}\". The "
         "file has about {count} rows and was exported from our ERP.",
         "After importing our customer list, names with accents such as \"{sample_name}\" "
         "are shown with strange characters in {product}."),
        ("The same file opens fine in Excel and LibreOffice. I have attached the first few "
         "hundred lines so you can reproduce it.",
         "We have tried saving the file as UTF-8 and as Windows-1252, the result is the "
         "same."),
        ("File size: {count} rows", "Delimiter: semicolon", "Encoding: UTF-8 with BOM",
         "Error: {error}"),
        ("Thank you for the sample, I could reproduce it. The importer does not handle the "
         "byte order mark at the start of the file, so the first column name is not "
         "recognised. Our developers are working on a fix.",
         "Until the fix is released, please save the file as UTF-8 without BOM; in Excel "
         "this is the option \"CSV UTF-8\" in older versions and \"CSV (comma delimited)\" "
         "plus a UTF-8 setting in newer ones."),
        ("Save the file as UTF-8 without BOM", "Use a comma or semicolon as delimiter",
         "Start the import again from Settings > Import"),
        ("The import went through this time, but the umlauts in the city names are still "
         "wrong. Example attached.",),
        "csv",
    ),
    Topic(
        "security", 4,
        ("Security questionnaire for vendor review", "Do you have SOC 2 Type II?",
         "Question about data residency"),
        ("As part of our annual vendor review we need to complete a security questionnaire "
         "for {product}. Could you help us with the attached list of questions?",
         "Our customers increasingly ask where their data is stored. Can you confirm that "
         "all data of our workspace stays within the EU?"),
        ("We would need the answers by the end of {month}. If you have a standard security "
         "package with your SOC 2 report and penetration test summary, that would probably "
         "cover most of it.",),
        ("Deadline: end of {month}", "Contact: {customer_email}",
         "Scope: {product}, workspace {workspace}"),
        ("Our current SOC 2 Type II report and the summary of our latest penetration test "
         "are available in our trust center after signing a short NDA.",
         "Your workspace is hosted in our Frankfurt region; primary data and backups stay "
         "in the EU. Sub-processors outside the EU are listed in our DPA with the "
         "safeguards in place."),
        ("Request access to the trust center", "Sign the NDA electronically",
         "Send us any questions the report does not answer"),
        ("Thanks, we have received the report. Two questions remain open, see below.",),
        "pdf",
    ),
)

FEATURES: tuple[str, ...] = (
    "export to Excel with formatting", "a dark mode for the dashboard",
    "SAML single sign-on on the Team plan", "bulk editing of tags",
    "a public status page for our customers", "custom fields on tickets",
    "scheduled email reports", "an audit log export", "two-level approval workflows",
)
USE_CASES: tuple[str, ...] = (
    "monthly reporting to management", "onboarding new staff", "compliance audits",
    "handing over work between shifts",
)
ERRORS: tuple[str, ...] = (
    "HTTP 500 Internal Server Error", "429 Too Many Requests", "502 Bad Gateway",
    "ERR_TOKEN_EXPIRED", "invalid_grant", "Unexpected column 'SKU'", "E_IMPORT_ROW_LIMIT",
)
ENDPOINTS: tuple[str, ...] = (
    "/v2/orders", "/v2/invoices", "/v1/webhooks", "/v2/customers/search", "/v2/reports/run",
)
BROWSERS: tuple[str, ...] = ("Chrome 130", "Firefox 132", "Safari 18.1", "Edge 130")
INTEGRATIONS: tuple[str, ...] = ("Slack", "Salesforce", "HubSpot", "Shopify", "Zapier")
CARRIERS: tuple[str, ...] = ("DHL", "UPS", "FedEx", "DPD", "PostNord", "GLS", "La Poste")
PRODUCTS: tuple[str, ...] = ("Acme Desk", "Acme Cloud", "Acme Analytics", "Acme POS")
PLANS: tuple[str, ...] = ("Starter", "Team", "Business", "Enterprise")
REASONS: tuple[str, ...] = ("damaged in transit", "upgraded by mistake", "duplicate order")

# Mail opened by an agent rather than a customer.
OUTBOUND: tuple[tuple[str, str], ...] = (
    ("Your {plan} renewal on {date}",
     "A quick heads-up that your {product} {plan} subscription renews on {date}. If you "
     "would like to change the number of seats before then, just reply to this email."),
    ("Checking in on your {product} rollout",
     "It has been a few weeks since your team started with {product}, and I wanted to see "
     "how things are going. Is there anything we can help with, or any questions from your "
     "users we could answer in a short call?"),
    ("Scheduled maintenance on {date}",
     "We will perform scheduled maintenance on {date} between 02:00 and 03:00 UTC. "
     "{product} may be unavailable for a few minutes during that window."),
)
