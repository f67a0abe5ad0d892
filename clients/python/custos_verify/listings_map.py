"""The listings map (docs/listings-map.md, ledger/listings/listings_map.cc):
a sparse Merkle tree of 256 levels over SHA-256 from subject keys to the
digest of a subject's live listings, its root in every checkpoint's
"listings" line.

    subject key      = SHA-256("custos/subject/v1" || kind (1) || len(id) (u32 BE) || id)
    leaf(key, value) = SHA-256(0x00 || key || value)
    interior(l, r)   = SHA-256(0x01 || l || r)
    empty[0]         = 32 zero bytes; empty[h + 1] = interior(empty[h], empty[h])
    value            = SHA-256("custos/listing-state/v1" || n (u32 BE) || (index (u64 BE) || leaf hash)^n)

Read a key as a 256-bit big-endian integer K: at height h the path goes
right iff bit h of K is 1. A proof carries a 32-byte bitmap B (bit h set iff
the sibling at height h is not empty[h]) and the non-empty siblings, lowest
height first.
"""

import hashlib
from dataclasses import dataclass
from typing import Optional

from .errors import MalformedError, VerificationError

MAP_HEIGHT = 256
SUBJECT_DOMAIN = b"custos/subject/v1"
STATE_DOMAIN = b"custos/listing-state/v1"
KIND_ORG = 0  # PartyKind.unifiedSocialCreditCode
KIND_PERSON = 1  # PartyKind.residentId (keyed by the listing's privateDigest)


def _h(*parts):
    return hashlib.sha256(b"".join(parts)).digest()


def interior(left, right):
    return _h(b"\x01", left, right)


def map_leaf(key, value):
    return _h(b"\x00", key, value)


EMPTY = [bytes(32)]
for _h_ in range(MAP_HEIGHT):
    EMPTY.append(interior(EMPTY[_h_], EMPTY[_h_]))
del _h_


def subject_key(kind, subject_id):
    """The map key of a subject: `kind` KIND_ORG or KIND_PERSON, `subject_id`
    the id's bytes (a code's ASCII, or a person's 32-byte privateDigest)."""
    return _h(SUBJECT_DOMAIN, bytes([kind]), len(subject_id).to_bytes(4, "big"), bytes(subject_id))


def listing_state_digest(live):
    """The map value of a subject's live listings, `live` a list of
    (index, leaf hash) in index order."""
    parts = [STATE_DOMAIN, len(live).to_bytes(4, "big")]
    for index, leaf in live:
        parts += [index.to_bytes(8, "big"), leaf]
    return _h(*parts)


@dataclass(frozen=True)
class MapProof:
    key: bytes
    value: Optional[bytes]  # None: not listed
    bitmap: bytes  # 32 bytes
    siblings: tuple

    def has_sibling(self, height):
        return (int.from_bytes(self.bitmap, "big") >> height) & 1 == 1


def root_from_map_proof(proof):
    """The root `proof` implies. MalformedError if the sibling count is not
    the bitmap's or a sibling is the empty hash its bit should leave out."""
    want = bin(int.from_bytes(proof.bitmap, "big")).count("1")
    if len(proof.siblings) != want:
        raise MalformedError(f"map proof: {len(proof.siblings)} sibling hashes, the bitmap announces {want}")
    k = int.from_bytes(proof.key, "big")
    node = map_leaf(proof.key, proof.value) if proof.value is not None else EMPTY[0]
    siblings = iter(proof.siblings)
    for h in range(MAP_HEIGHT):
        sibling = EMPTY[h]
        if proof.has_sibling(h):
            sibling = next(siblings)
            if sibling == EMPTY[h]:
                raise MalformedError(f"map proof: sibling at height {h} is the empty hash; its bitmap bit must be clear")
        node = interior(sibling, node) if (k >> h) & 1 else interior(node, sibling)
    return node


def _describe(value):
    return f"listed with value {value.hex()}" if value is not None else "not listed"


def verify_map_proof(root, key, value, proof):
    """Raises unless `proof` shows `key` mapped to `value` (None: absent) in
    the map whose root is `root` (VerifyMapProof, same messages)."""
    if proof.key != key:
        raise VerificationError(f"map proof: the proof is for subject key {proof.key.hex()}, not {key.hex()}")
    if proof.value != value:
        raise VerificationError(
            f"map proof: the proof shows the subject {_describe(proof.value)}, the claim is {_describe(value)}"
        )
    computed = root_from_map_proof(proof)
    if computed != root:
        raise VerificationError(
            f"map proof: computed root {computed.hex()} does not match root {root.hex()} "
            "(a stale root, or an altered sibling hash)"
        )
