"""RFC 6962 / RFC 9162 hashing and proofs (custos_verify.proofs): known
answers, the repository's transparency-dev vectors (tests/vectors/rfc6962),
and every inclusion and consistency proof of trees up to 17 leaves against
the RFC's own recursive definitions."""

import base64
import hashlib
import json
import unittest

from custos_verify.errors import MalformedError, VerificationError
from custos_verify.proofs import (
    EMPTY_ROOT, inclusion_proof_size, leaf_hash, node_hash, root_from_leaf_hashes, verify_consistency,
    verify_inclusion,
)
from support import REPO

VECTORS = REPO / "tests" / "vectors" / "rfc6962" / "inclusion"
# The eight leaves of the transparency-dev test trees (tests/vectors/rfc6962/README.md).
LEAVES = [bytes.fromhex(h) for h in ("", "00", "10", "2021", "3031", "40414243", "5051525354555657",
                                      "606162636465666768696a6b6c6d6e6f")]


def mth(hashes):
    return root_from_leaf_hashes(hashes)


def largest_power_below(n):
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def ref_path(m, hashes):
    """RFC 9162 §2.1.3.1 PATH(m, D[n])."""
    if len(hashes) == 1:
        return []
    k = largest_power_below(len(hashes))
    if m < k:
        return ref_path(m, hashes[:k]) + [mth(hashes[k:])]
    return ref_path(m - k, hashes[k:]) + [mth(hashes[:k])]


def ref_subproof(m, hashes, whole):
    """RFC 9162 §2.1.4.1 SUBPROOF(m, D[n], b)."""
    n = len(hashes)
    if m == n:
        return [] if whole else [mth(hashes)]
    k = largest_power_below(n)
    if m <= k:
        return ref_subproof(m, hashes[:k], whole) + [mth(hashes[k:])]
    return ref_subproof(m - k, hashes[k:], False) + [mth(hashes[:k])]


def tree(n):
    return [leaf_hash(bytes([i])) for i in range(n)]


class KnownAnswers(unittest.TestCase):
    def test_empty_tree_is_sha256_of_nothing(self):
        self.assertEqual(EMPTY_ROOT.hex(), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        self.assertEqual(root_from_leaf_hashes([]), EMPTY_ROOT)

    def test_leaf_hash_of_the_empty_string(self):
        self.assertEqual(leaf_hash(b"").hex(), "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d")

    def test_leaf_and_node_prefixes(self):
        self.assertEqual(leaf_hash(b"\x00"), hashlib.sha256(b"\x00\x00").digest())
        self.assertEqual(node_hash(b"a" * 32, b"b" * 32), hashlib.sha256(b"\x01" + b"a" * 32 + b"b" * 32).digest())

    def test_root_of_the_eight_test_leaves(self):
        root = root_from_leaf_hashes([leaf_hash(l) for l in LEAVES])
        self.assertEqual(root.hex(), "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328")

    def test_proof_sizes(self):
        self.assertEqual(inclusion_proof_size(0, 1), 0)
        self.assertEqual(inclusion_proof_size(0, 8), 3)
        self.assertEqual(inclusion_proof_size(6, 7), 2)
        self.assertEqual(inclusion_proof_size(4, 5), 1)


class TransparencyDevVectors(unittest.TestCase):
    def test_every_vector(self):
        files = sorted(VECTORS.rglob("*.json"))
        self.assertGreater(len(files), 80, f"the vectors of {VECTORS} are missing")
        for path in files:
            v = json.loads(path.read_text())
            args = (base64.b64decode(v["leafHash"] or ""), v["leafIdx"], v["treeSize"],
                    [base64.b64decode(p) for p in v["proof"] or []], base64.b64decode(v["root"] or ""))
            with self.subTest(path.relative_to(VECTORS).as_posix()):
                if v["wantErr"]:
                    with self.assertRaises((MalformedError, VerificationError)):
                        verify_inclusion(*args)
                else:
                    verify_inclusion(*args)


class Inclusion(unittest.TestCase):
    def test_every_leaf_of_every_tree_up_to_17(self):
        for n in range(1, 18):
            hashes = tree(n)
            root = mth(hashes)
            for m in range(n):
                proof = ref_path(m, hashes)
                verify_inclusion(hashes[m], m, n, proof, root)
                if proof:
                    bad = list(proof)
                    bad[-1] = bytes([bad[-1][0] ^ 1]) + bad[-1][1:]
                    with self.assertRaises(VerificationError):
                        verify_inclusion(hashes[m], m, n, bad, root)
                    with self.assertRaises(VerificationError):
                        verify_inclusion(hashes[m], m, n, proof[:-1], root)
                with self.assertRaises(VerificationError):
                    verify_inclusion(hashes[m], m, n, proof + [root], root)

    def test_index_not_below_size(self):
        with self.assertRaises(MalformedError):
            verify_inclusion(tree(1)[0], 1, 1, [], tree(1)[0])

    def test_message_names_both_roots(self):
        hashes = tree(4)
        with self.assertRaisesRegex(VerificationError, "computed root [0-9a-f]{64} does not match [0-9a-f]{64}"):
            verify_inclusion(hashes[1], 1, 4, ref_path(1, hashes), b"\x00" * 32)


class Consistency(unittest.TestCase):
    def test_every_pair_of_sizes_up_to_17(self):
        for n in range(1, 18):
            hashes = tree(n)
            for m in range(1, n + 1):
                proof = ref_subproof(m, hashes, True)
                verify_consistency(m, n, mth(hashes[:m]), mth(hashes), proof)
                if proof:
                    with self.assertRaises(VerificationError):
                        verify_consistency(m, n, mth(hashes[:m]), mth(hashes), proof[:-1])
                    bad = [bytes([proof[0][0] ^ 1]) + proof[0][1:]] + proof[1:]
                    with self.assertRaises(VerificationError):
                        verify_consistency(m, n, mth(hashes[:m]), mth(hashes), bad)

    def test_trivial_cases(self):
        root = mth(tree(3))
        verify_consistency(0, 3, EMPTY_ROOT, root, [])
        verify_consistency(3, 3, root, root, [])
        with self.assertRaises(VerificationError):
            verify_consistency(0, 3, root, root, [])  # the tree of size 0 has one root
        with self.assertRaises(VerificationError):
            verify_consistency(3, 3, root, EMPTY_ROOT, [])
        with self.assertRaises(VerificationError):
            verify_consistency(3, 3, root, root, [root])
        with self.assertRaises(MalformedError):
            verify_consistency(4, 3, root, root, [])


if __name__ == "__main__":
    unittest.main()
