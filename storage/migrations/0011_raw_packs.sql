-- The bodies a sync fetches in bulk are kept in pack files beside the database (one per
-- batch, written once), not in message_raw's pages: in the database they were written
-- twice, to the WAL and again at each checkpoint. A packed row keeps its codec and an
-- empty `data`; pack, pack_offset and pack_length say where its bytes are.
ALTER TABLE message_raw ADD COLUMN pack TEXT;
ALTER TABLE message_raw ADD COLUMN pack_offset INTEGER;
ALTER TABLE message_raw ADD COLUMN pack_length INTEGER;
CREATE INDEX message_raw_pack ON message_raw(pack, pack_length) WHERE pack IS NOT NULL;

-- Every pack file a committed transaction refers to. A file not listed here is a batch
-- whose transaction never committed (the engine was killed): the engine removes it.
-- A listed pack that no row refers to any more is removed by whoever sweeps next.
CREATE TABLE raw_packs (
    name  TEXT PRIMARY KEY,
    size  INTEGER NOT NULL
);
