-- Sending mail: SMTP per account (or the system SMTP an admin sets), each agent's main
-- account, drafts and the outbox, saved replies and signatures.

ALTER TABLE accounts ADD COLUMN smtp_host TEXT;
ALTER TABLE accounts ADD COLUMN smtp_port INTEGER;
ALTER TABLE accounts ADD COLUMN smtp_security TEXT
    CHECK (smtp_security IN ('ssl', 'starttls', 'none'));
ALTER TABLE accounts ADD COLUMN smtp_auth INTEGER NOT NULL DEFAULT 1
    CHECK (smtp_auth IN (0, 1));
ALTER TABLE accounts ADD COLUMN smtp_username TEXT;
ALTER TABLE accounts ADD COLUMN smtp_password_command TEXT;
ALTER TABLE accounts ADD COLUMN smtp_ca_file TEXT;
ALTER TABLE accounts ADD COLUMN smtp_verify_cert INTEGER NOT NULL DEFAULT 1
    CHECK (smtp_verify_cert IN (0, 1));
-- Send through the system SMTP instead of a server of its own.
ALTER TABLE accounts ADD COLUMN smtp_use_system INTEGER NOT NULL DEFAULT 0
    CHECK (smtp_use_system IN (0, 1));
ALTER TABLE accounts ADD COLUMN reply_to TEXT NOT NULL DEFAULT '';
-- The server files sent mail in Sent itself (Gmail): no APPEND after sending.
ALTER TABLE accounts ADD COLUMN server_saves_sent INTEGER NOT NULL DEFAULT 0
    CHECK (server_saves_sent IN (0, 1));

-- The system SMTP: one row at most, set by an admin. Its password is in system_secrets.
CREATE TABLE system_smtp (
    id                INTEGER PRIMARY KEY CHECK (id = 1),
    host              TEXT NOT NULL,
    port              INTEGER NOT NULL,
    security          TEXT NOT NULL CHECK (security IN ('ssl', 'starttls', 'none')),
    auth              INTEGER NOT NULL DEFAULT 1 CHECK (auth IN (0, 1)),
    username          TEXT,
    password_command  TEXT,
    ca_file           TEXT,
    verify_cert       INTEGER NOT NULL DEFAULT 1 CHECK (verify_cert IN (0, 1)),
    updated_by        INTEGER REFERENCES agents(id) ON DELETE SET NULL,
    updated_at        TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
);

-- Ciphertext only, as account_secrets, for secrets that belong to no account.
CREATE TABLE system_secrets (
    purpose     TEXT PRIMARY KEY CHECK (purpose IN ('smtp_password')),
    ciphertext  BLOB NOT NULL,
    updated_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
);

-- The default From of an agent's new mail.
ALTER TABLE agents ADD COLUMN main_account_id INTEGER REFERENCES accounts(id)
    ON DELETE SET NULL;

-- A message being written or sent. A draft is saved as the agent types; sending builds
-- `raw` (the exact bytes, with their Message-ID) and queues an smtp.send job in the same
-- transaction; after the server took it, an imap.append job files it in Sent.
CREATE TABLE outgoing (
    id                 INTEGER PRIMARY KEY,
    account_id         INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    agent_id           INTEGER REFERENCES agents(id) ON DELETE SET NULL,
    kind               TEXT NOT NULL CHECK (kind IN ('new', 'reply', 'reply_all', 'forward')),
    -- The message answered or forwarded.
    source_id          INTEGER REFERENCES messages(id) ON DELETE SET NULL,
    state              TEXT NOT NULL DEFAULT 'draft'
                       CHECK (state IN ('draft', 'queued', 'sent', 'failed')),
    message_id         TEXT NOT NULL UNIQUE,  -- the Message-ID header, fixed at creation
    in_reply_to        TEXT,
    refs               TEXT NOT NULL DEFAULT '',  -- the References header
    to_addrs           TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(to_addrs)),
    cc_addrs           TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(cc_addrs)),
    bcc_addrs          TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(bcc_addrs)),
    subject            TEXT NOT NULL DEFAULT '',
    body               TEXT NOT NULL DEFAULT '',
    html_body          TEXT,  -- an HTML alternative, from an HTML template
    raw                BLOB,  -- the bytes sent, built when queued
    error              TEXT,  -- why sending failed for good, and what to do
    thread_id          INTEGER REFERENCES threads(id) ON DELETE SET NULL,
    created_at         TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    updated_at         TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    queued_at          TEXT,
    sent_at            TEXT
);
CREATE INDEX outgoing_by_agent ON outgoing(agent_id, state, updated_at);

CREATE TABLE outgoing_attachments (
    outgoing_id   INTEGER NOT NULL REFERENCES outgoing(id) ON DELETE CASCADE,
    idx           INTEGER NOT NULL,
    filename      TEXT NOT NULL,
    content_type  TEXT NOT NULL,
    data          BLOB NOT NULL,
    PRIMARY KEY (outgoing_id, idx)
);

-- Saved replies: named Jinja2 templates, plain or HTML.
CREATE TABLE templates (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    format      TEXT NOT NULL DEFAULT 'plain' CHECK (format IN ('plain', 'html')),
    body        TEXT NOT NULL,
    created_by  INTEGER REFERENCES agents(id) ON DELETE SET NULL,
    created_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    updated_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
);

-- Signatures, Jinja2 templates too. A personal one belongs to an agent, for one account
-- or (account_id NULL) for all; a company one is set by an admin, for one account or
-- for all.
CREATE TABLE signatures (
    id          INTEGER PRIMARY KEY,
    scope       TEXT NOT NULL CHECK (scope IN ('personal', 'company')),
    agent_id    INTEGER REFERENCES agents(id) ON DELETE CASCADE,
    account_id  INTEGER REFERENCES accounts(id) ON DELETE CASCADE,
    body        TEXT NOT NULL,
    updated_by  INTEGER REFERENCES agents(id) ON DELETE SET NULL,
    updated_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    CHECK ((scope = 'personal') = (agent_id IS NOT NULL))
);
CREATE UNIQUE INDEX signatures_one ON signatures(scope, ifnull(agent_id, 0),
                                                 ifnull(account_id, 0));
