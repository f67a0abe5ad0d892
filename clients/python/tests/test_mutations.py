"""Seeded random changes to the live fixtures: whatever a changed answer
holds, a verifier raises a CustosVerifyError with a message or accepts it,
never another exception (a traceback at the command line). The seed is
printed; CUSTOS_VERIFY_SEED=N repeats a run."""

import base64
import os
import random
import unittest

from custos_verify.entry import verify_entry_answer
from custos_verify.errors import CustosVerifyError
from custos_verify.listing import verify_listing_answer
from custos_verify.tlog import verify_checkpoint, verify_consistency_answer
from support import answer, text, trust

ROUNDS = 150
SEED = int(os.environ.get("CUSTOS_VERIFY_SEED", "20261205"))


def leaves(value, path=()):
    """Every (path, value) of a JSON value."""
    yield path, value
    if isinstance(value, dict):
        for k, v in value.items():
            yield from leaves(v, path + (k,))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from leaves(v, path + (i,))


def mutate_value(rng, value):
    if isinstance(value, str):
        try:
            raw = bytearray(base64.b64decode(value, validate=True))
            if raw and rng.random() < 0.7:
                raw[rng.randrange(len(raw))] ^= 1 << rng.randrange(8)
                return base64.b64encode(bytes(raw)).decode()
        except ValueError:
            pass
        if value and rng.random() < 0.5:
            i = rng.randrange(len(value))
            return value[:i] + chr(rng.randrange(0x20, 0x3000)) + value[i + 1:]
        return value[: rng.randrange(len(value) + 1)]
    return rng.choice([None, True, 0, -1, 2 ** 64, 1.5, "x", [], {}, [value], {"v": value}])


def mutate(rng, obj):
    path, _ = rng.choice(list(leaves(obj))[1:])
    parent = obj
    for p in path[:-1]:
        parent = parent[p]
    if rng.random() < 0.15:
        del parent[path[-1]]
    else:
        parent[path[-1]] = mutate_value(rng, parent[path[-1]])
    return obj


class Mutations(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        print(f"\n{cls.__name__}: seed {SEED} (CUSTOS_VERIFY_SEED={SEED} repeats it)")

    def survive(self, name, check):
        rng = random.Random(f"{SEED}/{name}")
        for i in range(ROUNDS):
            a = mutate(rng, answer(name))
            with self.subTest(name=name, round=i):
                try:
                    check(a)
                except CustosVerifyError as e:
                    self.assertTrue(str(e))

    def test_listing_answers(self):
        for name in ("listing-listed.json", "listing-not-listed.json", "listing-person.json"):
            self.survive(name, lambda a: verify_listing_answer(a, trust(), 1796475642627))

    def test_entry_answers(self):
        self.survive("entry.json", lambda a: verify_entry_answer(a, trust()))

    def test_consistency_answers(self):
        self.survive("consistency.json", lambda a: verify_consistency_answer(a, trust(), text("checkpoint-old.txt")))

    def test_checkpoint_bytes(self):
        rng = random.Random(f"{SEED}/checkpoint")
        note = text("checkpoint.txt").encode()
        for i in range(ROUNDS):
            raw = bytearray(note)
            raw[rng.randrange(len(raw))] = rng.randrange(256)
            with self.subTest(round=i):
                try:
                    verify_checkpoint(bytes(raw), trust())
                except CustosVerifyError as e:
                    self.assertTrue(str(e))

    def test_json_text_cut_anywhere(self):
        body = text("listing-listed.json")
        rng = random.Random(f"{SEED}/cut")
        for i in range(40):
            cut = body[: rng.randrange(len(body))]
            with self.subTest(cut=len(cut)), self.assertRaises(CustosVerifyError):
                verify_listing_answer(cut, trust())


if __name__ == "__main__":
    unittest.main()
