"""C2SP signed notes (c2sp.org/signed-note), verifier keys, tlog-checkpoint
bodies (c2sp.org/tlog-checkpoint) and cosignature/v1 lines
(c2sp.org/tlog-cosignature), as crypto/note.cc, crypto/cosignature.cc and
ledger/tlog/checkpoint.cc read them (docs/checkpoint-format.md):

    <origin>\\n<tree size>\\n<base64 root>\\n[<extension line>\\n]...
    \\n
    — <key name> <base64(key id (4) || signature)>\\n      (one or more)

A key id is SHA-256(name || 0x0A || alg || public key)[:4]; alg 0x01 is a
note signer (Ed25519 over the text), alg 0x04 a cosignature/v1 witness
(Ed25519 over "cosignature/v1\\ntime <T>\\n" || text, the line carrying
key id || T (8 bytes, big-endian) || signature).
"""

import hashlib
from dataclasses import dataclass, field

from . import ed25519
from .encoding import b64decode, b64encode, parse_decimal, HASH_SIZE
from .errors import MalformedError, VerificationError

ALG_ED25519 = 0x01
ALG_COSIGNATURE_V1 = 0x04

# As Go's note.Open and crypto/note.h: a note of at most 1 MiB, 100 signatures.
MAX_NOTE_BYTES = 1 << 20
MAX_NOTE_SIGNATURES = 100
# The timestamp of a cosignature is at most 2^63 - 1 (c2sp.org/tlog-cosignature).
MAX_TIMESTAMP = (1 << 63) - 1

SIGNATURE_PREFIX = "\u2014 "  # em dash, space
LISTINGS_KEYWORD = "listings"  # docs/checkpoint-format.md, "The listings line"

# Unicode White_Space, the set Go's unicode.IsSpace uses (crypto/note.cc).
_SPACES = set("\t\n\v\f\r \x85\xa0\u1680\u2028\u2029\u202f\u205f\u3000") | {
    chr(c) for c in range(0x2000, 0x200B)
}


def key_id(name, alg, public_key):
    """The 32-bit key id of a note key (big-endian first 4 bytes)."""
    digest = hashlib.sha256(name.encode("utf-8") + b"\n" + bytes([alg]) + public_key).digest()
    return int.from_bytes(digest[:4], "big")


def is_valid_key_name(name):
    """Non-empty, valid UTF-8, no '+', no Unicode space, no control (C0, DEL, C1)."""
    if not name or not _is_utf8(name):
        return False
    return not any(c == "+" or c in _SPACES or ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F for c in name)


def _is_utf8(text):
    try:
        text.encode("utf-8")  # a lone surrogate (from a JSON escape) is not UTF-8
        return True
    except UnicodeEncodeError:
        return False


def _is_valid_note_text(text):
    """Valid UTF-8 and no ASCII control character but newline (so no NUL)."""
    return _is_utf8(text) and not any(ord(c) < 0x20 and c != "\n" for c in text)


@dataclass(frozen=True)
class VerifierKey:
    """A note verifier key "<name>+<8 hex key id>+<base64(alg || key)>"."""

    name: str
    key_id: int
    alg: int
    public_key: bytes

    @staticmethod
    def for_key(name, public_key, alg=ALG_ED25519):
        return VerifierKey(name, key_id(name, alg, public_key), alg, bytes(public_key))

    @staticmethod
    def parse(text, field="verifier key"):
        """Parses a verifier key of alg 0x01 or 0x04 with a 32-byte Ed25519
        key; MalformedError naming the part that is wrong, as
        NoteVerifier::Parse."""
        if not isinstance(text, str):
            raise MalformedError(f"{field}: must be a string")
        name, _, rest = text.partition("+")
        hex_id, _, material_b64 = rest.partition("+")
        if not is_valid_key_name(name):
            raise MalformedError(f"{field}: invalid key name")
        if len(hex_id) != 8 or not all(c in "0123456789abcdefABCDEF" for c in hex_id):
            raise MalformedError(f"{field}: key id is not 8 hex digits")
        try:
            material = b64decode(material_b64, field)
        except MalformedError:
            raise MalformedError(f"{field}: key is not canonical base64") from None
        if len(material) != 1 + ed25519.PUBLIC_KEY_SIZE:
            raise MalformedError(f"{field}: key is not 33 bytes (alg || Ed25519 key)")
        alg = material[0]
        if alg not in (ALG_ED25519, ALG_COSIGNATURE_V1):
            raise MalformedError(f"{field}: unsupported key type {alg}")
        key = VerifierKey.for_key(name, material[1:], alg)
        if key.key_id != int(hex_id, 16):
            raise MalformedError(f"{field}: key id does not match name and key")
        return key

    def label(self):
        """"<name>+<key id>", the way error messages name a key."""
        return f"{self.name}+{self.key_id:08x}"

    def __str__(self):
        return f"{self.label()}+{b64encode(bytes([self.alg]) + self.public_key)}"


@dataclass(frozen=True)
class NoteSignature:
    name: str
    key_id: int
    signature: bytes  # everything after the key id

    def line(self):
        raw = self.key_id.to_bytes(4, "big") + self.signature
        return f"{SIGNATURE_PREFIX}{self.name} {b64encode(raw)}\n"


@dataclass(frozen=True)
class Note:
    text: str  # ends with "\n"
    signatures: tuple

    def serialize(self):
        return self.text + "\n" + "".join(s.line() for s in self.signatures)

    @staticmethod
    def parse(message):
        """Splits a signed note into its text and signature lines, verifying
        nothing. The text ends at the last blank line. MalformedError "note:
        …" on anything Note::Parse refuses."""
        if isinstance(message, (bytes, bytearray)):
            try:
                message = bytes(message).decode("utf-8")
            except UnicodeDecodeError:
                raise MalformedError("note: not UTF-8 or holds a control character") from None
        if not isinstance(message, str):
            raise MalformedError("note: must be text")
        if not _is_valid_note_text(message):
            raise MalformedError("note: not UTF-8 or holds a control character")
        if len(message.encode("utf-8")) > MAX_NOTE_BYTES:
            raise MalformedError("note: larger than 1 MiB")
        split = message.rfind("\n\n")
        if split < 0:
            raise MalformedError("note: no blank line before the signatures")
        block = message[split + 2:]
        if not block or not block.endswith("\n"):
            raise MalformedError("note: signature block is empty or does not end with a newline")
        lines = block[:-1].split("\n")
        if len(lines) > MAX_NOTE_SIGNATURES:
            raise MalformedError("note: more than 100 signatures")
        return Note(message[: split + 1], tuple(_parse_signature_line(line) for line in lines))


def _parse_signature_line(line):
    if not line.startswith(SIGNATURE_PREFIX):
        raise MalformedError("note: signature line does not start with an em dash and a space")
    name, _, sig_b64 = line[len(SIGNATURE_PREFIX):].partition(" ")
    if not is_valid_key_name(name):
        raise MalformedError("note: invalid key name in signature line")
    try:
        raw = b64decode(sig_b64, "signature") if sig_b64 else b""
    except MalformedError:
        raw = b""
    if len(raw) < 5:
        raise MalformedError(f"note: bad base64 signature for key {name}")
    return NoteSignature(name, int.from_bytes(raw[:4], "big"), raw[4:])


def _is_by(sig, key):
    return sig.name == key.name and sig.key_id == key.key_id


def open_note(message, verifier):
    """Parses `message` and verifies it against a note signer key (alg 0x01):
    every signature line by that key (name and key id) must verify, and there
    must be at least one. Lines by other keys are kept, unchecked.
    VerificationError "note: invalid signature for key …" / "note: no
    signature by key …"; MalformedError if the note does not parse."""
    if verifier.alg != ALG_ED25519:
        raise MalformedError(f"note verifier {verifier.name}: not an Ed25519 (0x01) key")
    note = Note.parse(message)
    text = note.text.encode("utf-8")
    verified = 0
    for sig in note.signatures:
        if not _is_by(sig, verifier):
            continue  # someone else's
        # Every signature by the known key must verify, not just one of them.
        if not ed25519.verify(verifier.public_key, text, sig.signature):
            raise VerificationError(f"note: invalid signature for key {verifier.label()}")
        verified += 1
    if verified == 0:
        raise VerificationError(f"note: no signature by key {verifier.label()}")
    return note


def cosigned_message(text, timestamp):
    """What a cosignature/v1 signature covers."""
    return f"cosignature/v1\ntime {timestamp}\n{text}".encode("utf-8")


def verify_cosignature(text, sig, witness):
    """Checks one cosignature line by `witness` (an alg 0x04 key) on the note
    text `text`; returns its timestamp. VerificationError "cosignature by W:
    …" if the field is not 72 bytes, the time is above 2^63 - 1 or the
    signature does not verify."""
    if witness.alg != ALG_COSIGNATURE_V1:
        raise MalformedError(f"witness key {witness.name}: not a cosignature/v1 (0x04) key")
    if not _is_by(sig, witness):
        raise MalformedError(f"cosignature is not by witness {witness.name}")
    if len(sig.signature) != 8 + ed25519.SIGNATURE_SIZE:
        raise VerificationError(f"cosignature by {witness.name}: not 72 bytes")
    timestamp = int.from_bytes(sig.signature[:8], "big")
    if timestamp > MAX_TIMESTAMP:
        raise VerificationError(f"cosignature by {witness.name}: timestamp above 2^63 - 1")
    if not ed25519.verify(witness.public_key, cosigned_message(text, timestamp), sig.signature[8:]):
        raise VerificationError(f"cosignature by {witness.name}: signature does not verify")
    return timestamp


@dataclass(frozen=True)
class Checkpoint:
    origin: str
    size: int
    root: bytes
    extensions: tuple = field(default_factory=tuple)  # lines without their "\n"

    def format(self):
        return "".join(f"{line}\n" for line in (self.origin, str(self.size), b64encode(self.root), *self.extensions))

    @staticmethod
    def parse(text):
        """Strict, as Checkpoint::Parse: a non-empty origin, a decimal size
        without leading zeros, canonical base64 of 32 bytes, non-empty
        extension lines, every line ending in a newline. MalformedError
        "checkpoint: …"."""
        lines = text.split("\n")
        unterminated = lines.pop() != ""  # text after the last newline
        if not lines or not lines[0]:
            raise MalformedError("checkpoint: missing origin line")
        if len(lines) < 2 or parse_decimal(lines[1]) is None:
            raise MalformedError("checkpoint: second line is not a tree size")
        if len(lines) < 3:
            raise MalformedError("checkpoint: missing root hash line")
        try:
            root = b64decode(lines[2], "checkpoint root")
        except MalformedError:
            root = b""
        if len(root) != HASH_SIZE:
            raise MalformedError("checkpoint root: not a base64 SHA-256 hash")
        extensions = lines[3:]
        if unterminated or any(not line for line in extensions):
            raise MalformedError("checkpoint: malformed extension line")
        return Checkpoint(lines[0], parse_decimal(lines[1]), root, tuple(extensions))

    def listings_root(self):
        """The 32-byte root of the "listings" extension line, or None if
        there is none; MalformedError for two lines or a root that is not
        canonical base64 of 32 bytes (ListingsRootOf)."""
        prefix = LISTINGS_KEYWORD + " "
        root = None
        for line in self.extensions:
            if not line.startswith(prefix):
                continue
            if root is not None:
                raise MalformedError('checkpoint: two "listings" lines')
            try:
                root = b64decode(line[len(prefix):], "listings")
            except MalformedError:
                root = b""
            if len(root) != HASH_SIZE:
                raise MalformedError('checkpoint: the "listings" line does not hold a base64 SHA-256 root')
        return root
