"""The operators of the search language (engine.search.query parses it), apart from the
parser, for the help texts that name them."""

TEXT_OPERATORS = ("from", "to", "subject")
SCOPE_OPERATORS = ("account", "folder")
IS_VALUES = ("unread", "read", "flagged")
HAS_VALUES = ("attachment",)
DATE_OPERATORS = ("before", "after")
OPERATORS = (*TEXT_OPERATORS, *SCOPE_OPERATORS, "is", "has", *DATE_OPERATORS)

OPERATOR_HELP = (
    "from:, to:, subject:, account:, folder:, is:unread|read|flagged, has:attachment, "
    "before:YYYY-MM-DD, after:YYYY-MM-DD"
)
