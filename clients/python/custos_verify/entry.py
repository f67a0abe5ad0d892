"""Verifying `GET /v1/logs/<origin>/entries/<i>` answers (docs/http-api.md):

    {"origin", "index", "entry" (canonical LogEntry, base64), "leafHash",
     "decoded" (the entry as JSON), "treeSize", "inclusionProof", "checkpoint"}

The checkpoint must pass the trust file's rule for `origin` and be of size
treeSize; the RFC 6962 leaf hash of the entry's bytes, with the inclusion
proof, must lead to its root at `index`; the entry must be canonical and
name that index. The node's readings must match the bytes: "leafHash", and in "decoded"
the index, logTime, prevHash, authorKey, signature, statementBytes, the
statement's origin, time, nonce and kind, and for a subjectListed the whole
body (rendered here as Cap'n Proto's JSON codec renders it). The body of
other kinds of statement is the node's rendering and is not checked
(EntryVerdict.body_checked is False): read those fields from the verified
bytes, not from "decoded".
"""

from dataclasses import dataclass

from . import fields as F
from .encoding import b64decode, b64encode, hash32, hash_list
from .errors import CustosVerifyError, MalformedError, VerificationError, at
from .proofs import verify_inclusion
from .records import PARTY_KINDS, read_listed_entry, read_log_entry, read_statement


@dataclass(frozen=True)
class EntryVerdict:
    origin: str
    index: int
    size: int  # the checkpoint's tree size
    leaf: bytes
    cosigners: tuple
    kind: str  # the statement kind, e.g. "subjectListed"
    log_time: int  # ms since the epoch
    statement_origin: str
    body_checked: bool  # whether "decoded" showed the statement's body as its bytes hold it


def _claim(decoded, path, want, where="decoded"):
    """decoded[path...] must equal `want` (the JSON form writes 64-bit
    integers as decimal strings and bytes as lower-case hex)."""
    value = decoded
    for name in path:
        if not isinstance(value, dict) or name not in value:
            raise MalformedError(f"{where}.{'.'.join(path)}: missing")
        value = value[name]
    if value != want:
        raise VerificationError(f"{where}.{'.'.join(path)}: the answer says {value!r}, the entry's bytes say {want!r}")


def _check_decoded(decoded, entry, statement):
    _claim(decoded, ("index",), str(entry.index))
    _claim(decoded, ("logTime",), str(entry.log_time))
    _claim(decoded, ("prevHash",), entry.prev_hash.hex())
    _claim(decoded, ("submission", "authorKey"), entry.author_key.hex())
    _claim(decoded, ("submission", "signature"), entry.signature.hex())
    _claim(decoded, ("submission", "statementBytes"), entry.statement_bytes.hex())
    _claim(decoded, ("submission", "statement", "origin"), statement.origin)
    _claim(decoded, ("submission", "statement", "time"), str(statement.time))
    if statement.nonce:
        _claim(decoded, ("submission", "statement", "nonce"), statement.nonce.hex())
    body = decoded["submission"]["statement"].get("body")
    if not isinstance(body, dict) or list(body) != [statement.kind]:
        raise VerificationError(
            f"decoded.submission.statement.body: the answer shows {list(body) if isinstance(body, dict) else body!r}, "
            f"the entry's bytes hold a {statement.kind}"
        )
    if statement.kind != "subjectListed":
        return False
    want = render_subject_listed(statement.body)
    got = body["subjectListed"]
    where = "decoded.submission.statement.body.subjectListed"
    if not isinstance(got, dict):
        raise MalformedError(f"{where}: must be an object")
    for name in sorted(set(want) | set(got)):
        if name not in want or name not in got:
            holds = "hold" if name in want else "do not hold"
            raise VerificationError(f"{where}.{name}: the answer {'omits' if name in want else 'shows'} it, the entry's bytes {holds} it")
        if got[name] != want[name]:
            raise VerificationError(f"{where}.{name}: the answer says {got[name]!r}, the entry's bytes say {want[name]!r}")
    return True


def render_subject_listed(b):
    """A subjectListed as the node's JSON shows it (schema/json.h, Cap'n
    Proto's JsonCodec): every field in schema order, a pointer field only
    when set, an enum by name, an Int64 as a decimal string, a $Json.hex Data
    in lower-case hex."""
    out = {"subjectKind": PARTY_KINDS[b.u16(0)]}
    names = ("subjectId", "subjectName", "cause", "legalBasis", "decidingAgency", "decisionNumber", "caseRef")
    for i, name in enumerate(names):
        if b.has(i):
            out[name] = b.text(i, name)
    out["listedFrom"] = str(b.i64(8))
    out["publicationEnds"] = str(b.i64(16))
    if b.has(7):
        out["privateDigest"] = b.data(7, "privateDigest").hex()
    return out


def verify_entry_answer(answer, federation, expect_origin=None, expect_index=None):
    """Verifies an entry answer (a dict, or its JSON text) and returns an
    EntryVerdict. MalformedError / VerificationError naming the field."""
    if not isinstance(answer, dict):
        answer = F.parse_answer(answer)
    F.refuse_problem(answer)
    origin = F.string(answer, "origin")
    index = F.integer(answer, "index")
    size = F.integer(answer, "treeSize")
    entry_bytes = b64decode(F.string(answer, "entry"), "entry")
    claimed_leaf = hash32(F.string(answer, "leafHash"), "leafHash")
    proof = hash_list(F.array(answer, "inclusionProof"), "inclusionProof")
    note = F.string(answer, "checkpoint")
    decoded = F.obj_field(answer, "decoded")
    if expect_origin is not None and origin != expect_origin:
        raise VerificationError(f"origin: the answer is about log {origin}, not {expect_origin}")
    if expect_index is not None and index != expect_index:
        raise VerificationError(f"index: the answer is about entry {index}, not {expect_index}")
    try:
        trusted = federation.check_checkpoint(note, origin)
    except CustosVerifyError as e:
        raise at("checkpoint", e) from None
    cp = trusted.checkpoint
    if cp.size != size:
        raise VerificationError(f"treeSize: the answer says {size}, its checkpoint is of size {cp.size}")
    if index >= size:
        raise VerificationError(f"index: entry {index} is not below the tree size {size}")
    try:
        entry = read_log_entry(entry_bytes, "entry")
    except MalformedError as e:
        raise VerificationError(str(e)) from None
    try:
        verify_inclusion(entry.leaf, index, size, proof, cp.root)
    except CustosVerifyError as e:
        raise VerificationError(
            f"inclusionProof: the entry's bytes are not leaf {index} of the checkpoint's tree: {e}"
        ) from None
    if claimed_leaf != entry.leaf:
        raise VerificationError(f"leafHash: does not match the hash of the entry, {b64encode(entry.leaf)}")
    if entry.index != index:
        raise VerificationError(f"entry: it names index {entry.index}, but it is leaf {index} of the tree")
    try:
        statement = read_statement(entry.statement_bytes, "entry: statement")
    except MalformedError as e:
        raise VerificationError(str(e)) from None
    if statement.kind == "subjectListed":
        try:
            read_listed_entry(entry_bytes, "entry")  # the layout and enum checks of the body
        except MalformedError as e:
            raise VerificationError(str(e)) from None
    body_checked = _check_decoded(decoded, entry, statement)
    return EntryVerdict(origin, index, size, entry.leaf, trusted.cosigners, statement.kind, entry.log_time,
                        statement.origin, body_checked)
