"""The trust file and the one rule for a checkpoint (custos_verify.trust),
as trust/federation_config.cc and trust/witness_group.cc apply them: a
federation of four logs signed here with fixed keys, and the live fixtures."""

import json
import os
import tempfile
import unittest

from custos_verify.errors import TrustFileError, VerificationError
from custos_verify.trust import load_federation, parse_federation
from support import IPB, PSB, cosign_line, federation_json, sign_line, signing_key, text, trust, trust_json, vkey

A, B, C, D = "a.example/log", "b.example/log", "c.example/log", "d.example/log"
KEYS = {A: signing_key(10), B: signing_key(11), C: signing_key(12), D: signing_key(13)}
BODY = A + "\n7\n" + "A" * 43 + "=\n"


def fed(cosigners=(B, C, D), quorum=2):
    return parse_federation(federation_json(list(KEYS.items()), list(cosigners), quorum), "fed.json")


def note(*lines, body=BODY):
    return body + "\n" + sign_line(body, A, KEYS[A]) + "".join(lines)


def cosig(name, body=BODY, key=None):
    return cosign_line(body, name, key or KEYS[name])


class Rule(unittest.TestCase):
    def test_quorum_met(self):
        t = fed().check_checkpoint(note(cosig(B), cosig(C)), A)
        self.assertEqual((t.checkpoint.size, t.cosigners), (7, (B, C)))

    def test_too_few_cosigners(self):
        with self.assertRaisesRegex(VerificationError, r"^witness policy: 2 of 3 cosignatures are required, the checkpoint "
                                    rf"of {A} at size 7 has 1 valid cosignature\(s\); the witness policy needs 2 of {B}, {C}, {D}$"):
            fed().check_checkpoint(note(cosig(B)), A)

    def test_one_cosigner_counts_once(self):
        with self.assertRaisesRegex(VerificationError, "has 1 valid cosignature"):
            fed().check_checkpoint(note(cosig(B), cosig(B)), A)

    def test_a_bad_cosignature_by_a_policy_cosigner_is_refused_not_skipped(self):
        bad = cosig(D, body=BODY.replace("7", "8", 1))
        with self.assertRaisesRegex(VerificationError, f"^cosignature by {D} on the checkpoint of {A} at size 7: "
                                                       f"cosignature by {D}: signature does not verify$"):
            fed().check_checkpoint(note(cosig(B), cosig(C), bad), A)

    def test_lines_by_unknown_keys_count_for_nothing(self):
        stranger = cosign_line(BODY, C, signing_key(99))  # C's name, another key: another key id
        t = fed().check_checkpoint(note(cosig(B), stranger, cosign_line(BODY, "x.example", signing_key(98)), cosig(D)), A)
        self.assertEqual((t.cosigners, t.others), ((B, D), (C, "x.example")))

    def test_the_origin_never_witnesses_itself(self):
        own = cosig(A)
        f = fed(cosigners=(A, B), quorum=1)
        with self.assertRaisesRegex(VerificationError, "witness policy: 1 of 1 cosignatures are required"):
            f.check_checkpoint(note(own), A)

    def test_unknown_origin(self):
        with self.assertRaisesRegex(VerificationError, "^checkpoint of e.example/log: the trust file has no key for this origin$"):
            fed().check_checkpoint(note(), "e.example/log")

    def test_a_checkpoint_of_another_log(self):
        body = B + "\n1\n" + "A" * 43 + "=\n"
        n = body + "\n" + sign_line(body, A, KEYS[A])  # A's key, B's origin line
        with self.assertRaisesRegex(VerificationError, f'^checkpoint of {A}: it is a checkpoint of "{B}"$'):
            fed(quorum=0).check_checkpoint(n, A)

    def test_not_signed_by_the_origin(self):
        n = BODY + "\n" + sign_line(BODY, A, KEYS[B])
        with self.assertRaisesRegex(VerificationError, f"^checkpoint of {A}: the origin's signature: note: no signature by key {A}\\+"):
            fed().check_checkpoint(n, A)

    def test_a_note_that_does_not_parse(self):
        with self.assertRaisesRegex(VerificationError, f"^checkpoint of {A}: the origin's signature: note: no blank line"):
            fed().check_checkpoint("hello\n", A)

    def test_no_policy_needs_no_cosignature(self):
        t = fed(cosigners=(), quorum=0).check_checkpoint(note(), A)
        self.assertEqual(t.cosigners, ())
        self.assertEqual(fed(cosigners=(), quorum=0).describe_policy(), "0 of no cosigners")


class FederationFile(unittest.TestCase):
    def parse(self, obj):
        return parse_federation(json.dumps(obj), "f.json")

    def base(self):
        return json.loads(federation_json([(A, KEYS[A]), (B, KEYS[B])], [A, B], 1))

    def refused(self, change, message):
        obj = self.base()
        change(obj)
        with self.assertRaisesRegex(TrustFileError, message):
            self.parse(obj)

    def test_the_example_federation_file(self):
        from support import REPO
        f = load_federation(str(REPO / "examples" / "node" / "federation.json"))
        self.assertEqual(f.describe_policy(), "2 of suzhou-court.example/custos, suzhou-procuratorate.example/custos, "
                                              "suzhou-psb.example/custos")

    def test_strict_fields(self):
        self.refused(lambda o: o.update(extra=1), r"^f.json: extra: unknown field \(known: peers, witnessPolicy\)$")
        self.refused(lambda o: o.pop("peers"), "^f.json: peers: a list of peers is required$")
        self.refused(lambda o: o["peers"][1].pop("address"), r"^f.json: peers\[1\].address: missing")
        self.refused(lambda o: o["peers"][0].update(port=1), r"^f.json: peers\[0\].port: unknown field")
        self.refused(lambda o: o["peers"][0].update(agencyKind="bank"), r'peers\[0\].agencyKind: "bank" is not one of')
        self.refused(lambda o: o["peers"][0].update(address="127.0.0.1"), r"peers\[0\].address: .* \(no port\)")
        self.refused(lambda o: o["peers"][0].update(address="::1:80"), "put an IPv6 address in brackets")
        self.refused(lambda o: o["peers"][0].update(address="h:0"), r"\(port 0\)")
        self.refused(lambda o: o["witnessPolicy"].update(quorum=3), "witnessPolicy.quorum: 3 is more than the 2 cosigners")
        self.refused(lambda o: o["witnessPolicy"].update(quorum=-1), "witnessPolicy.quorum: a whole number")
        self.refused(lambda o: o["witnessPolicy"].update(quorum=1.0), "witnessPolicy.quorum: a whole number")
        self.refused(lambda o: o["witnessPolicy"].update(cosigners=[A, A]), f'cosigners: "{A}" is listed twice')
        self.refused(lambda o: o["witnessPolicy"].update(cosigners=["z"]), '"z" is not a listed peer')

    def test_keys(self):
        self.refused(lambda o: o["peers"][0].update(verifierKey=vkey(B, KEYS[A])),
                     rf'peers\[0\].verifierKey: the key is named "{B}", not the peer\'s origin "{A}"')
        self.refused(lambda o: o["peers"][1].update(verifierKey=vkey(B, KEYS[A])),
                     r"peers\[1\].verifierKey: the same key is listed for another peer")
        self.refused(lambda o: o["peers"][1].update(origin=A, verifierKey=vkey(A, KEYS[B])), rf'peers\[1\].origin: "{A}" is listed twice')
        self.refused(lambda o: o["peers"][0].update(verifierKey="nonsense"), r"peers\[0\].verifierKey: key id is not 8 hex")

    def test_a_witness_key_is_not_a_log_key(self):
        from custos_verify.checkpoint import VerifierKey
        k = VerifierKey.for_key(A, bytes(KEYS[A].verify_key), 0x04)
        self.refused(lambda o: o["peers"][0].update(verifierKey=str(k)), "must be a note signer key")

    def test_json_itself(self):
        for bad, reason in (("{", "not valid JSON"), ("[]", "must be a JSON object"),
                            ('{"peers": [], "peers": []}', 'the field "peers" appears twice')):
            with self.subTest(bad), self.assertRaisesRegex(TrustFileError, reason):
                parse_federation(bad, "f.json")

    def test_files(self):
        with self.assertRaisesRegex(TrustFileError, "^--trust: the federation file is required$"):
            load_federation("")
        with self.assertRaisesRegex(TrustFileError, "^--trust: cannot read /nonexistent/f.json: "):
            load_federation("/nonexistent/f.json")
        with tempfile.NamedTemporaryFile("wb", delete=False) as f:
            f.write(b"{" + b" " * (1 << 20) + b"}")
        try:
            with self.assertRaisesRegex(TrustFileError, "over the limit"):
                load_federation(f.name)
        finally:
            os.unlink(f.name)


class LiveTrustFile(unittest.TestCase):
    """data/trust.json: the two-node federation of the live test, quorum 1."""

    def test_the_live_checkpoint_meets_the_policy(self):
        t = trust().check_checkpoint(text("checkpoint.txt"), IPB)
        self.assertEqual(t.cosigners, (PSB,))

    def test_quorum_2_cannot_be_met_by_two_nodes(self):
        obj = trust_json()
        obj["witnessPolicy"]["quorum"] = 2
        with self.assertRaisesRegex(VerificationError, f"witness policy: 2 of 1 cosignatures are required, the checkpoint of {IPB} at size 5 has 1"):
            parse_federation(json.dumps(obj), "t").check_checkpoint(text("checkpoint.txt"), IPB)


if __name__ == "__main__":
    unittest.main()
