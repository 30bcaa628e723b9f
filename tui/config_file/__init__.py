"""config.toml as the whole setup: its format, checked by `frontdesk config check`,
applied by `frontdesk config apply`, written by `frontdesk config export`.

The console's own settings (theme, [options], [keymap]) are those of tui.config; the
same file may declare the rest of the setup:

```toml
theme = "frontdesk-dark"
[options]
threads = true
[keymap]
"list.down" = "j,down"

[imap_defaults]             # admins: the server personal accounts fall back on
host = "imap.example.com"   # port, security, ca_file, check_every
check_every = 5

[smtp]                      # admins: the system SMTP
host = "relay.example.com"
port = 587
security = "starttls"       # ssl | starttls | none
username = "relay"
password_command = "pass show mail/relay"   # or password_ref = "stored", or auth = false
ca_file = "/etc/ssl/corp.pem"
verify_cert = true

[[accounts]]
name = "support"
email = "support@example.com"
display_name = "Support"
shared = true               # a shared mailbox (admins); else a personal one of yours
imap_host = "imap.example.com"
imap_port = 993
security = "ssl"
username = "support@example.com"
verify_cert = true
ca_file = "/etc/ssl/corp.pem"
password_command = "pass show mail/support" # or password_ref = "stored", or oauth = "microsoft"
folders = ["INBOX", "Sent"]                 # the folders to sync
roles = { "Sent Items" = "sent", Junk = "none" }
import = "all"              # all | unread | new-only | since:YYYY-MM-DD
check_every = 5
mark_read_on_import = false
write_read_status = true
enabled = true
mirror_drafts = false       # personal accounts only
deny = ["spam.example", "pest@example.org"]
signature = "-- \\nThe support team"
share = { agents = ["alice", "bob"], roles = ["agent"], read_only = false }

[accounts.smtp]             # or: system = true (send through the system SMTP)
host = "smtp.example.com"
port = 587
security = "starttls"
password_command = "pass show mail/support-smtp"   # or password_ref = "stored", or auth = false
reply_to = "support@example.com"
server_saves_sent = false

[modes]                     # what new threads become: none | lead | case
support = "case"

[[rules]]                   # the rules of `frontdesk rules import`, each naming its account
account = "support"
name = "thanks"
kind = "respond"
body = "Thanks, we got your message."
active = true
```

Where the engine has POP3 accounts, `protocol = "pop3"` makes one, named by `pop3_host`
and `pop3_port`, with `delete_after_import` and `sent_to` (the IMAP account whose Sent
folder files its sent mail).

Meaning:
- A key left out leaves its setting as it is (a new account takes the default).
- No secret is ever in the file: a password comes from `password_command` (a command
  that prints it, never stored), or `password_ref = "stored"` keeps the password the
  store already holds. A key that looks like a password in clear is refused.
- `deny` is the account's whole deny list; `share` sets the lists it gives (as
  `frontdesk account share` does); `roles` sets the roles of the folders it names.
- `signature` is the company signature of a shared account, your own signature of a
  personal one ("" removes it).
- A rule is known by its account and name. `active` left out keeps a rule as it is (a
  new one is off).
- Accounts you configure that the file leaves out, and the rules of declared accounts
  that it leaves out, are listed and left alone; `config apply --prune` removes them.

Modules: schema (reading and checking without the store), locator (line numbers),
problems (one line each), current (the store as read), store_checks (checks that need
it), apply (the changes) and export (the file from the store).
"""
