"""The search language of message listings: parsing, and safe full-text expressions."""

from engine.search.fts import all_of, any_of, fts_string
from engine.search.query import OPERATOR_HELP, SearchQuery, parse_query

__all__ = ["OPERATOR_HELP", "SearchQuery", "all_of", "any_of", "fts_string", "parse_query"]
