"""Verifying a listing answer of `GET /v1/listings/<kind>/<id>` (docs/http-api.md,
"Listing checks"), the checks of trust/listing_verifier.cc and
`custos listing verify` (cli/listing_commands.cc), on the JSON:

for each log of the answer, in this order
  1. the log is in the trust file, and appears once;
  2. its checkpoint passes the trust file's rule (trust.Federation.check_checkpoint);
  3. the checkpoint has one "listings" line, the root of the log's map;
  4. each listing entry is a canonical LogEntry of a subjectListed of this
     subject, its RFC 9162 inclusion proof from the index it names leads to
     the checkpoint's root, and the indexes increase;
  5. the map proof shows the subject's key mapped to the digest of exactly
     those entries (or absent when there are none) under the listings root,
     so an answer that leaves a live listing out fails here;
and then the verdict is the client's own: a subject is listed in a log iff
one of its proved entries has its publicationEnds after the client's time.

The node's readings in the JSON ("listed", "lapsed", each listing's fields,
"leafHash") are checked against what the proofs say, at the node's own time
"at": a node that claims what its proofs contradict is caught, not believed.
The "answer" field (the canonical ListingAnswer that `custos listing verify`
reads) must hold the very same logs, checkpoints, proofs and entries.
"""

import time
from dataclasses import dataclass, field

from . import fields as F
from .encoding import b64decode, b64encode, hash32, hash_list
from .errors import CustosVerifyError, MalformedError, VerificationError, at
from .listings_map import MAP_HEIGHT, MapProof, listing_state_digest, verify_map_proof
from .proofs import verify_inclusion
from .records import ListedEntry, read_listed_entry, read_listing_answer
from .subject import KINDS, key_of, normalize_id


@dataclass(frozen=True)
class ListingFound:
    entry: ListedEntry
    lapsed: bool  # publicationEnds <= the verdict's time


@dataclass(frozen=True)
class LogVerdict:
    origin: str
    size: int
    cosigners: tuple  # the policy's cosigners whose cosignature verified
    listed: bool
    listings: tuple  # ListingFound, in index order


@dataclass(frozen=True)
class ListingVerdict:
    kind: str
    id: str
    listed: bool  # at `at`, the verifier's time
    at: int  # ms since the epoch
    logs: tuple
    unanswered: tuple = field(default_factory=tuple)  # trusted origins the answer has no part for


# The JSON fields of a listing, and the ListedEntry attribute each must equal.
_CLAIMS = (
    ("index", "index"), ("subjectId", "subject_id"), ("subjectName", "subject_name"), ("cause", "cause"),
    ("legalBasis", "legal_basis"), ("decidingAgency", "deciding_agency"), ("decisionNumber", "decision_number"),
    ("caseRef", "case_ref"), ("listedFrom", "listed_from"), ("publicationEnds", "publication_ends"),
)
_INT64 = (-(1 << 63), (1 << 63) - 1)


def now_millis():
    return time.time_ns() // 1_000_000


@dataclass
class _Log:
    """One log's part of the JSON, decoded but not verified."""

    where: str
    origin: str
    claimed_listed: bool
    checkpoint: str
    proof: MapProof
    listings: list  # (where, entry bytes, inclusion proof, the JSON object)


def _map_proof(obj, where):
    key = hash32(F.string(obj, "key", where), F.path(where, "key"))
    if "value" not in obj:
        raise MalformedError(f"{where}.value: missing (null when not listed)")
    value = None if obj["value"] is None else hash32(F.string(obj, "value", where), F.path(where, "value"))
    bitmap = b64decode(F.string(obj, "bitmap", where), F.path(where, "bitmap"))
    if len(bitmap) != 32:
        raise MalformedError(f"{where}.bitmap: {len(bitmap)} bytes, not 32")
    siblings = hash_list(F.array(obj, "siblings", where), F.path(where, "siblings"), MAP_HEIGHT)
    return MapProof(key, value, bitmap, tuple(siblings))


def _parse_log(obj, where):
    if not isinstance(obj, dict):
        raise MalformedError(f"{where}: must be a JSON object")
    listings = []
    for j, item in enumerate(F.array(obj, "listings", where)):
        w = f"{where}.listings[{j}]"
        if not isinstance(item, dict):
            raise MalformedError(f"{w}: must be a JSON object")
        entry = b64decode(F.string(item, "entry", w), F.path(w, "entry"))
        proof = hash_list(F.array(item, "inclusionProof", w), F.path(w, "inclusionProof"))
        listings.append((w, entry, proof, item))
    return _Log(
        where=where,
        origin=F.string(obj, "origin", where),
        claimed_listed=F.boolean(obj, "listed", where),
        checkpoint=F.string(obj, "checkpoint", where),
        proof=_map_proof(F.obj_field(obj, "mapProof", where), F.path(where, "mapProof")),
        listings=listings,
    )


def _check_listing(w, entry_bytes, proof, cp, key):
    """Step 4 for one listing: what its entry says, once proved."""
    try:
        listed = read_listed_entry(entry_bytes, "entry")
    except MalformedError as e:
        raise at(f"{w}.entry", e) from None
    try:
        verify_inclusion(listed.leaf, listed.index, cp.size, proof, cp.root)
    except CustosVerifyError as e:
        raise VerificationError(f"{w}.inclusionProof: listing at entry {listed.index}: inclusion proof: {e}") from None
    if listed.key != key:
        raise VerificationError(f"{w}.entry: listing at entry {listed.index}: lists another subject")
    return listed


def _check_claims(w, item, listed, node_at):
    """The node's reading of a proved listing must be what the entry says."""
    for name, attr in _CLAIMS:
        if name not in item:
            raise MalformedError(f"{w}.{name}: missing")
        got, want = item[name], getattr(listed, attr)
        if type(got) is not type(want) or got != want:
            raise VerificationError(f"{w}.{name}: the answer says {got!r}, the entry it proves says {want!r}")
    if F.string(item, "leafHash", w) != b64encode(listed.leaf):
        raise VerificationError(f"{w}.leafHash: does not match the hash of the entry, {b64encode(listed.leaf)}")
    lapsed = listed.publication_ends <= node_at
    if F.boolean(item, "lapsed", w) != lapsed:
        raise VerificationError(
            f"{w}.lapsed: the answer says {str(not lapsed).lower()}, but the entry's publicationEnds "
            f"{listed.publication_ends} is {'not after' if lapsed else 'after'} the answer's time {node_at}"
        )


def _verify_log(log, federation, key, now_ms, node_at):
    try:
        trusted = federation.check_checkpoint(log.checkpoint, log.origin)
    except CustosVerifyError as e:
        raise at(f"{log.where}.checkpoint", e) from None
    cp = trusted.checkpoint
    try:
        root = cp.listings_root()
    except MalformedError as e:
        raise VerificationError(f"{log.where}.checkpoint: {e}") from None
    if root is None:
        raise VerificationError(f'{log.where}.checkpoint: no "listings" line')
    found, live = [], []
    for w, entry_bytes, proof, item in log.listings:
        listed = _check_listing(w, entry_bytes, proof, cp, key)
        if live and live[-1][0] >= listed.index:
            raise VerificationError(f"{w}: listing at entry {listed.index}: listings out of index order")
        live.append((listed.index, listed.leaf))
        found.append((w, item, listed))
    value = listing_state_digest(live) if live else None
    try:
        verify_map_proof(root, key, value, log.proof)
    except CustosVerifyError as e:
        raise at(f"{log.where}.mapProof", e) from None
    # Everything is proved; now hold the node to what it claimed, at its time.
    for w, item, listed in found:
        _check_claims(w, item, listed, node_at)
    listed_then = any(l.publication_ends > node_at for _, _, l in found)
    if log.claimed_listed != listed_then:
        raise VerificationError(
            f"{log.where}.listed: the answer says {str(log.claimed_listed).lower()}, but at its own time {node_at} "
            f"the listings it proves make the subject {'listed' if listed_then else 'not listed'}"
        )
    listings = tuple(ListingFound(l, l.publication_ends <= now_ms) for _, _, l in found)
    return LogVerdict(log.origin, cp.size, trusted.cosigners, any(not l.lapsed for l in listings), listings), listed_then


def _same_as_blob(answer, kind, subject_id, logs):
    """The canonical "answer" must say exactly what the JSON says."""
    blob = b64decode(F.string(answer, "answer"), "answer")
    decoded = read_listing_answer(blob, "answer")

    def differ(where):
        return VerificationError(f"answer: the canonical answer differs from the JSON at {where}")

    if decoded["version"] != 1:
        raise VerificationError(f"answer: version {decoded['version']} is not 1")
    for name, value in (("kind", kind), ("id", subject_id)):
        if decoded[name] != value:
            raise differ(name)
    if len(decoded["logs"]) != len(logs):
        raise differ("logs (the number of logs)")
    for b, log in zip(decoded["logs"], logs):
        p = log.proof
        pairs = (("origin", b["origin"], log.origin), ("checkpoint", b["checkpoint"], log.checkpoint),
                 ("mapProof.key", b["mapProof"]["key"], p.key), ("mapProof.value", b["mapProof"]["value"], p.value),
                 ("mapProof.bitmap", b["mapProof"]["bitmap"], p.bitmap),
                 ("mapProof.siblings", tuple(b["mapProof"]["siblings"]), p.siblings),
                 ("listings", [(l["entry"], l["proof"]) for l in b["listings"]],
                  [(e, list(pr)) for _, e, pr, _ in log.listings]))
        for name, got, want in pairs:
            if got != want:
                raise differ(f"{log.where}.{name}")


def _subject(answer, expect_kind, expect_id):
    """The answer's subject (kind, canonical id), which must be the one asked about."""
    kind = F.string(answer, "kind")
    if kind not in KINDS:
        raise MalformedError(f'kind: "{kind}" is not org or person')
    subject_id = F.string(answer, "id")
    if normalize_id(kind, subject_id) != subject_id:
        raise MalformedError(f'id: "{subject_id}" is not in canonical form')
    if expect_kind is not None and expect_kind != kind:
        raise VerificationError(f"kind: the answer is about a subject of kind {kind}, not {expect_kind}")
    if expect_id is not None and normalize_id(kind, expect_id) != subject_id:
        raise VerificationError(f'id: the answer is about "{subject_id}", not the subject asked about')
    return kind, subject_id


def _verify_logs(logs, federation, key, now_ms, node_at):
    """Steps 1-5 for every log: the verdicts, and whether the logs make the
    subject listed at the node's time."""
    seen, verdicts, listed_then = set(), [], False
    for log in logs:
        if federation.origin_key(log.origin) is None:
            raise VerificationError(f"{log.where}.origin: log {log.origin} is not in the trust file")
        if log.origin in seen:
            raise VerificationError(f"{log.where}.origin: log {log.origin} appears twice")
        seen.add(log.origin)
        verdict, then = _verify_log(log, federation, key, now_ms, node_at)
        verdicts.append(verdict)
        listed_then = listed_then or then
    if not verdicts:
        raise VerificationError("logs: the answer has no part for any log")
    return verdicts, listed_then


def verify_listing_answer(answer, federation, now_ms=None, expect_kind=None, expect_id=None, all_logs=False):
    """Verifies a listing answer (a parsed dict, or its JSON text) against a
    trust.Federation and returns a ListingVerdict judged at `now_ms` (ms since
    the epoch; default: now). `expect_kind` / `expect_id`: the subject asked
    about, as typed; the answer must be about it. A node leaves out a log it
    has no checkpoint for yet, so a log of the trust file may be missing:
    that is reported in ListingVerdict.unanswered, or refused if `all_logs`.
    Raises MalformedError if the answer is not in the documented form,
    VerificationError naming the failed check."""
    if not isinstance(answer, dict):
        answer = F.parse_answer(answer)
    F.refuse_problem(answer)
    now_ms = now_millis() if now_ms is None else now_ms
    kind, subject_id = _subject(answer, expect_kind, expect_id)
    node_at = F.integer(answer, "at", "", *_INT64)
    claimed = F.boolean(answer, "listed")
    logs = [_parse_log(o, f"logs[{i}]") for i, o in enumerate(F.array(answer, "logs"))]
    F.string(answer, "answer")  # the whole shape is checked before any proof
    verdicts, listed_then = _verify_logs(logs, federation, key_of(kind, subject_id), now_ms, node_at)
    if claimed != listed_then:
        raise VerificationError(
            f"listed: the answer says {str(claimed).lower()}, but its own logs make the subject "
            f"{'listed' if listed_then else 'not listed'} at its time {node_at}"
        )
    _same_as_blob(answer, kind, subject_id, logs)
    answered = {v.origin for v in verdicts}
    unanswered = tuple(o for o in sorted(federation.peers) if o not in answered)
    if all_logs and unanswered:
        raise VerificationError(f"logs: the answer has no part for {', '.join(unanswered)}, which the trust file lists")
    return ListingVerdict(kind, subject_id, any(v.listed for v in verdicts), now_ms, tuple(verdicts), unanswered)
