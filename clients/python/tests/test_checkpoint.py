"""Signed notes, verifier keys, checkpoints and cosignature lines
(custos_verify.checkpoint): the strict parsing of crypto/note.cc and
ledger/tlog/checkpoint.cc, signatures made here with fixed keys, and the
live node's checkpoint of data/checkpoint.txt."""

import unittest

from custos_verify.checkpoint import (
    ALG_COSIGNATURE_V1, Checkpoint, Note, VerifierKey, is_valid_key_name, key_id, open_note, verify_cosignature,
)
from custos_verify.errors import MalformedError, VerificationError
from support import IPB, PSB, cosign_line, public, sign_line, signing_key, text, trust, vkey

BODY = "example.com/log\n3\n" + "A" * 43 + "=\nlistings " + "B" * 42 + "A=\n"


class KeysAndNames(unittest.TestCase):
    def test_the_signed_note_spec_example_key(self):
        # c2sp.org/signed-note and Go's golang.org/x/mod/sumdb/note use this key.
        k = VerifierKey.parse("PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW")
        self.assertEqual((k.name, k.key_id, k.alg), ("PeterNeumann", 0xC74F20A3, 1))

    def test_key_id_is_sha256_of_name_newline_alg_key(self):
        sk = signing_key(1)
        k = VerifierKey.parse(vkey("a.example/log", sk))
        self.assertEqual(k.key_id, key_id("a.example/log", 1, public(sk)))
        self.assertNotEqual(k.key_id, key_id("a.example/log", ALG_COSIGNATURE_V1, public(sk)))

    def test_bad_verifier_keys_name_the_part(self):
        good = vkey("a.example/log", signing_key(1))
        name, kid, material = good.split("+")
        for bad, reason in ((f"+{kid}+{material}", "invalid key name"),
                            (f"{name}+{kid[:7]}+{material}", "key id is not 8 hex digits"),
                            (f"{name}+{kid}+{material[:-1]}", "key is not canonical base64"),
                            (f"{name}+00000000+{material}", "key id does not match"),
                            (f"{name}+{kid}+AAAA", "not 33 bytes")):
            with self.subTest(bad), self.assertRaisesRegex(MalformedError, reason):
                VerifierKey.parse(bad)

    def test_key_names(self):
        self.assertTrue(is_valid_key_name("suzhou-ipb.example/custos"))
        for bad in ("", "a+b", "a b", "a\u00a0b", "a\x7fb", "a\u2003b"):
            self.assertFalse(is_valid_key_name(bad), repr(bad))


class Notes(unittest.TestCase):
    def note(self, body=BODY, sk=None, name="example.com/log"):
        sk = sk or signing_key(1)
        return body + "\n" + sign_line(body, name, sk)

    def test_open_with_the_right_key(self):
        n = open_note(self.note(), VerifierKey.for_key("example.com/log", public(signing_key(1))))
        self.assertEqual(n.text, BODY)
        self.assertEqual(Note.parse(self.note()).serialize(), self.note())

    def test_another_key_with_the_same_name(self):
        with self.assertRaisesRegex(VerificationError, "note: no signature by key example.com/log"):
            open_note(self.note(), VerifierKey.for_key("example.com/log", public(signing_key(2))))

    def test_a_changed_text_does_not_verify(self):
        note = self.note().replace("\n3\n", "\n4\n", 1)
        with self.assertRaisesRegex(VerificationError, "note: invalid signature for key example.com/log"):
            open_note(note, VerifierKey.for_key("example.com/log", public(signing_key(1))))

    def test_every_line_by_the_key_must_verify(self):
        good = self.note()
        forged = sign_line(BODY.replace("3", "4", 1), "example.com/log", signing_key(1))
        with self.assertRaises(VerificationError):
            open_note(good + forged, VerifierKey.for_key("example.com/log", public(signing_key(1))))

    def test_malformed_notes(self):
        for bad, reason in (("no blank line\n— a AAAAAAAA\n", "no blank line"),
                            (BODY + "\n", "signature block is empty"),
                            (BODY + "\n— a AAAAAAAA", "does not end with a newline"),
                            (BODY + "\n- a AAAAAAAA\n", "does not start with an em dash"),
                            (BODY + "\n— a+b AAAAAAAA\n", "invalid key name"),
                            (BODY + "\n— a AAAA\n", "bad base64 signature for key a"),
                            (BODY + "\n— a AAAA AAAA\n", "bad base64 signature"),
                            (BODY.replace("3", "\r") + "\n— a AAAAAAAA\n", "control character"),
                            (BODY + "\n" + "— a AAAAAAAA\n" * 101, "more than 100 signatures")):
            with self.subTest(reason), self.assertRaisesRegex(MalformedError, reason):
                Note.parse(bad)


class Checkpoints(unittest.TestCase):
    def test_parse(self):
        cp = Checkpoint.parse(BODY)
        self.assertEqual((cp.origin, cp.size, len(cp.root), cp.extensions), ("example.com/log", 3, 32, ("listings " + "B" * 42 + "A=",)))
        self.assertEqual(cp.format(), BODY)
        self.assertEqual(len(cp.listings_root()), 32)

    def test_strict(self):
        root = "A" * 43 + "="
        for bad, reason in (("", "missing origin line"), ("\n3\n" + root + "\n", "missing origin line"),
                            ("o\n03\n" + root + "\n", "not a tree size"), ("o\n-1\n" + root + "\n", "not a tree size"),
                            ("o\n18446744073709551616\n" + root + "\n", "not a tree size"),
                            ("o\n3\n", "missing root hash line"), ("o\n3\nAAAA\n", "not a base64 SHA-256 hash"),
                            ("o\n3\n" + root + "\n\n", "malformed extension line"),
                            ("o\n3\n" + root + "\next", "malformed extension line")):
            with self.subTest(bad), self.assertRaisesRegex(MalformedError, reason):
                Checkpoint.parse(bad)

    def test_listings_line(self):
        root = "A" * 43 + "="
        self.assertIsNone(Checkpoint.parse(f"o\n3\n{root}\n").listings_root())
        with self.assertRaisesRegex(MalformedError, 'two "listings" lines'):
            Checkpoint.parse(f"o\n3\n{root}\nlistings {root}\nlistings {root}\n").listings_root()
        with self.assertRaisesRegex(MalformedError, "does not hold a base64 SHA-256 root"):
            Checkpoint.parse(f"o\n3\n{root}\nlistings AAAA\n").listings_root()


class Cosignatures(unittest.TestCase):
    WITNESS = VerifierKey.for_key("w.example", public(signing_key(3)), ALG_COSIGNATURE_V1)

    def sig(self, line):
        return Note.parse(BODY + "\n" + line).signatures[0]

    def test_verifies_and_returns_the_time(self):
        line = cosign_line(BODY, "w.example", signing_key(3), 1_700_000_123)
        self.assertEqual(verify_cosignature(BODY, self.sig(line), self.WITNESS), 1_700_000_123)

    def test_the_time_is_signed(self):
        sig = self.sig(cosign_line(BODY, "w.example", signing_key(3), 5))
        raw = (6).to_bytes(8, "big") + sig.signature[8:]
        with self.assertRaisesRegex(VerificationError, "cosignature by w.example: signature does not verify"):
            verify_cosignature(BODY, type(sig)(sig.name, sig.key_id, raw), self.WITNESS)

    def test_a_note_signature_is_not_a_cosignature(self):
        # A plain signature by the same key, under the cosignature key id: 64 bytes, not 72.
        plain = self.sig(sign_line(BODY, "w.example", signing_key(3)))
        plain = type(plain)(plain.name, self.WITNESS.key_id, plain.signature)
        with self.assertRaisesRegex(VerificationError, "not 72 bytes"):
            verify_cosignature(BODY, plain, self.WITNESS)

    def test_timestamp_above_2_63(self):
        sig = self.sig(cosign_line(BODY, "w.example", signing_key(3)))
        raw = (1 << 63).to_bytes(8, "big") + sig.signature[8:]
        with self.assertRaisesRegex(VerificationError, "timestamp above 2\\^63 - 1"):
            verify_cosignature(BODY, type(sig)(sig.name, sig.key_id, raw), self.WITNESS)


class LiveCheckpoint(unittest.TestCase):
    """data/checkpoint.txt: ipb's log at size 5, cosigned by psb."""

    def test_signed_by_the_node_and_cosigned(self):
        t = trust()
        note = open_note(text("checkpoint.txt"), t.origin_key(IPB))
        cp = Checkpoint.parse(note.text)
        self.assertEqual((cp.origin, cp.size), (IPB, 5))
        self.assertIsNotNone(cp.listings_root())
        psb = next(k for k in t.cosigners if k.name == PSB)
        line = next(s for s in note.signatures if s.name == PSB)
        self.assertGreater(verify_cosignature(note.text, line, psb), 1_700_000_000)


if __name__ == "__main__":
    unittest.main()
