"""Entry answers (`GET /v1/logs/<origin>/entries/<i>`), checkpoints on
their own and consistency answers (custos_verify.entry, custos_verify.tlog)
from the live federation, and the changes each must catch."""

import base64
import unittest

from custos_verify.errors import MalformedError, VerificationError
from custos_verify.entry import verify_entry_answer
from custos_verify.tlog import verify_checkpoint, verify_consistency_answer
from support import IPB, PSB, answer, text, trust


def flip_b64(value, at):
    raw = bytearray(base64.b64decode(value))
    raw[at] ^= 1
    return base64.b64encode(bytes(raw)).decode()


class Entry(unittest.TestCase):
    def test_verifies(self):
        v = verify_entry_answer(answer("entry.json"), trust(), expect_origin=IPB, expect_index=2)
        self.assertEqual((v.origin, v.index, v.size, v.kind, v.cosigners), (IPB, 2, 5, "subjectListed", (PSB,)))
        self.assertEqual(base64.b64encode(v.leaf).decode(), answer("entry.json")["leafHash"])
        verify_entry_answer(text("entry.json"), trust())

    def refused(self, change, message, error=VerificationError, **kw):
        a = answer("entry.json")
        change(a)
        with self.assertRaisesRegex(error, message):
            verify_entry_answer(a, trust(), **kw)

    def test_a_person_listing_with_its_digest(self):
        v = verify_entry_answer(answer("entry-person.json"), trust())
        self.assertEqual((v.kind, v.body_checked), ("subjectListed", True))

    def test_other_kinds_verify_but_their_decoded_body_is_not_checked(self):
        a = answer("entry-grant.json")
        a["decoded"]["submission"]["statement"]["body"]["keyGrant"]["holder"] = "someone else"
        v = verify_entry_answer(a, trust())
        self.assertEqual((v.index, v.kind, v.body_checked), (1, "keyGrant", False))

    def test_the_decoded_listing_must_match_its_bytes(self):
        def body(a):
            return a["decoded"]["submission"]["statement"]["body"]["subjectListed"]
        where = r"^decoded.submission.statement.body.subjectListed"
        self.refused(lambda a: body(a).update(publicationEnds="1911779140000"),
                     where + r".publicationEnds: the answer says '1911779140000', the entry's bytes say '1811779140000'$")
        self.refused(lambda a: body(a).update(cause="x"), where + ".cause: the answer says 'x'")
        self.refused(lambda a: body(a).pop("caseRef"), where + ".caseRef: the answer omits it, the entry's bytes hold it$")
        self.refused(lambda a: body(a).update(privateDigest="00" * 32), where + ".privateDigest: the answer shows it")
        self.refused(lambda a: a["decoded"]["submission"]["statement"].update(nonce="00" * 16), "^decoded.submission.statement.nonce: ")

    def test_what_the_client_asked_for(self):
        self.refused(lambda a: None, f"^origin: the answer is about log {IPB}, not {PSB}$", expect_origin=PSB)
        self.refused(lambda a: None, "^index: the answer is about entry 2, not 1$", expect_index=1)

    def test_a_changed_entry(self):
        # A byte of the statement's text: still canonical, another leaf.
        self.refused(lambda a: a.update(entry=flip_b64(a["entry"], 300)),
                     "^inclusionProof: the entry's bytes are not leaf 2 of the checkpoint's tree: computed root")
        self.refused(lambda a: a.update(entry=base64.b64encode(base64.b64decode(a["entry"]) + bytes(8)).decode()),
                     "^entry: not in canonical form$")

    def test_changed_proofs_and_claims(self):
        self.refused(lambda a: a["inclusionProof"].pop(), "^inclusionProof: .*inclusion proof has 2 hashes, want 3")
        self.refused(lambda a: a.update(index=3), "^inclusionProof: the entry's bytes are not leaf 3")
        self.refused(lambda a: a.update(index=7), "^index: entry 7 is not below the tree size 5$")
        self.refused(lambda a: a.update(treeSize=4), "^treeSize: the answer says 4, its checkpoint is of size 5$")
        self.refused(lambda a: a.update(leafHash=flip_b64(a["leafHash"], 0)), "^leafHash: does not match the hash of the entry")

    def test_the_decoded_entry_must_match_its_bytes(self):
        self.refused(lambda a: a["decoded"].update(logTime="1"), "^decoded.logTime: the answer says '1', the entry's bytes say")
        self.refused(lambda a: a["decoded"]["submission"].update(authorKey="00" * 32), "^decoded.submission.authorKey: ")
        self.refused(lambda a: a["decoded"]["submission"]["statement"].update(body={"keyGrant": {}}),
                     r"^decoded.submission.statement.body: the answer shows \['keyGrant'\], the entry's bytes hold a subjectListed$")
        self.refused(lambda a: a["decoded"].pop("prevHash"), "^decoded.prevHash: missing$", MalformedError)

    def test_the_checkpoint(self):
        def strip(a):
            a["checkpoint"] = "".join(l for l in a["checkpoint"].splitlines(True) if not l.startswith("— " + PSB))
        self.refused(strip, "^checkpoint: witness policy: 1 of 1 cosignatures are required")
        self.refused(lambda a: a.update(origin=PSB), f"^checkpoint: checkpoint of {PSB}: the origin's signature: note: no signature by key")

    def test_malformed(self):
        self.refused(lambda a: a.pop("inclusionProof"), "^inclusionProof: missing$", MalformedError)
        self.refused(lambda a: a.update(index=-1), "^index: must be a whole number", MalformedError)
        self.refused(lambda a: a.update(index=True), "^index: must be a whole number", MalformedError)
        with self.assertRaisesRegex(MalformedError, "^answer: not valid JSON"):
            verify_entry_answer(text("entry.json")[:100], trust())


class CheckpointAlone(unittest.TestCase):
    def test_its_own_origin_line_names_the_key(self):
        t = verify_checkpoint(text("checkpoint.txt"), trust())
        self.assertEqual((t.checkpoint.origin, t.cosigners), (IPB, (PSB,)))
        verify_checkpoint(text("checkpoint.txt").encode(), trust(), IPB)

    def test_another_origin(self):
        with self.assertRaisesRegex(VerificationError, f"^checkpoint of {PSB}: the origin's signature"):
            verify_checkpoint(text("checkpoint.txt"), trust(), PSB)

    def test_garbage(self):
        with self.assertRaisesRegex(MalformedError, "^checkpoint: note: no blank line before the signatures$"):
            verify_checkpoint("not a note", trust())
        with self.assertRaisesRegex(MalformedError, "^checkpoint: note: not UTF-8"):
            verify_checkpoint(b"\xff\n\n", trust())


class Consistency(unittest.TestCase):
    def test_verifies(self):
        v = verify_consistency_answer(answer("consistency.json"), trust(), text("checkpoint-old.txt"))
        self.assertEqual((v.origin, v.old_size, v.size), (IPB, 2, 5))

    def refused(self, change, message, old="checkpoint-old.txt"):
        a = answer("consistency.json")
        change(a)
        with self.assertRaisesRegex(VerificationError, message):
            verify_consistency_answer(a, trust(), text(old))

    def test_refused(self):
        self.refused(lambda a: a["consistencyProof"].reverse(), "^consistencyProof: computed new root")
        self.refused(lambda a: a["consistencyProof"].pop(), "^consistencyProof: consistency proof has 1 hashes, want 2 from size 2 to 5$")
        self.refused(lambda a: None, "^old: the answer proves from size 2, the old checkpoint is of size 5$", old="checkpoint.txt")
        self.refused(lambda a: a.update(treeSize=6), "^treeSize: the answer says 6, its checkpoint is of size 5$")


if __name__ == "__main__":
    unittest.main()
