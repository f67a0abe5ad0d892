"""Strict decoders shared by every format: canonical base64 (RFC 4648 with
padding, as crypto/bytes.cc Base64Decode accepts it), decimal sizes without
leading zeros (ledger/tlog/checkpoint.cc ParseDecimal) and 32-byte hashes.
Each raises MalformedError naming `field`."""

import base64
import binascii

from .errors import MalformedError

HASH_SIZE = 32
MAX_U64 = (1 << 64) - 1


def b64decode(text, field):
    """Decodes canonical standard base64: length a multiple of 4, only the
    RFC 4648 alphabet, '=' only as padding, and zero bits past the data (so
    that each byte string has exactly one text form)."""
    if not isinstance(text, str):
        raise MalformedError(f"{field}: must be a base64 string")
    try:
        raw = base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError):
        raise MalformedError(f"{field}: not canonical base64") from None
    if base64.b64encode(raw).decode("ascii") != text:
        raise MalformedError(f"{field}: not canonical base64")
    return raw


def b64encode(raw):
    return base64.b64encode(raw).decode("ascii")


def hash32(text, field):
    """A base64 SHA-256 hash: exactly 32 bytes."""
    raw = b64decode(text, field)
    if len(raw) != HASH_SIZE:
        raise MalformedError(f"{field}: {len(raw)} bytes, not 32")
    return raw


def hash_list(value, field, max_items=64):
    """A JSON list of base64 hashes (an inclusion or consistency proof)."""
    if not isinstance(value, list):
        raise MalformedError(f"{field}: must be a list of base64 hashes")
    if len(value) > max_items:
        raise MalformedError(f"{field}: {len(value)} hashes, more than {max_items}")
    return [hash32(h, f"{field}[{i}]") for i, h in enumerate(value)]


def parse_decimal(text):
    """A u64 in decimal with no sign and no leading zero (except "0"); None
    if `text` is not one."""
    if not text or len(text) > 20 or (len(text) > 1 and text[0] == "0"):
        return None
    if not all("0" <= c <= "9" for c in text):
        return None
    value = int(text)
    return value if value <= MAX_U64 else None
