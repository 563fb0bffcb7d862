"""The short code on each row of a roster: it names one person on one tour, to this season only.

A factory returns its roster with the check-in column ticked, but often sorted
by name, filtered, or with rows copied between sheets. The code lets every
returned row be matched to its person and tour whatever was done to the order.

It must not tell anyone who the person is. A plain hash of the VK ID and the
tour would: VK IDs are numbers below 10¹⁰, so trying them all takes minutes.
The code is therefore an HMAC under a random key that only the season's
database holds (made by the schema step that added the codes), cut to
:data:`CODE_LENGTH` Crockford base-32 characters (30 bits). It is stable: the
same person and tour always get the same code within the season.

Two people of one tour share a code with odds of about n²/2³¹ (two in a
million for a tour of 60); the attendance import refuses such a row as
ambiguous rather than guess.
"""

from __future__ import annotations

import hashlib
import hmac
import unicodedata

CODE_KEY_META = "visitor_code_key"
CODE_LENGTH = 6
# Crockford's base 32: no I, L, O or U, so that a code read aloud or retyped is not misread.
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
# What people type instead: lower case is folded first; then Crockford's own substitutions and the Cyrillic
# letters that look like Latin ones (a code retyped on a Russian keyboard).
_SAME_AS = str.maketrans({"O": "0", "I": "1", "L": "1", "А": "A", "В": "B", "С": "C", "Е": "E", "Н": "H",
                          "К": "K", "М": "M", "О": "0", "Р": "P", "Т": "T", "Х": "X", "У": "Y", "З": "3"})
_SEPARATORS = str.maketrans("", "", " -_.\u00a0")


def visitor_code(key: str, registrant_id: str, tour_id: str) -> str:
    """The code of this person on this tour, under the season's key."""
    digest = hmac.new(bytes.fromhex(key), f"{tour_id}\x1f{registrant_id}".encode(), hashlib.sha256).digest()
    number = int.from_bytes(digest[:4], "big") >> (32 - 5 * CODE_LENGTH)
    return "".join(ALPHABET[(number >> (5 * i)) & 31] for i in reversed(range(CODE_LENGTH)))


def normalise_code(text: object) -> str:
    """A code as typed or read back, in the form :func:`visitor_code` gives; "" when it cannot be one."""
    if text is None:
        return ""
    if isinstance(text, float) and text.is_integer():
        text = int(text)
    cleaned = unicodedata.normalize("NFKC", str(text)).upper().translate(_SEPARATORS).translate(_SAME_AS)
    if isinstance(text, int) and len(cleaned) < CODE_LENGTH:
        # A code of digits only that Excel stored as a number lost its leading zeros.
        cleaned = cleaned.zfill(CODE_LENGTH)
    if len(cleaned) != CODE_LENGTH or any(ch not in ALPHABET for ch in cleaned):
        return ""
    return cleaned
