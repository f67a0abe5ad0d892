"""The listings map (custos_verify.listings_map, subject): the known answers
of docs/listings-map.md, its two example text proofs, and a proof checked
against a map built here by full recursion."""

import base64
import hashlib
import unittest

from custos_verify.errors import MalformedError, VerificationError
from custos_verify.listings_map import (
    EMPTY, KIND_ORG, KIND_PERSON, MapProof, interior, listing_state_digest, map_leaf, root_from_map_proof,
    subject_key, verify_map_proof,
)
from custos_verify.subject import check_uscc, key_of, normalize_id

KEY_ORG = bytes.fromhex("3e19de314eea667553c951bd4dbc7013e6d5a364200c8e502a967ecca8c08243")
KEY_PERSON = bytes.fromhex("4a9ac601dbb6dd2cfa12b709a7001c6d450c244c26dfb3e86e68fad4149ee451")
VALUE_1 = hashlib.sha256(b"listing-1").digest()
VALUE_2 = hashlib.sha256(b"listing-2").digest()
ROOT_TWO = bytes.fromhex("77c3c18a9aa3e579a8397efec57ccc81ed519bbcb0da941db9a35e7f1961a68b")
ROOT_ONE = bytes.fromhex("a77b1caf94a00b9840545b483dc5e4987aba5e0989f64d6d9ee17e42e0851452")
EMPTY_MAP = bytes.fromhex("6155289130893872355eac98042d22aefa2c2e708bea169402760e3b55f9a2dc")


def b64(s):
    return base64.b64decode(s)


def full_root(entries, height=256, prefix=0):
    """The map's root by the definition alone: recursion over the keys under
    the node at `height` whose path so far is `prefix`."""
    if not entries:
        return EMPTY[height]
    if height == 0:
        (key, value), = entries.items()
        return map_leaf(key, value)
    bit = height - 1
    left = {k: v for k, v in entries.items() if not (int.from_bytes(k, "big") >> bit) & 1}
    right = {k: v for k, v in entries.items() if (int.from_bytes(k, "big") >> bit) & 1}
    return interior(full_root(left, height - 1), full_root(right, height - 1))


class Keys(unittest.TestCase):
    def test_subject_keys_of_the_table(self):
        self.assertEqual(subject_key(KIND_ORG, b"91350100M000100Y43"), KEY_ORG)
        self.assertEqual(subject_key(KIND_PERSON, b"11010519491231002X"), KEY_PERSON)
        self.assertEqual(key_of("org", "91350100M000100Y43"), KEY_ORG)

    def test_a_person_is_keyed_by_the_digest_bytes(self):
        digest = "ab" * 32
        self.assertEqual(key_of("person", digest), subject_key(KIND_PERSON, bytes.fromhex(digest)))

    def test_codes_are_read_as_typed_and_checked(self):
        self.assertEqual(normalize_id("org", " 91320583ma1wr6t306\n"), "91320583MA1WR6T306")
        self.assertEqual(normalize_id("person", "AB" * 32), "ab" * 32)
        with self.assertRaisesRegex(MalformedError, r"bad check character \(want 6\)"):
            check_uscc("91320583MA1WR6T307")
        with self.assertRaisesRegex(MalformedError, "not 18 characters"):
            normalize_id("org", "9132")
        with self.assertRaisesRegex(MalformedError, "administrative division"):
            check_uscc("91000000MA1WR6T306")
        with self.assertRaisesRegex(MalformedError, "64 hex digits"):
            normalize_id("person", "11010519491231002X")


class Roots(unittest.TestCase):
    def test_the_empty_map(self):
        self.assertEqual(EMPTY[256], EMPTY_MAP)
        self.assertEqual(base64.b64encode(EMPTY[256]).decode(), "YVUokTCJOHI1XqyYBC0irvosLnCL6haUAnYOO1X5otw=")

    def test_the_documented_roots_by_full_recursion(self):
        self.assertEqual(full_root({KEY_ORG: VALUE_1}), ROOT_ONE)
        self.assertEqual(full_root({KEY_ORG: VALUE_1, KEY_PERSON: VALUE_2}), ROOT_TWO)

    def test_listing_state_digest(self):
        leaf = bytes(range(32))
        want = hashlib.sha256(b"custos/listing-state/v1" + (1).to_bytes(4, "big") + (7).to_bytes(8, "big") + leaf)
        self.assertEqual(listing_state_digest([(7, leaf)]), want.digest())


class DocumentedProofs(unittest.TestCase):
    LISTED = MapProof(b64("PhneMU7qZnVTyVG9TbxwE+bVo2QgDI5QKpZ+zKjAgkM="), b64("4l5X3ChR/RfnOg8mIzY6/Z82v0du6dZT8sPfpwv+t4M="),
                      b64("QAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="),
                      (b64("IRWjtxxjI+ROmASHNrSszVM8bRRaoDLXnuFjPq3YWDI="),))
    ABSENT = MapProof(b64("C/gUgJG5d2HZ8fuMdmKoKbocNc72sMbcFVwZ/+gFweI="), None,
                      b64("YAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="),
                      (b64("qlGUUBDUAzWsC2ljUec0U6Ayxi7oBhdWklcfrWF2QCA="), b64("IRWjtxxjI+ROmASHNrSszVM8bRRaoDLXnuFjPq3YWDI=")))

    def test_listed(self):
        verify_map_proof(ROOT_TWO, KEY_ORG, VALUE_1, self.LISTED)

    def test_not_listed(self):
        key = key_of("org", "91110000100000000X")
        verify_map_proof(ROOT_TWO, key, None, self.ABSENT)

    def test_another_value_or_absence_is_refused(self):
        with self.assertRaisesRegex(VerificationError, "the proof shows the subject listed with value .*, the claim is not listed"):
            verify_map_proof(ROOT_TWO, KEY_ORG, None, self.LISTED)
        with self.assertRaisesRegex(VerificationError, "the proof is for subject key"):
            verify_map_proof(ROOT_TWO, KEY_PERSON, VALUE_1, self.LISTED)

    def test_a_stale_root_or_altered_sibling_is_refused(self):
        with self.assertRaisesRegex(VerificationError, r"computed root .* does not match root .* \(a stale root"):
            verify_map_proof(ROOT_ONE, KEY_ORG, VALUE_1, self.LISTED)
        sibling = bytearray(self.LISTED.siblings[0]); sibling[31] ^= 1
        altered = MapProof(KEY_ORG, VALUE_1, self.LISTED.bitmap, (bytes(sibling),))
        with self.assertRaises(VerificationError):
            verify_map_proof(ROOT_TWO, KEY_ORG, VALUE_1, altered)

    def test_non_canonical_proofs_are_malformed(self):
        short = MapProof(KEY_ORG, VALUE_1, self.LISTED.bitmap, ())
        with self.assertRaisesRegex(MalformedError, "0 sibling hashes, the bitmap announces 1"):
            root_from_map_proof(short)
        bitmap = (1 << 3).to_bytes(32, "big")
        with self.assertRaisesRegex(MalformedError, "sibling at height 3 is the empty hash"):
            root_from_map_proof(MapProof(KEY_ORG, VALUE_1, bitmap, (EMPTY[3],)))


if __name__ == "__main__":
    unittest.main()
