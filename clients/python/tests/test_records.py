"""Canonical Cap'n Proto (custos_verify.capnp) and the records read from it
(custos_verify.records): the live node's entries and answer are canonical
and read as the node's JSON shows them; hand-made messages that are not
canonical are refused."""

import base64
import struct
import unittest

from custos_verify.capnp import open_canonical
from custos_verify.errors import MalformedError
from custos_verify.records import read_listed_entry, read_listing_answer, read_log_entry, read_statement
from support import COMPANY, IPB, answer


def words(*values):
    return b"".join(struct.pack("<Q", v) for v in values)


def struct_ptr(offset, data, ptrs):
    return (offset & 0x3FFFFFFF) << 2 | data << 32 | ptrs << 48


def list_ptr(offset, size, count):
    return 1 | (offset & 0x3FFFFFFF) << 2 | size << 32 | count << 35


class Canonical(unittest.TestCase):
    def test_a_struct_of_one_word(self):
        root = open_canonical(words(struct_ptr(0, 1, 0), 5), "m", 100)
        self.assertEqual((root.u64(0), root.u64(8)), (5, 0))  # past the section: the default

    def test_refused(self):
        cases = (
            (b"", "m: empty"),
            (b"\x00" * 12, "not a whole number of 8-byte words"),
            (words(struct_ptr(0, 1, 0), 0), "not in canonical form"),  # a trailing zero word
            (words(struct_ptr(0, 1, 0), 5, 0), "not in canonical form"),  # bytes after the message
            (words(struct_ptr(1, 1, 0), 0, 5), "not in canonical form"),  # a gap before the struct
            (words(struct_ptr(5, 1, 0), 5), "a pointer leads outside the message"),
            (words(2), "a far pointer"),
            (words(3), "a capability pointer"),
            (words(struct_ptr(0, 0, 1), list_ptr(0, 2, 3), 0x0100000000636261), "not in canonical form"),  # padding
            (words(struct_ptr(0, 0, 1), list_ptr(0, 2, 20), 0), "a pointer leads outside the message"),
        )
        for data, reason in cases:
            with self.subTest(reason), self.assertRaisesRegex(MalformedError, reason):
                open_canonical(data, "m", 100)

    def test_text_and_data(self):
        msg = words(struct_ptr(0, 0, 2), list_ptr(1, 2, 4), list_ptr(1, 2, 3), 0x00636261, 0x00636261)
        root = open_canonical(msg, "m", 100)
        self.assertEqual(root.text(0, "t"), "abc")
        self.assertEqual(root.data(1, "d"), b"abc")
        with self.assertRaisesRegex(MalformedError, "m: d: text without its NUL terminator"):
            root.text(1, "d")

    def test_the_empty_struct_points_at_itself(self):
        root = open_canonical(words(struct_ptr(0, 0, 1), 0xFFFFFFFC), "m", 100)
        self.assertTrue(root.has(0))
        self.assertEqual(root.struct(0, "s").u64(0), 0)

    def test_a_size_limit(self):
        with self.assertRaisesRegex(MalformedError, "m: 16 bytes, over the limit of 8"):
            open_canonical(words(struct_ptr(0, 1, 0), 5), "m", 8)

    def test_nesting_is_bounded(self):
        # Each struct holds a pointer to the next: 20 levels.
        depth = 20
        msg = [struct_ptr(0, 0, 1)] + [struct_ptr(0, 0, 1)] * (depth - 1) + [struct_ptr(0, 1, 0), 1]
        with self.assertRaisesRegex(MalformedError, "nested more than 16 levels"):
            open_canonical(words(*msg), "m", 1000)


class LiveRecords(unittest.TestCase):
    def entry_bytes(self):
        return base64.b64decode(answer("entry.json")["entry"])

    def test_an_entry_reads_as_the_node_decodes_it(self):
        a = answer("entry.json")
        e = read_log_entry(self.entry_bytes())
        d = a["decoded"]
        self.assertEqual((str(e.index), str(e.log_time), e.prev_hash.hex()), (d["index"], d["logTime"], d["prevHash"]))
        self.assertEqual(base64.b64encode(e.leaf).decode(), a["leafHash"])
        s = read_statement(e.statement_bytes)
        self.assertEqual((s.origin, s.kind, str(s.time)), (IPB, "subjectListed", d["submission"]["statement"]["time"]))

    def test_a_listing_entry(self):
        listed = read_listed_entry(self.entry_bytes())
        self.assertEqual((listed.index, listed.subject_id, listed.publication_ends), (2, COMPANY, 1811779140000))

    def test_a_person_listing_is_keyed_by_its_digest(self):
        a = answer("listing-person.json")
        listed = read_listed_entry(base64.b64decode(a["logs"][0]["listings"][0]["entry"]))
        self.assertEqual(listed.subject_id, "")
        self.assertEqual(listed.key, base64.b64decode(a["logs"][0]["mapProof"]["key"]))

    def test_an_entry_that_is_not_canonical(self):
        with self.assertRaisesRegex(MalformedError, "^entry: not in canonical form$"):
            read_log_entry(self.entry_bytes() + bytes(8))

    def test_another_kind_of_statement_is_not_a_listing(self):
        data = bytearray(self.entry_bytes())
        e = read_log_entry(bytes(data))
        at = bytes(data).index(e.statement_bytes) + 16  # the union tag: statement data word 1
        self.assertEqual(data[at], 14)
        data[at] = 1  # keyGrant
        with self.assertRaisesRegex(MalformedError, "^entry 2: not a subjectListed entry$"):
            read_listed_entry(bytes(data))
        data[at] = 16
        with self.assertRaisesRegex(MalformedError, "union member 16 is not one this verifier knows"):
            read_listed_entry(bytes(data))

    def test_bits_outside_the_schema(self):
        data = bytearray(self.entry_bytes())
        e = read_log_entry(bytes(data))
        at = bytes(data).index(e.statement_bytes) + 18  # past the union tag, in the statement's data word 1
        data[at] = 1
        with self.assertRaisesRegex(MalformedError, "^statement: Statement: bits set outside the fields its schema knows$"):
            read_listed_entry(bytes(data))
        blob = bytearray(base64.b64decode(answer("listing-listed.json")["answer"]))
        blob[13] = 1  # the high half of the word that holds the version
        with self.assertRaisesRegex(MalformedError, "^answer: ListingAnswer: bits set outside"):
            read_listing_answer(bytes(blob))

    def test_the_canonical_listing_answer(self):
        a = answer("listing-listed.json")
        blob = read_listing_answer(base64.b64decode(a["answer"]))
        self.assertEqual((blob["version"], blob["kind"], blob["id"]), (1, "org", COMPANY))
        self.assertEqual([l["origin"] for l in blob["logs"]], [l["origin"] for l in a["logs"]])
        self.assertEqual(len(blob["logs"][0]["listings"]), 2)
        self.assertIsNone(blob["logs"][1]["mapProof"]["value"])


if __name__ == "__main__":
    unittest.main()
