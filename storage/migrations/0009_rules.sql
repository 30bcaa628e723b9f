-- Rules on arrival: a mailbox's processing mode, its auto-response rules and move
-- filters, out-of-office replies, the auto-responses sent (for the per-sender limits),
-- the inbox mail still waiting for its rules, and what the rules did with each message.

-- What the first message of each new thread in the mailbox becomes; set when changed,
-- so mail that arrived before the mode was chosen is left alone.
ALTER TABLE accounts ADD COLUMN processing_mode TEXT NOT NULL DEFAULT 'none'
    CHECK (processing_mode IN ('none', 'lead', 'case'));
ALTER TABLE accounts ADD COLUMN processing_mode_since TEXT;

-- An auto-response rule ('respond') or a move filter ('filter') of one mailbox. All its
-- conditions must hold; another rule is the OR. `conditions` is a JSON list of
-- {"field", "op", "value", "header"}; `actions` a JSON list of filter actions.
CREATE TABLE rules (
    id           INTEGER PRIMARY KEY,
    account_id   INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    name         TEXT NOT NULL CHECK (name <> ''),
    kind         TEXT NOT NULL CHECK (kind IN ('respond', 'filter')),
    active       INTEGER NOT NULL DEFAULT 0 CHECK (active IN (0, 1)),
    position     INTEGER NOT NULL DEFAULT 0,
    conditions   TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(conditions)),
    actions      TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(actions)),
    folder       TEXT,   -- a filter's 'move' target
    subject      TEXT NOT NULL DEFAULT '',  -- a response's subject template
    body         TEXT NOT NULL DEFAULT '',  -- a response's template, unless template_id
    format       TEXT NOT NULL DEFAULT 'plain' CHECK (format IN ('plain', 'html')),
    template_id  INTEGER REFERENCES templates(id) ON DELETE RESTRICT,
    period_days  INTEGER NOT NULL DEFAULT 4 CHECK (period_days BETWEEN 1 AND 365),
    enabled_at   TEXT,   -- when it was last switched on: older mail never fires it
    created_by   INTEGER REFERENCES agents(id) ON DELETE SET NULL,
    updated_by   INTEGER REFERENCES agents(id) ON DELETE SET NULL,
    created_at   TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    updated_at   TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    UNIQUE (account_id, name)
);
CREATE INDEX rules_by_template ON rules(template_id) WHERE template_id IS NOT NULL;

-- Out of office: an agent's (for the personal mailboxes it owns) or a mailbox's.
CREATE TABLE out_of_office (
    id           INTEGER PRIMARY KEY,
    agent_id     INTEGER UNIQUE REFERENCES agents(id) ON DELETE CASCADE,
    account_id   INTEGER UNIQUE REFERENCES accounts(id) ON DELETE CASCADE,
    starts       TEXT NOT NULL,
    ends         TEXT NOT NULL,
    subject      TEXT NOT NULL DEFAULT '',
    body         TEXT NOT NULL DEFAULT '',
    format       TEXT NOT NULL DEFAULT 'plain' CHECK (format IN ('plain', 'html')),
    template_id  INTEGER REFERENCES templates(id) ON DELETE RESTRICT,
    updated_by   INTEGER REFERENCES agents(id) ON DELETE SET NULL,
    updated_at   TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    CHECK ((agent_id IS NULL) <> (account_id IS NULL)),
    CHECK (starts < ends)
);

-- Every auto-response queued: once per sender per rule per period, once per sender per
-- out-of-office period, and the cap per sender across the store are counted here.
CREATE TABLE auto_responses (
    id           INTEGER PRIMARY KEY,
    account_id   INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    rule_id      INTEGER REFERENCES rules(id) ON DELETE SET NULL,
    ooo_id       INTEGER REFERENCES out_of_office(id) ON DELETE SET NULL,
    recipient    TEXT NOT NULL COLLATE NOCASE,
    message_id   INTEGER REFERENCES messages(id) ON DELETE SET NULL,
    outgoing_id  INTEGER REFERENCES outgoing(id) ON DELETE SET NULL,
    sent_at      TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
);
CREATE INDEX auto_responses_recipient ON auto_responses(recipient, sent_at);

-- Inbox mail that arrived after the first import and waits for its rules: queued with
-- the message's headers, taken off in the transaction that applies the rules.
CREATE TABLE rule_queue (
    message_id  INTEGER PRIMARY KEY REFERENCES messages(id) ON DELETE CASCADE,
    account_id  INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE
);
CREATE INDEX rule_queue_account ON rule_queue(account_id);

-- What the rules did with a message, and why ("Why?").
CREATE TABLE rule_outcomes (
    id           INTEGER PRIMARY KEY,
    message_id   INTEGER NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
    rule_id      INTEGER REFERENCES rules(id) ON DELETE SET NULL,
    source       TEXT NOT NULL CHECK (source IN ('mode', 'filter', 'respond', 'ooo')),
    name         TEXT NOT NULL,
    matched      INTEGER NOT NULL CHECK (matched IN (0, 1)),
    fired        INTEGER NOT NULL CHECK (fired IN (0, 1)),
    detail       TEXT NOT NULL,
    outgoing_id  INTEGER REFERENCES outgoing(id) ON DELETE SET NULL,
    at           TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
);
CREATE INDEX rule_outcomes_message ON rule_outcomes(message_id);
