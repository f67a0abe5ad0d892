"""Listing answers of `GET /v1/listings/<kind>/<id>` (custos_verify.listing)
from the live two-node federation: what verifies, the verdict the client
derives at its own time, and every way a changed answer is caught."""

import base64
import json
import unittest

from custos_verify.errors import MalformedError, VerificationError
from custos_verify.listing import verify_listing_answer
from support import COMPANY, IPB, PSB, answer, signing_key, trust, trust_json, vkey
from custos_verify.trust import parse_federation

AFTER_PUBLICATION = 1811779140000 + 1  # 2027-05-31T15:59:00.001Z


def verify(a, at=None, **kw):
    return verify_listing_answer(a, trust(), a["at"] if at is None else at, **kw)


def flip_b64(text, at=0):
    raw = bytearray(base64.b64decode(text))
    raw[at] ^= 1
    return base64.b64encode(bytes(raw)).decode()


class Verdicts(unittest.TestCase):
    def test_listed_twice_in_ipb_not_in_psb(self):
        v = verify(answer("listing-listed.json"))
        self.assertEqual((v.kind, v.id, v.listed, v.unanswered), ("org", COMPANY, True, ()))
        ipb, psb = v.logs
        self.assertEqual((ipb.origin, ipb.size, ipb.cosigners, ipb.listed), (IPB, 5, (PSB,), True))
        self.assertEqual([f.entry.index for f in ipb.listings], [2, 3])
        self.assertEqual((psb.origin, psb.listed, psb.listings, psb.cosigners), (PSB, False, (), (IPB,)))

    def test_not_listed(self):
        v = verify(answer("listing-not-listed.json"))
        self.assertFalse(v.listed)
        self.assertTrue(all(not log.listed and not log.listings for log in v.logs))

    def test_a_person(self):
        a = answer("listing-person.json")
        v = verify(a, expect_kind="person", expect_id=a["id"].upper())
        self.assertTrue(v.listed)
        self.assertEqual(v.logs[0].listings[0].entry.subject_id, "")

    def test_the_answer_of_psbs_replica(self):
        v = verify(answer("listing-psb.json"))
        self.assertEqual([log.origin for log in v.logs], [PSB, IPB])
        self.assertTrue(v.logs[1].listed)

    def test_judged_at_the_clients_time(self):
        v = verify(answer("listing-listed.json"), at=AFTER_PUBLICATION)
        self.assertFalse(v.listed)
        self.assertTrue(all(f.lapsed for f in v.logs[0].listings))
        self.assertEqual(v.at, AFTER_PUBLICATION)

    def test_the_subject_asked_about(self):
        verify(answer("listing-listed.json"), expect_id=" " + COMPANY.lower())
        with self.assertRaisesRegex(VerificationError, f'^id: the answer is about "{COMPANY}", not the subject asked about$'):
            verify(answer("listing-listed.json"), expect_id="91350100M000100Y43")
        with self.assertRaisesRegex(VerificationError, "^kind: the answer is about a subject of kind org, not person$"):
            verify(answer("listing-listed.json"), expect_kind="person")

    def test_logs_the_answer_has_no_part_for_are_reported(self):
        obj = trust_json()
        obj["peers"].append({"origin": "suzhou-court.example/custos", "agencyKind": "court", "address": "127.0.0.1:1",
                             "verifierKey": vkey("suzhou-court.example/custos", signing_key(20))})
        v = verify_listing_answer(answer("listing-listed.json"), parse_federation(json.dumps(obj), "t"), 0)
        self.assertEqual(v.unanswered, ("suzhou-court.example/custos",))
        with self.assertRaisesRegex(VerificationError, "^logs: the answer has no part for suzhou-court.example/custos, "
                                                       "which the trust file lists$"):
            verify_listing_answer(answer("listing-listed.json"), parse_federation(json.dumps(obj), "t"), 0, all_logs=True)

    def test_a_shape_error_comes_before_the_proofs(self):
        a = answer("listing-listed.json")
        a["answer"] = None
        with self.assertRaisesRegex(MalformedError, "^answer: must be a string$"):
            verify(a)


class TheNodesClaims(unittest.TestCase):
    """What the node says must be what its own proofs say, at its own time."""

    def refused(self, change, message, name="listing-listed.json"):
        a = answer(name)
        change(a)
        with self.assertRaisesRegex(VerificationError, message):
            verify(a)

    def test_a_flipped_verdict(self):
        self.refused(lambda a: a.update(listed=False), "^listed: the answer says false, but its own logs make the subject listed")
        self.refused(lambda a: a.update(listed=True), "^listed: the answer says true", "listing-not-listed.json")

    def test_a_flipped_verdict_of_one_log(self):
        self.refused(lambda a: a["logs"][0].update(listed=False), r"^logs\[0\].listed: the answer says false, but at its own time")
        self.refused(lambda a: a["logs"][1].update(listed=True), r"^logs\[1\].listed: the answer says true")

    def test_a_flipped_lapsed(self):
        self.refused(lambda a: a["logs"][0]["listings"][1].update(lapsed=True), r"^logs\[0\].listings\[1\].lapsed: the answer says true")

    def test_changed_fields_of_a_listing(self):
        for name, value in (("publicationEnds", 1811779140001), ("subjectName", "another"), ("index", 3),
                            ("listedFrom", 1717171200000.0), ("caseRef", None)):
            with self.subTest(name):
                self.refused(lambda a: a["logs"][0]["listings"][0].update({name: value}),
                             rf"^logs\[0\].listings\[0\].{name}: the answer says .*, the entry it proves says")
        self.refused(lambda a: a["logs"][0]["listings"][0].update(leafHash=a["logs"][0]["listings"][1]["leafHash"]),
                     r"^logs\[0\].listings\[0\].leafHash: does not match the hash of the entry")

    def test_a_later_time(self):
        # The node's time is after the publication end: then "lapsed" and "listed" are wrong.
        self.refused(lambda a: a.update(at=AFTER_PUBLICATION), r"^logs\[0\].listings\[0\].lapsed: the answer says false")


class ChangedProofs(unittest.TestCase):
    def refused(self, change, message, name="listing-listed.json", error=VerificationError):
        a = answer(name)
        change(a)
        with self.assertRaisesRegex(error, message):
            verify(a)

    def test_a_flipped_byte_in_the_checkpoints_root(self):
        def change(a):
            lines = a["logs"][0]["checkpoint"].split("\n")
            lines[2] = flip_b64(lines[2])
            a["logs"][0]["checkpoint"] = "\n".join(lines)
        self.refused(change, rf"^logs\[0\].checkpoint: checkpoint of {IPB}: the origin's signature: note: invalid signature for key {IPB}\+")

    def test_a_checkpoint_without_cosignature(self):
        def change(a):
            cp = a["logs"][0]["checkpoint"]
            a["logs"][0]["checkpoint"] = "".join(l for l in cp.splitlines(keepends=True) if not l.startswith("— " + PSB))
        self.refused(change, r"^logs\[0\].checkpoint: witness policy: 1 of 1 cosignatures are required")

    def test_a_truncated_inclusion_proof(self):
        self.refused(lambda a: a["logs"][0]["listings"][1]["inclusionProof"].pop(),
                     r"^logs\[0\].listings\[1\].inclusionProof: listing at entry 3: inclusion proof: inclusion proof has 2 hashes, want 3 for index 3 in size 5$")

    def test_an_altered_inclusion_proof(self):
        def change(a):
            p = a["logs"][0]["listings"][0]["inclusionProof"]
            p[0] = flip_b64(p[0], 31)
        self.refused(change, r"^logs\[0\].listings\[0\].inclusionProof: listing at entry 2: inclusion proof: computed root")

    def test_a_listing_left_out(self):
        self.refused(lambda a: a["logs"][0]["listings"].pop(0),
                     r"^logs\[0\].mapProof: map proof: the proof shows the subject listed with value [0-9a-f]+, the claim is listed with value")
        self.refused(lambda a: a["logs"][0]["listings"].clear(),
                     r"^logs\[0\].mapProof: map proof: the proof shows the subject listed with value [0-9a-f]+, the claim is not listed$")

    def test_listings_out_of_order(self):
        self.refused(lambda a: a["logs"][0]["listings"].reverse(), r"^logs\[0\].listings\[1\]: listing at entry 2: listings out of index order")

    def test_a_listing_of_another_subject(self):
        def change(a):
            other = answer("listing-person.json")["logs"][0]["listings"][0]
            a["logs"][0]["listings"].append(other)
        self.refused(change, r"^logs\[0\].listings\[2\].entry: listing at entry 4: lists another subject$")

    def test_a_map_proof_of_absence_for_a_listed_subject(self):
        def change(a):
            a["logs"][0]["listings"] = []
            a["logs"][0]["mapProof"]["value"] = None
        self.refused(change, r"^logs\[0\].mapProof: map proof: computed root [0-9a-f]+ does not match root")

    def test_an_altered_sibling(self):
        def change(a):
            s = a["logs"][0]["mapProof"]["siblings"]
            s[0] = flip_b64(s[0])
        self.refused(change, r"^logs\[0\].mapProof: map proof: computed root", "listing-not-listed.json")

    def test_the_proof_of_another_subject(self):
        def change(a):
            a["logs"][0]["mapProof"] = answer("listing-not-listed.json")["logs"][0]["mapProof"]
        self.refused(change, r"^logs\[0\].mapProof: map proof: the proof is for subject key")

    def test_another_subject_with_its_proofs(self):
        self.refused(lambda a: a.update(id="91350100M000100Y43"), r"^logs\[0\].listings\[0\].entry: listing at entry 2: lists another subject")

    def test_a_log_outside_the_trust_file(self):
        obj = trust_json()
        obj["peers"] = obj["peers"][:1]
        obj["witnessPolicy"] = {"cosigners": [], "quorum": 0}
        with self.assertRaisesRegex(VerificationError, rf"^logs\[1\].origin: log {PSB} is not in the trust file$"):
            verify_listing_answer(answer("listing-listed.json"), parse_federation(json.dumps(obj), "t"), 0)

    def test_a_log_twice(self):
        self.refused(lambda a: a["logs"].append(a["logs"][0]), rf"^logs\[2\].origin: log {IPB} appears twice$")

    def test_no_log(self):
        self.refused(lambda a: a["logs"].clear(), "^logs: the answer has no part for any log$")

    def test_the_canonical_answer_must_say_the_same(self):
        self.refused(lambda a: a.update(answer=answer("listing-not-listed.json")["answer"]),
                     "^answer: the canonical answer differs from the JSON at id$")
        self.refused(lambda a: a["logs"].pop(), r"^answer: the canonical answer differs from the JSON at logs \(the number of logs\)$")
        self.refused(lambda a: a.update(answer=answer("listing-psb.json")["answer"]),
                     r"^answer: the canonical answer differs from the JSON at logs\[0\].origin$")
        self.refused(lambda a: a.update(answer=a["answer"][:-1]), "^answer: not canonical base64$", error=MalformedError)
        self.refused(lambda a: a.update(answer=a["answer"][:-8]), r"^answer: \d+ bytes, not a whole number of 8-byte words$",
                     error=MalformedError)
        blob = base64.b64decode(answer("listing-listed.json")["answer"])
        self.refused(lambda a: a.update(answer=base64.b64encode(blob + bytes(8)).decode()),
                     "^answer: not in canonical form$", error=MalformedError)


class Malformed(unittest.TestCase):
    def refused(self, change, message, name="listing-listed.json"):
        a = answer(name)
        change(a)
        with self.assertRaisesRegex(MalformedError, message):
            verify(a)

    def test_missing_and_mistyped_fields(self):
        self.refused(lambda a: a.pop("kind"), "^kind: missing$")
        self.refused(lambda a: a.update(kind="robot"), '^kind: "robot" is not org or person$')
        self.refused(lambda a: a.update(id=COMPANY.lower()), f'^id: "{COMPANY.lower()}" is not in canonical form$')
        self.refused(lambda a: a.update(id=COMPANY[:-1] + "7"), r"^id: .* has a bad check character \(want 6\)$")
        self.refused(lambda a: a.update(at="now"), "^at: must be a whole number")
        self.refused(lambda a: a["logs"][0].pop("mapProof"), r"^logs\[0\].mapProof: missing$")
        self.refused(lambda a: a["logs"][0]["mapProof"].pop("value"), r"^logs\[0\].mapProof.value: missing \(null when not listed\)$")
        self.refused(lambda a: a["logs"][0]["mapProof"].update(bitmap="AAAA"), r"^logs\[0\].mapProof.bitmap: 3 bytes, not 32$")
        self.refused(lambda a: a["logs"][0]["listings"][0].update(entry="***"), r"^logs\[0\].listings\[0\].entry: not canonical base64$")
        self.refused(lambda a: a["logs"][0]["listings"][0]["inclusionProof"].append("AAAA"),
                     r"^logs\[0\].listings\[0\].inclusionProof\[3\]: 3 bytes, not 32$")
        self.refused(lambda a: a["logs"].append(7), r"^logs\[2\]: must be a JSON object$")

    def test_text_that_is_not_json(self):
        for text, message in (("{", "^answer: not valid JSON"), ("[]", "^answer: must be a JSON object$"),
                              ('{"kind": "org", "kind": "org"}', 'the field "kind" appears twice'),
                              ('{"at": NaN}', "NaN is not JSON"), (b"\xff", "^answer: not UTF-8$")):
            with self.subTest(text), self.assertRaisesRegex(MalformedError, message):
                verify_listing_answer(text, trust())

    def test_a_problem_detail_is_named(self):
        problem = {"code": "invalid-id", "detail": 'id: "X" is not 18 characters long', "status": 400,
                   "title": "Bad Request", "type": "urn:custos:problem:invalid-id"}
        with self.assertRaisesRegex(MalformedError, r'^answer: the node refused the query \(400 invalid-id\): id: "X" is not'):
            verify_listing_answer(json.dumps(problem), trust())

    def test_the_json_text_itself_verifies(self):
        from support import text
        v = verify_listing_answer(text("listing-listed.json"), trust(), answer("listing-listed.json")["at"])
        self.assertTrue(v.listed)


if __name__ == "__main__":
    unittest.main()
