"""Text a submission controls, made safe to print in a terminal and to open in a spreadsheet.

Exception messages and verdicts quote what students wrote; :func:`clean` puts them on one line
without control characters (terminal escapes, bidi overrides), and :func:`csv_cell` also stops a
spreadsheet from reading a cell as a formula.
"""
import re

_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]")


def clean(text, limit=300):
    """``text`` on one line without control characters (terminal escapes, bidi overrides), at most ``limit`` chars."""
    text = " ".join(_CONTROL.sub(" ", str(text)).split())
    return text if len(text) <= limit else text[:limit - 3] + "..."


def csv_cell(text, limit=2000):
    """:func:`clean`, and a leading ``'`` if a spreadsheet would read the cell as a formula."""
    text = clean(text, limit)
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text
