-- The first schema: agents, accounts and access, folders with their sync state,
-- threads, messages (raw bytes kept compressed, text indexed by FTS5), customers,
-- leads, cases, the deny list, the durable job queue and the audit log.
-- Times are ISO 8601 UTC text ("2026-11-21T15:39:14Z"); sort order equals time order.

CREATE TABLE agents (
    id            INTEGER PRIMARY KEY,
    name          TEXT NOT NULL UNIQUE,
    os_user       TEXT UNIQUE,
    display_name  TEXT NOT NULL DEFAULT '',
    email         TEXT NOT NULL DEFAULT '',
    role          TEXT NOT NULL DEFAULT 'agent' CHECK (role IN ('admin', 'agent')),
    active        INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    created_at    TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
);

-- A personal account has an owner; a shared (system) account has none and is reached
-- through account_access rows naming agents or roles.
CREATE TABLE accounts (
    id                   INTEGER PRIMARY KEY,
    name                 TEXT NOT NULL UNIQUE,
    display_name         TEXT NOT NULL DEFAULT '',
    email                TEXT NOT NULL,
    kind                 TEXT NOT NULL CHECK (kind IN ('personal', 'shared')),
    owner_agent_id       INTEGER REFERENCES agents(id) ON DELETE RESTRICT,
    imap_host            TEXT,
    imap_port            INTEGER,
    imap_security        TEXT CHECK (imap_security IN ('ssl', 'starttls', 'none')),
    imap_username        TEXT,
    verify_cert          INTEGER NOT NULL DEFAULT 1 CHECK (verify_cert IN (0, 1)),
    check_every_minutes  INTEGER NOT NULL DEFAULT 5 CHECK (check_every_minutes > 0),
    enabled              INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1)),
    created_at           TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    CHECK ((kind = 'personal') = (owner_agent_id IS NOT NULL))
);

CREATE TABLE account_access (
    id          INTEGER PRIMARY KEY,
    account_id  INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    agent_id    INTEGER REFERENCES agents(id) ON DELETE CASCADE,
    role        TEXT CHECK (role IN ('admin', 'agent')),
    can_act     INTEGER NOT NULL DEFAULT 0 CHECK (can_act IN (0, 1)),
    granted_by  INTEGER REFERENCES agents(id) ON DELETE SET NULL,
    created_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    CHECK ((agent_id IS NULL) <> (role IS NULL))
);
CREATE UNIQUE INDEX account_access_agent ON account_access(account_id, agent_id)
    WHERE agent_id IS NOT NULL;
CREATE UNIQUE INDEX account_access_role ON account_access(account_id, role)
    WHERE role IS NOT NULL;
CREATE INDEX account_access_by_agent ON account_access(agent_id);

CREATE TABLE folders (
    id             INTEGER PRIMARY KEY,
    account_id     INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    name           TEXT NOT NULL,
    delimiter      TEXT,
    role           TEXT CHECK (role IN ('inbox', 'sent', 'drafts', 'trash', 'spam', 'archive')),
    role_source    TEXT NOT NULL DEFAULT 'auto' CHECK (role_source IN ('auto', 'user')),
    sync_enabled   INTEGER NOT NULL DEFAULT 1 CHECK (sync_enabled IN (0, 1)),
    uidvalidity    INTEGER,
    uidnext        INTEGER,
    highestmodseq  INTEGER,
    last_sync_at   TEXT,
    last_error     TEXT,
    UNIQUE (account_id, name)
);
CREATE UNIQUE INDEX folders_role ON folders(account_id, role) WHERE role IS NOT NULL;

CREATE TABLE customers (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL,
    company     TEXT NOT NULL DEFAULT '',
    notes       TEXT NOT NULL DEFAULT '',
    created_by  INTEGER REFERENCES agents(id) ON DELETE SET NULL,
    created_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
);

-- Pairing hangs on the address, so it survives refetches and covers future mail.
CREATE TABLE customer_addresses (
    address      TEXT PRIMARY KEY COLLATE NOCASE,
    customer_id  INTEGER NOT NULL REFERENCES customers(id) ON DELETE CASCADE
);
CREATE INDEX customer_addresses_customer ON customer_addresses(customer_id);

-- Threads span accounts: a customer may write to support@ and to a personal address.
-- Reads always filter the thread's messages by the accounts the agent may see.
CREATE TABLE threads (
    id           INTEGER PRIMARY KEY,
    subject      TEXT NOT NULL DEFAULT '',
    created_at   TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
);

-- Every Message-ID seen (own, In-Reply-To, References) points at its thread, so a
-- reply arriving before its parent still joins the right conversation.
CREATE TABLE thread_refs (
    message_id  TEXT PRIMARY KEY,
    thread_id   INTEGER NOT NULL REFERENCES threads(id) ON DELETE CASCADE
);
CREATE INDEX thread_refs_thread ON thread_refs(thread_id);

CREATE TABLE messages (
    id               INTEGER PRIMARY KEY,
    account_id       INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    folder_id        INTEGER NOT NULL REFERENCES folders(id) ON DELETE CASCADE,
    uidvalidity      INTEGER,
    uid              INTEGER,
    modseq           INTEGER,
    message_id       TEXT,
    in_reply_to      TEXT,
    thread_id        INTEGER REFERENCES threads(id) ON DELETE SET NULL,
    subject          TEXT NOT NULL DEFAULT '',
    from_name        TEXT NOT NULL DEFAULT '',
    from_addr        TEXT NOT NULL DEFAULT '' COLLATE NOCASE,
    to_addrs         TEXT NOT NULL DEFAULT '',
    cc_addrs         TEXT NOT NULL DEFAULT '',
    date             TEXT NOT NULL,
    internal_date    TEXT,
    size             INTEGER NOT NULL DEFAULT 0,
    seen             INTEGER NOT NULL DEFAULT 0 CHECK (seen IN (0, 1)),
    flagged          INTEGER NOT NULL DEFAULT 0 CHECK (flagged IN (0, 1)),
    answered         INTEGER NOT NULL DEFAULT 0 CHECK (answered IN (0, 1)),
    draft            INTEGER NOT NULL DEFAULT 0 CHECK (draft IN (0, 1)),
    deleted          INTEGER NOT NULL DEFAULT 0 CHECK (deleted IN (0, 1)),
    keywords         TEXT NOT NULL DEFAULT '',
    has_attachments  INTEGER NOT NULL DEFAULT 0 CHECK (has_attachments IN (0, 1)),
    auto_submitted   INTEGER NOT NULL DEFAULT 0 CHECK (auto_submitted IN (0, 1)),
    list_mail        INTEGER NOT NULL DEFAULT 0 CHECK (list_mail IN (0, 1)),
    snippet          TEXT NOT NULL DEFAULT '',
    parse_error      TEXT,
    created_at       TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    CHECK ((uid IS NULL) = (uidvalidity IS NULL))
);
-- (folder, uidvalidity, uid) is the server identity: upserts on it make sync idempotent.
CREATE UNIQUE INDEX messages_server_key ON messages(folder_id, uidvalidity, uid)
    WHERE uid IS NOT NULL;
CREATE INDEX messages_folder_date ON messages(folder_id, date DESC);
CREATE INDEX messages_account_date ON messages(account_id, date DESC);
CREATE INDEX messages_thread ON messages(thread_id);
CREATE INDEX messages_message_id ON messages(message_id);
CREATE INDEX messages_from ON messages(from_addr);
CREATE INDEX messages_folder_unseen ON messages(folder_id) WHERE seen = 0;

-- Raw RFC 5322 bytes, compressed, in their own table so list scans never page them in.
CREATE TABLE message_raw (
    message_id   INTEGER PRIMARY KEY REFERENCES messages(id) ON DELETE CASCADE,
    compression  TEXT NOT NULL CHECK (compression IN ('zstd', 'zlib', 'none')),
    data         BLOB NOT NULL
);

-- The searchable text lives here once; message_fts is an external-content index over
-- it and stores no second copy. Triggers keep the two in step.
CREATE TABLE message_text (
    id          INTEGER PRIMARY KEY REFERENCES messages(id) ON DELETE CASCADE,
    subject     TEXT NOT NULL DEFAULT '',
    sender      TEXT NOT NULL DEFAULT '',
    recipients  TEXT NOT NULL DEFAULT '',
    body        TEXT NOT NULL DEFAULT ''
);
CREATE VIRTUAL TABLE message_fts USING fts5(
    subject, sender, recipients, body,
    content='message_text', content_rowid='id',
    tokenize='unicode61 remove_diacritics 2'
);
CREATE TRIGGER message_text_ai AFTER INSERT ON message_text BEGIN
    INSERT INTO message_fts(rowid, subject, sender, recipients, body)
    VALUES (new.id, new.subject, new.sender, new.recipients, new.body);
END;
CREATE TRIGGER message_text_ad AFTER DELETE ON message_text BEGIN
    INSERT INTO message_fts(message_fts, rowid, subject, sender, recipients, body)
    VALUES ('delete', old.id, old.subject, old.sender, old.recipients, old.body);
END;
CREATE TRIGGER message_text_au AFTER UPDATE ON message_text BEGIN
    INSERT INTO message_fts(message_fts, rowid, subject, sender, recipients, body)
    VALUES ('delete', old.id, old.subject, old.sender, old.recipients, old.body);
    INSERT INTO message_fts(rowid, subject, sender, recipients, body)
    VALUES (new.id, new.subject, new.sender, new.recipients, new.body);
END;

CREATE TABLE leads (
    id                 INTEGER PRIMARY KEY,
    name               TEXT NOT NULL,
    email              TEXT NOT NULL DEFAULT '',
    company            TEXT NOT NULL DEFAULT '',
    status             TEXT NOT NULL DEFAULT 'new'
                       CHECK (status IN ('new', 'contacted', 'qualified', 'lost', 'won')),
    customer_id        INTEGER REFERENCES customers(id) ON DELETE SET NULL,
    thread_id          INTEGER UNIQUE REFERENCES threads(id) ON DELETE SET NULL,
    source_message_id  INTEGER REFERENCES messages(id) ON DELETE SET NULL,
    created_by         INTEGER REFERENCES agents(id) ON DELETE SET NULL,
    created_at         TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
);

CREATE TABLE cases (
    id                 INTEGER PRIMARY KEY,
    number             TEXT NOT NULL UNIQUE,
    subject            TEXT NOT NULL DEFAULT '',
    status             TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'pending', 'closed')),
    priority           TEXT NOT NULL DEFAULT 'normal'
                       CHECK (priority IN ('low', 'normal', 'high', 'urgent')),
    assignee_id        INTEGER REFERENCES agents(id) ON DELETE SET NULL,
    customer_id        INTEGER REFERENCES customers(id) ON DELETE SET NULL,
    source_message_id  INTEGER REFERENCES messages(id) ON DELETE SET NULL,
    created_by         INTEGER REFERENCES agents(id) ON DELETE SET NULL,
    created_at         TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    updated_at         TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
);

-- A thread belongs to at most one case; later messages of the thread follow it.
CREATE TABLE case_threads (
    case_id    INTEGER NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
    thread_id  INTEGER NOT NULL UNIQUE REFERENCES threads(id) ON DELETE CASCADE,
    PRIMARY KEY (case_id, thread_id)
);

-- account_id NULL = applies to every account.
CREATE TABLE deny_list (
    id          INTEGER PRIMARY KEY,
    account_id  INTEGER REFERENCES accounts(id) ON DELETE CASCADE,
    kind        TEXT NOT NULL CHECK (kind IN ('address', 'domain')),
    value       TEXT NOT NULL COLLATE NOCASE,
    created_by  INTEGER REFERENCES agents(id) ON DELETE SET NULL,
    created_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
);
CREATE UNIQUE INDEX deny_list_entry ON deny_list(ifnull(account_id, 0), kind, value);

-- Every effect on a server is a row here before it is attempted. idempotency_key makes
-- a retried submission of the same action a no-op.
CREATE TABLE jobs (
    id               INTEGER PRIMARY KEY,
    account_id       INTEGER REFERENCES accounts(id) ON DELETE CASCADE,
    kind             TEXT NOT NULL,
    payload          TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(payload)),
    state            TEXT NOT NULL DEFAULT 'pending'
                     CHECK (state IN ('pending', 'running', 'done', 'failed', 'cancelled')),
    attempts         INTEGER NOT NULL DEFAULT 0,
    max_attempts     INTEGER NOT NULL DEFAULT 8,
    next_attempt_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    last_error       TEXT,
    idempotency_key  TEXT UNIQUE,
    created_by       INTEGER REFERENCES agents(id) ON DELETE SET NULL,
    created_at       TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    updated_at       TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
);
CREATE INDEX jobs_due ON jobs(state, next_attempt_at);

CREATE TABLE audit_log (
    id           INTEGER PRIMARY KEY,
    at           TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    agent_id     INTEGER REFERENCES agents(id) ON DELETE SET NULL,
    action       TEXT NOT NULL,
    target_kind  TEXT NOT NULL DEFAULT '',
    target_id    INTEGER,
    detail       TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(detail))
);
CREATE INDEX audit_log_at ON audit_log(at);

-- Small key/value facts about the store itself (e.g. what built a demo store).
CREATE TABLE store_meta (
    key    TEXT PRIMARY KEY,
    value  TEXT NOT NULL
);
