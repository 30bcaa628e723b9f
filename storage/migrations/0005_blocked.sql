-- Blocked mail is hidden, not destroyed: a message from a sender or domain on the deny
-- list keeps its row with blocked = 1, and listings and folder counts skip it. Removing
-- the deny-list entry shows it again.
ALTER TABLE messages ADD COLUMN blocked INTEGER NOT NULL DEFAULT 0
    CHECK (blocked IN (0, 1));

-- Listings filter on blocked, so the covering indexes of 0003 and 0004 carry it (right
-- after deleted) and counts keep walking index entries only. Dropped before the update
-- below, so marking stored mail does not maintain them row by row.
DROP INDEX messages_list_date;
DROP INDEX messages_list_folder;
DROP INDEX messages_list_thread;
DROP INDEX messages_list_text;

-- Entries made before this migration hid nothing: apply them to the mail already stored.
-- An entry covers a message of its account (every account when account_id is NULL):
-- an address entry the same address, a domain entry the address's domain or any
-- subdomain of it (storage/deny.py holds the same rule).
UPDATE messages SET blocked = 1
 WHERE EXISTS (
    SELECT 1 FROM deny_list AS d
     WHERE (d.account_id IS NULL OR d.account_id = messages.account_id)
       AND ((d.kind = 'address' AND d.value = messages.from_addr)
            OR (d.kind = 'domain' AND instr(messages.from_addr, '@') > 0
                AND substr(lower(messages.from_addr), -length(d.value) - 1)
                    IN ('@' || lower(d.value), '.' || lower(d.value))))
 );

CREATE INDEX messages_list_date ON messages(
    date, id, folder_id, account_id, deleted, blocked, seen, flagged, has_attachments,
    thread_id
);
CREATE INDEX messages_list_folder ON messages(
    folder_id, date, id, account_id, deleted, blocked, seen, flagged, has_attachments,
    thread_id
);
CREATE INDEX messages_list_thread ON messages(
    thread_id, date, id, folder_id, account_id, deleted, blocked, seen, flagged,
    has_attachments
);
CREATE INDEX messages_list_text ON messages(
    date, id, folder_id, account_id, deleted, blocked, seen, flagged, has_attachments,
    thread_id, from_addr, from_name, subject, to_addrs, cc_addrs
);
