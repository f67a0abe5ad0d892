"""Which subject a listing answer is about (listings::SubjectOfQuery,
ledger/admission/validate.cc): an organisation's unified social credit code
(GB 32100) or a person's listing privateDigest (64 hex digits), and its map
key (listings_map.subject_key)."""

from .errors import MalformedError
from .listings_map import KIND_ORG, KIND_PERSON, subject_key

KINDS = {"org": KIND_ORG, "person": KIND_PERSON}
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
PROVINCES = {11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42,
             43, 44, 45, 46, 50, 51, 52, 53, 54, 61, 62, 63, 64, 65, 71, 81, 82}


def check_uscc(code):
    """Raises MalformedError with the reason unless `code` is a valid unified
    social credit code in canonical (upper-case) form."""
    if len(code) != 18:
        raise MalformedError(f'"{code}" is not 18 characters long')
    total, weight = 0, 1
    for i, c in enumerate(code):
        value = USCC_ALPHABET.find(c)
        if value < 0:
            raise MalformedError(
                f'"{code}" has a character outside the GB 32100 set (0-9 and upper-case A-Z without I, O, Z, S, V) '
                f"at position {i + 1}"
            )
        if 2 <= i < 8 and not c.isdigit():
            raise MalformedError(f'"{code}" must have digits at positions 3-8 (administrative division code)')
        if i < 17:
            total += value * weight
            weight = weight * 3 % 31
    division = code[2:8]
    if division != "100000" and int(division[:2]) not in PROVINCES:
        raise MalformedError(
            f'"{code}" has no administrative division code at positions 3-8: "{division}" does not start '
            "with a province-level code (GB/T 2260), and is not 100000 (national level)"
        )
    want = USCC_ALPHABET[(31 - total % 31) % 31]
    if code[17] != want:
        raise MalformedError(f'"{code}" has a bad check character (want {want})')


def normalize_id(kind, typed):
    """The canonical id for what a person typed: white space trimmed, a code
    upper-cased, a digest in lower-case hex. MalformedError naming the id."""
    text = typed.strip(" \t\r\n")
    if kind == "org":
        code = "".join(chr(ord(c) - 32) if "a" <= c <= "z" else c for c in text)
        try:
            check_uscc(code)
        except MalformedError as e:
            raise MalformedError(f"id: {e}") from None
        return code
    if kind == "person":
        if len(text) != 64 or not all(c in "0123456789abcdefABCDEF" for c in text):
            raise MalformedError("id: a person is named by the hex privateDigest of the listing (64 hex digits)")
        return text.lower()
    raise MalformedError(f'kind: "{kind}" is not org or person')


def key_of(kind, canonical_id):
    """The map key of a subject given by its canonical id."""
    if kind == "org":
        return subject_key(KIND_ORG, canonical_id.encode("ascii"))
    return subject_key(KIND_PERSON, bytes.fromhex(canonical_id))
