-- Covering indexes for message listings (storage/listing.py). Every column a listing
-- filters on without the search index is in them, so a count or a deep page walks index
-- entries only and reads table rows for the page it returns. (date, id) is the list order.

-- Unified folders and "all": walked in list order, filtered as it goes.
CREATE INDEX messages_list_date ON messages(
    date, id, folder_id, account_id, deleted, seen, flagged, has_attachments, thread_id
);

-- One folder: list order within the folder. Replaces messages_folder_date (its prefix).
CREATE INDEX messages_list_folder ON messages(
    folder_id, date, id, account_id, deleted, seen, flagged, has_attachments, thread_id
);
DROP INDEX messages_folder_date;

-- Conversation listings: the newest message of a thread and its count, per thread.
-- Replaces messages_thread (its prefix).
CREATE INDEX messages_list_thread ON messages(
    thread_id, date, id, folder_id, account_id, deleted, seen, flagged, has_attachments
);
DROP INDEX messages_thread;
