"""Custos records read from their canonical bytes (docs/entry-format.md):
LogEntry, SignedSubmission, Statement and the subjectListed body
(schema/custos.capnp), and ListingAnswer (schema/listing.capnp,
schema/bundle.capnp ProvedEntry). The positions below are those
`capnp compile -ocapnp` prints for each schema; fields are only ever added,
so they stay put.

Only the fields a verifier needs are read. Every record is first checked to
be exactly canonical (capnp.open_canonical), and each struct read here to
hold no bits or pointers outside the fields its schema knows, as the C++
reader refuses them (schema/well_formed.h, Unknown::kRefuse). The C++ reader
also walks the statement kinds this one does not read (a keyGrant's roles,
…); for those this reader relies on the inclusion proof: a log only appends
entries its node checked whole, and the witnesses of the quorum checked them
again before cosigning.
"""

from dataclasses import dataclass

from .capnp import open_canonical
from .errors import MalformedError
from .listings_map import KIND_ORG, KIND_PERSON, subject_key
from .proofs import leaf_hash

# schema/canonical.h, ledger/listings/listing_check.h
MAX_STATEMENT_BYTES = 64 * 1024
MAX_ENTRY_BYTES = MAX_STATEMENT_BYTES + 1024
MAX_ANSWER_BYTES = 16 << 20

# The Statement.body union, by tag (schema/custos.capnp, bits [64, 80)).
STATEMENT_KINDS = (
    "genesis", "keyGrant", "keyRevoke", "evidenceRegistered", "custodyTransferred", "custodyReceived",
    "evidenceExamined", "evidenceDisposed", "caseOpened", "caseReferred", "referralAnswered",
    "caseDecided", "caseClosed", "clueShared", "subjectListed", "subjectDelisted",
)
SUBJECT_LISTED = STATEMENT_KINDS.index("subjectListed")
PARTY_KINDS = ("unifiedSocialCreditCode", "residentId")

# The bits each data word's fields use, and the pointer count, per struct:
# anything else set is refused, as the C++ reader does for records.
_ALL = (1 << 64) - 1
LAYOUT_LOG_ENTRY = ((_ALL, _ALL), 2)
LAYOUT_SIGNED_SUBMISSION = ((), 3)
LAYOUT_STATEMENT = ((_ALL, 0xFFFF), 3)
LAYOUT_SUBJECT_LISTED = ((0xFFFF, _ALL, _ALL), 8)
LAYOUT_LISTING_ANSWER = ((0xFFFFFFFF,), 3)
LAYOUT_LOG_LISTING_ANSWER = ((), 4)
LAYOUT_MAP_PROOF = ((), 4)
LAYOUT_PROVED_ENTRY = ((), 2)


@dataclass(frozen=True)
class Statement:
    origin: str
    time: int
    nonce: bytes
    kind: str  # the body's union member, e.g. "subjectListed"
    body: object  # capnp.Struct of the member


@dataclass(frozen=True)
class LogEntry:
    index: int
    prev_hash: bytes
    log_time: int
    statement_bytes: bytes
    author_key: bytes
    signature: bytes
    leaf: bytes  # RFC 6962 leaf hash of the entry's bytes


@dataclass(frozen=True)
class ListedEntry:
    """What a subjectListed entry says (listings::ListedEntry)."""

    index: int
    leaf: bytes
    key: bytes  # the subject's map key
    subject_id: str
    subject_name: str
    cause: str
    legal_basis: str
    deciding_agency: str
    decision_number: str
    case_ref: str
    listed_from: int
    publication_ends: int


def read_log_entry(data, what="entry"):
    """LogEntry {index @0 UInt64 bits[0,64); prevHash @1 ptr[0];
    logTime @2 Int64 bits[64,128); submission @3 ptr[1]} and
    SignedSubmission {statement ptr[0], authorKey ptr[1], signature ptr[2]}."""
    root = open_canonical(data, what, MAX_ENTRY_BYTES)
    root.check_layout(*LAYOUT_LOG_ENTRY, "LogEntry")
    sub = root.struct(1, "submission")
    sub.check_layout(*LAYOUT_SIGNED_SUBMISSION, "submission")
    return LogEntry(
        index=root.u64(0),
        prev_hash=root.data(0, "prevHash"),
        log_time=root.i64(8),
        statement_bytes=sub.data(0, "submission.statement"),
        author_key=sub.data(1, "submission.authorKey"),
        signature=sub.data(2, "submission.signature"),
        leaf=leaf_hash(data),
    )


def read_statement(data, what="statement"):
    """Statement {origin @0 ptr[0]; time @1 Int64 bits[0,64); nonce @2 ptr[1];
    body union tag bits[64,80), its member at ptr[2]}."""
    root = open_canonical(data, what, MAX_STATEMENT_BYTES)
    root.check_layout(*LAYOUT_STATEMENT, "Statement")
    tag = root.u16(8)
    if tag >= len(STATEMENT_KINDS):
        raise MalformedError(f"{what}: body: union member {tag} is not one this verifier knows")
    return Statement(
        origin=root.text(0, "origin"),
        time=root.i64(0),
        nonce=root.data(1, "nonce"),
        kind=STATEMENT_KINDS[tag],
        body=root.struct(2, f"body.{STATEMENT_KINDS[tag]}"),
    )


def read_listed_entry(data, what="entry"):
    """A canonical LogEntry whose statement is a subjectListed
    (listings::ReadListedEntry). SubjectListed: subjectKind @0 bits[0,16);
    subjectId, subjectName, cause, legalBasis, decidingAgency,
    decisionNumber, caseRef ptr[0..6]; listedFrom bits[64,128);
    publicationEnds bits[128,192); privateDigest ptr[7]."""
    entry = read_log_entry(data, what)
    statement = read_statement(entry.statement_bytes, "statement")
    if statement.kind != "subjectListed":
        raise MalformedError(f"entry {entry.index}: not a subjectListed entry")
    b = statement.body
    b.check_layout(*LAYOUT_SUBJECT_LISTED, "body.subjectListed")
    kind = b.u16(0)
    if kind >= len(PARTY_KINDS):
        raise MalformedError(f"statement: body.subjectListed.subjectKind: enum value {kind} is not known")
    p = "body.subjectListed."
    subject_id = b.text(0, p + "subjectId")
    if kind == KIND_PERSON:
        key = subject_key(KIND_PERSON, b.data(7, p + "privateDigest"))
    else:
        key = subject_key(KIND_ORG, subject_id.encode("utf-8"))
    return ListedEntry(
        index=entry.index,
        leaf=entry.leaf,
        key=key,
        subject_id=subject_id,
        subject_name=b.text(1, p + "subjectName"),
        cause=b.text(2, p + "cause"),
        legal_basis=b.text(3, p + "legalBasis"),
        deciding_agency=b.text(4, p + "decidingAgency"),
        decision_number=b.text(5, p + "decisionNumber"),
        case_ref=b.text(6, p + "caseRef"),
        listed_from=b.i64(8),
        publication_ends=b.i64(16),
    )


def read_listing_answer(data, what="answer"):
    """ListingAnswer {version @0 UInt32 bits[0,32); kind ptr[0]; id ptr[1];
    logs ptr[2]: List(LogListingAnswer {origin ptr[0]; checkpoint ptr[1];
    mapProof ptr[2]: MapProof {key, value, bitmap ptr[0..2]; siblings ptr[3]};
    listings ptr[3]: List(ProvedEntry {entry ptr[0]; proof ptr[1]})})},
    as plain dicts and lists (value None when absent)."""
    root = open_canonical(data, what, MAX_ANSWER_BYTES)
    root.check_layout(*LAYOUT_LISTING_ANSWER, "ListingAnswer")
    logs = []
    for i, log in enumerate(root.struct_list(2, "logs")):
        at = f"logs[{i}]"
        log.check_layout(*LAYOUT_LOG_LISTING_ANSWER, at)
        mp = log.struct(2, at + ".mapProof")
        mp.check_layout(*LAYOUT_MAP_PROOF, at + ".mapProof")
        proved = log.struct_list(3, at + ".listings")
        for j, p in enumerate(proved):
            p.check_layout(*LAYOUT_PROVED_ENTRY, f"{at}.listings[{j}]")
        logs.append({
            "origin": log.text(0, at + ".origin"),
            "checkpoint": log.text(1, at + ".checkpoint"),
            "mapProof": {
                "key": mp.data(0, at + ".mapProof.key"),
                "value": mp.data(1, at + ".mapProof.value") if mp.has(1) else None,
                "bitmap": mp.data(2, at + ".mapProof.bitmap"),
                "siblings": mp.data_list(3, at + ".mapProof.siblings"),
            },
            "listings": [
                {"entry": p.data(0, f"{at}.listings[{j}].entry"), "proof": p.data_list(1, f"{at}.listings[{j}].proof")}
                for j, p in enumerate(proved)
            ],
        })
    return {"version": root.u32(0), "kind": root.text(0, "kind"), "id": root.text(1, "id"), "logs": logs}
