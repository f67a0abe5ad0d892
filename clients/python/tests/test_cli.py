"""`python3 -m custos_verify` (custos_verify.cli): one line and exit 0 when
an answer verifies, "FAILED: <reason>" and exit 1 when it does not or is
malformed (never a traceback), exit 2 for usage errors and unusable files."""

import contextlib
import io
import json
import os
import pathlib
import subprocess
import sys
import tempfile
import unittest

from custos_verify.cli import main, parse_time
from support import COMPANY, DATA, IPB, PSB, answer

TRUST = str(DATA / "trust.json")
PACKAGE_DIR = str(pathlib.Path(__file__).resolve().parents[1])


def run(*argv):
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(argv))
    return code, out.getvalue(), err.getvalue()


class Temp(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        self.addCleanup(self.dir.cleanup)

    def write(self, name, content):
        path = os.path.join(self.dir.name, name)
        with open(path, "w", encoding="utf-8") as f:
            f.write(content if isinstance(content, str) else json.dumps(content, ensure_ascii=False))
        return path


class Verified(Temp):
    def test_checkpoint(self):
        code, out, err = run("checkpoint", "--trust", TRUST, str(DATA / "checkpoint.txt"))
        self.assertEqual((code, err), (0, ""))
        self.assertEqual(out, f"OK: checkpoint of {IPB} at size 5 verified: signed by its origin, cosigned by {PSB} "
                              f"(witness policy 1 of {IPB}, {PSB})\n")

    def test_entry_as_json(self):
        code, out, _ = run("entry", "--trust", TRUST, "--json", "--index", "2", str(DATA / "entry.json"))
        v = json.loads(out)
        self.assertEqual((code, v["verified"], v["origin"], v["index"], v["statementKind"]), (0, True, IPB, 2, "subjectListed"))

    def test_listing_at_a_time(self):
        at = str(answer("listing-listed.json")["at"])
        code, out, _ = run("listing", "--trust", TRUST, "--at", at, "--id", COMPANY.lower(), str(DATA / "listing-listed.json"))
        self.assertEqual(code, 0)
        self.assertTrue(out.startswith(f"OK: {COMPANY} (org) is listed at "), out)
        self.assertIn(f"{IPB} listed (entry 2, publication ends 2027-05-31T15:59:00Z, entry 3, publication ends", out)
        self.assertTrue(out.endswith(f"; {PSB} not listed\n"), out)
        self.assertEqual(out.count("\n"), 1)

    def test_listing_after_the_publication_end(self):
        code, out, _ = run("listing", "--trust", TRUST, "--at", "2027-06-01T00:00:00Z", "--json", str(DATA / "listing-listed.json"))
        v = json.loads(out)
        self.assertEqual((code, v["listed"], v["at"]), (0, False, 1811808000000))
        self.assertTrue(all(l["lapsed"] for l in v["logs"][0]["listings"]))

    def test_consistency(self):
        code, out, _ = run("consistency", "--trust", TRUST, "--old-checkpoint", str(DATA / "checkpoint-old.txt"),
                           str(DATA / "consistency.json"))
        self.assertEqual((code, out), (0, f"OK: the log {IPB} at size 5 extends its checkpoint at size 2, cosigned by {PSB}\n"))


class Failed(Temp):
    def test_a_flipped_verdict(self):
        a = answer("listing-listed.json")
        a["listed"] = False
        code, out, err = run("listing", "--trust", TRUST, "--at", str(a["at"]), self.write("a.json", a))
        self.assertEqual((code, err), (1, ""))
        self.assertTrue(out.startswith("FAILED: listed: the answer says false, but its own logs make the subject listed"), out)

    def test_json_failure(self):
        code, out, _ = run("checkpoint", "--trust", TRUST, "--json", self.write("cp.txt", "garbage"))
        self.assertEqual((code, json.loads(out)), (1, {"verified": False,
                                                       "error": "checkpoint: note: no blank line before the signatures"}))

    def test_malformed_json_is_a_sentence_not_a_traceback(self):
        code, out, err = run("entry", "--trust", TRUST, self.write("e.json", '{"origin": '))
        self.assertEqual((code, err), (1, ""))
        self.assertEqual(out, "FAILED: answer: not valid JSON at line 1 column 12 (Expecting value)\n")

    def test_another_subject_than_asked(self):
        code, out, _ = run("listing", "--trust", TRUST, "--id", "91350100M000100Y43", str(DATA / "listing-listed.json"))
        self.assertEqual((code, out), (1, f'FAILED: id: the answer is about "{COMPANY}", not the subject asked about\n'))


class Usage(Temp):
    def usage(self, *argv):
        code, out, err = run(*argv)
        self.assertEqual((code, out), (2, ""))
        self.assertEqual(err.count("\n"), 1, err)
        return err

    def test_usage_errors(self):
        self.assertIn("the following arguments are required: --trust", self.usage("listing", str(DATA / "entry.json")))
        self.assertIn("invalid choice: 'robot'", self.usage("robot"))
        self.assertIn('--at: "yesterday" is neither', self.usage("listing", "--trust", TRUST, "--at", "yesterday"))
        self.assertIn("--old-checkpoint", self.usage("consistency", "--trust", TRUST))

    def test_files(self):
        self.assertEqual(self.usage("entry", "--trust", "/nonexistent.json", str(DATA / "entry.json")),
                         "custos_verify: --trust: cannot read /nonexistent.json: No such file or directory\n")
        self.assertEqual(self.usage("entry", "--trust", TRUST, "/nonexistent.json"),
                         "custos_verify: answer: cannot read /nonexistent.json: No such file or directory\n")
        bad = self.write("t.json", '{"peers": 1}')
        self.assertEqual(self.usage("entry", "--trust", bad, str(DATA / "entry.json")),
                         f"custos_verify: --trust {bad}: peers: a list of peers is required\n")

    def test_times(self):
        self.assertEqual(parse_time("1811779140000"), 1811779140000)
        self.assertEqual(parse_time("2027-05-31T15:59:00Z"), 1811779140000)
        self.assertEqual(parse_time("2027-05-31T15:59:00.500Z"), 1811779140500)


class AsAProgram(unittest.TestCase):
    def program(self, *argv, stdin=b""):
        env = dict(os.environ, PYTHONPATH=PACKAGE_DIR)
        return subprocess.run([sys.executable, "-m", "custos_verify", *argv], input=stdin, capture_output=True,
                              env=env, timeout=60)

    def test_stdin_and_exit_codes(self):
        ok = self.program("checkpoint", "--trust", TRUST, "-", stdin=(DATA / "checkpoint.txt").read_bytes())
        self.assertEqual((ok.returncode, ok.stderr), (0, b""))
        bad = self.program("listing", "--trust", TRUST, stdin=b"[1, 2")
        self.assertEqual((bad.returncode, bad.stderr), (1, b""))
        self.assertTrue(bad.stdout.startswith(b"FAILED: answer: not valid JSON"), bad.stdout)
        usage = self.program()
        self.assertEqual(usage.returncode, 2)
        self.assertNotIn(b"Traceback", usage.stderr)


if __name__ == "__main__":
    unittest.main()
