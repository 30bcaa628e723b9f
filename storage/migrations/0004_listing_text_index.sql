-- A covering index for listings that filter on sender, recipients or subject text
-- (search's from:, to:, subject:). Those filters are substring matches that no B-tree
-- can seek, so a listing walks every candidate row; with the text in the index entry it
-- walks index entries only, instead of reading each message row. (date, id) is the list
-- order, as in messages_list_date, which plain listings keep using: its entries are a
-- quarter of the size.
CREATE INDEX messages_list_text ON messages(
    date, id, folder_id, account_id, deleted, seen, flagged, has_attachments, thread_id,
    from_addr, from_name, subject, to_addrs, cc_addrs
);
