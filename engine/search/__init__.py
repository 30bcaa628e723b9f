"""The search language of message listings: its operators (engine.search.operators),
parsing (engine.search.query) and safe full-text expressions (engine.search.fts)."""
