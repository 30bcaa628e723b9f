-- Agents, access and admin defaults; mirroring drafts to the server.

-- OS users allowed to name the acting agent with --agent (a shared SSH login whose
-- authorized_keys forced commands say which agent each key belongs to).
CREATE TABLE agent_gateways (
    os_user     TEXT PRIMARY KEY,
    added_by    INTEGER REFERENCES agents(id) ON DELETE SET NULL,
    created_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
);

-- Addresses an admin assigned to an agent, besides the agent's own email: an agent may
-- add a personal account only for an address it owns.
CREATE TABLE agent_addresses (
    address      TEXT PRIMARY KEY COLLATE NOCASE,
    agent_id     INTEGER NOT NULL REFERENCES agents(id) ON DELETE CASCADE,
    assigned_by  INTEGER REFERENCES agents(id) ON DELETE SET NULL,
    created_at   TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
);
CREATE INDEX agent_addresses_by_agent ON agent_addresses(agent_id);

-- IMAP settings an admin sets for the whole store: a personal account that leaves one of
-- these empty uses the value here (one row at most).
CREATE TABLE imap_defaults (
    id                   INTEGER PRIMARY KEY CHECK (id = 1),
    host                 TEXT,
    port                 INTEGER,
    security             TEXT CHECK (security IN ('ssl', 'starttls', 'none')),
    verify_cert          INTEGER CHECK (verify_cert IN (0, 1)),
    ca_file              TEXT,
    check_every_minutes  INTEGER CHECK (check_every_minutes > 0),
    updated_by           INTEGER REFERENCES agents(id) ON DELETE SET NULL,
    updated_at           TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
);

-- The audit log is read per agent (an agent sees its own rows) and per target.
CREATE INDEX audit_log_agent ON audit_log(agent_id, id);
CREATE INDEX audit_log_target ON audit_log(target_kind, target_id);

-- Drafts of a personal account can be mirrored to its Drafts folder on the server, for
-- other mail clients of its owner; off unless the owner turns it on.
ALTER TABLE accounts ADD COLUMN mirror_drafts INTEGER NOT NULL DEFAULT 0
    CHECK (mirror_drafts IN (0, 1));
