"""python3 -m custos_verify checkpoint|entry|listing|consistency --trust FILE [ANSWER | -]

Prints one line: "OK: …" (exit 0) when the answer verifies, "FAILED: <the
reason, naming the field>" (exit 1) when it does not or is malformed; with
--json one JSON object {"verified": true|false, …} instead. Usage errors
and an unusable trust or answer file: one line on stderr, exit 2.
"""

import argparse
import datetime
import json
import sys

from .encoding import b64encode, parse_decimal
from .entry import verify_entry_answer
from .errors import CustosVerifyError, TrustFileError
from .fields import MAX_ANSWER_TEXT, read_bounded
from .listing import verify_listing_answer
from .tlog import verify_checkpoint, verify_consistency_answer
from .trust import load_federation

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
PROG = "custos_verify"


class UsageError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        raise UsageError(f"{message} (see --help)")


def utc(ms):
    """ms since the epoch as 2027-05-31T15:59:00Z."""
    try:
        t = datetime.datetime.fromtimestamp(ms / 1000, datetime.timezone.utc)
    except (OverflowError, OSError, ValueError):
        return f"{ms} ms"
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_time(text):
    """--at: ms since the epoch, or 2027-06-01T00:00:00Z (UTC, optional .mmm)."""
    ms = parse_decimal(text)
    if ms is not None and 0 < ms < (1 << 62):
        return ms
    for fmt in ("%Y-%m-%dT%H:%M:%SZ", "%Y-%m-%dT%H:%M:%S.%fZ"):
        try:
            t = datetime.datetime.strptime(text, fmt).replace(tzinfo=datetime.timezone.utc)
            return int(t.timestamp() * 1000)
        except ValueError:
            continue
    raise UsageError(f'--at: "{text}" is neither milliseconds since the epoch nor a time like 2027-06-01T00:00:00Z')


def read_input(path, what):
    return read_bounded(path, MAX_ANSWER_TEXT, UsageError, what)


def _cosigned(cosigners):
    return "cosigned by " + ", ".join(cosigners) if cosigners else "no cosignature required"


def run_checkpoint(args, trust):
    t = verify_checkpoint(read_input(args.answer, "checkpoint"), trust, args.origin)
    cp = t.checkpoint
    line = (f"checkpoint of {cp.origin} at size {cp.size} verified: signed by its origin, "
            f"{_cosigned(t.cosigners)} (witness policy {trust.describe_policy()})")
    return line, {"origin": cp.origin, "size": cp.size, "root": b64encode(cp.root),
                  "extensions": list(cp.extensions), "cosigners": list(t.cosigners), "others": list(t.others)}


def run_entry(args, trust):
    v = verify_entry_answer(read_input(args.answer, "answer"), trust, args.origin, args.index)
    line = (f"entry {v.index} of {v.origin} ({v.kind}, logged {utc(v.log_time)}) is in its checkpoint "
            f"at size {v.size}, {_cosigned(v.cosigners)}")
    return line, {"origin": v.origin, "index": v.index, "size": v.size, "leafHash": b64encode(v.leaf),
                  "statementKind": v.kind, "logTime": v.log_time, "cosigners": list(v.cosigners)}


def _log_line(log):
    if not log.listings:
        return f"{log.origin} not listed"
    entries = ", ".join(
        f"entry {f.entry.index}, publication {'ended' if f.lapsed else 'ends'} {utc(f.entry.publication_ends)}"
        for f in log.listings)
    return f"{log.origin} {'listed' if log.listed else 'not listed'} ({entries})"


def run_listing(args, trust):
    v = verify_listing_answer(read_input(args.answer, "answer"), trust, args.at, args.kind, args.id, args.all_logs)
    parts = [_log_line(log) for log in v.logs] + [f"no answer from {o}" for o in v.unanswered]
    line = f"{v.id} ({v.kind}) is {'listed' if v.listed else 'not listed'} at {utc(v.at)}: " + "; ".join(parts)
    logs = [{
        "origin": log.origin, "listed": log.listed, "checkpointSize": log.size, "cosigners": list(log.cosigners),
        "listings": [{
            "index": f.entry.index, "leafHash": b64encode(f.entry.leaf), "subjectId": f.entry.subject_id,
            "subjectName": f.entry.subject_name, "cause": f.entry.cause, "legalBasis": f.entry.legal_basis,
            "decidingAgency": f.entry.deciding_agency, "decisionNumber": f.entry.decision_number,
            "caseRef": f.entry.case_ref, "listedFrom": f.entry.listed_from,
            "publicationEnds": f.entry.publication_ends, "lapsed": f.lapsed,
        } for f in log.listings],
    } for log in v.logs]
    return line, {"kind": v.kind, "id": v.id, "listed": v.listed, "at": v.at, "logs": logs,
                  "unanswered": list(v.unanswered)}


def run_consistency(args, trust):
    old = read_input(args.old_checkpoint, "--old-checkpoint")
    v = verify_consistency_answer(read_input(args.answer, "answer"), trust, old)
    line = (f"the log {v.origin} at size {v.size} extends its checkpoint at size {v.old_size}, "
            f"{_cosigned(v.cosigners)}")
    return line, {"origin": v.origin, "old": v.old_size, "size": v.size, "cosigners": list(v.cosigners)}


def make_parser():
    p = _Parser(prog=f"python3 -m {PROG}", description=(
        "Verify an answer of a Custos node against a federation trust file. Prints OK and what was "
        "proved (exit 0), or FAILED and the reason (exit 1); usage errors exit 2."))
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)

    def command(name, help_text, answer_help):
        c = sub.add_parser(name, help=help_text, description=help_text)
        c.add_argument("--trust", required=True, help="the federation file (examples/node/federation.json)")
        c.add_argument("--json", action="store_true", help="print the verdict as one JSON object")
        c.add_argument("answer", nargs="?", default="-", metavar="ANSWER", help=answer_help + " (default -: stdin)")
        return c

    c = command("checkpoint", "a signed checkpoint: its origin's signature and the witness policy",
                "the note of GET /tlog/<origin>/checkpoint")
    c.add_argument("--origin", help="the log it must be of (default: its first line)")
    c.set_defaults(run=run_checkpoint)
    c = command("entry", "an entry answer: checkpoint, leaf hash, inclusion proof",
                "the JSON of GET /v1/logs/<origin>/entries/<i>")
    c.add_argument("--origin", help="the log it must be of")
    c.add_argument("--index", type=int, help="the entry it must be")
    c.set_defaults(run=run_entry)
    c = command("listing", "a listing answer: checkpoints, map proofs, inclusion proofs; the verdict at --at",
                "the JSON of GET /v1/listings/<kind>/<id>")
    c.add_argument("--at", type=parse_time, help="judge lapsed listings at this time: ms or 2027-06-01T00:00:00Z "
                                                 "(default: now)")
    c.add_argument("--kind", choices=("org", "person"), help="the kind of subject asked about")
    c.add_argument("--id", help="the subject asked about, as typed; the answer must be about it")
    c.add_argument("--all-logs", action="store_true",
                   help="fail unless the answer has a part for every log of the trust file (by default a missing "
                        "log is reported: a node leaves out a replica it holds no checkpoint for yet)")
    c.set_defaults(run=run_listing)
    c = command("consistency", "a consistency answer from a checkpoint you hold",
                "the JSON of GET /v1/logs/<origin>/consistency?old=M")
    c.add_argument("--old-checkpoint", required=True, help="the earlier checkpoint of the log (a note file)")
    c.set_defaults(run=run_consistency)
    return p


def main(argv=None):
    out = sys.stdout
    try:
        args = make_parser().parse_args(argv)
        trust = load_federation(args.trust)
        line, verdict = args.run(args, trust)
    except (UsageError, TrustFileError) as e:
        print(f"{PROG}: {e}", file=sys.stderr)
        return EXIT_USAGE
    except CustosVerifyError as e:
        if getattr(args, "json", False):
            print(json.dumps({"verified": False, "error": str(e)}, ensure_ascii=False), file=out)
        else:
            print(f"FAILED: {e}", file=out)
        return EXIT_FAILED
    if args.json:
        print(json.dumps({"verified": True, **verdict}, ensure_ascii=False), file=out)
    else:
        print(f"OK: {line}", file=out)
    return EXIT_OK
