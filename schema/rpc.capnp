# The Custos node's RPC interface (Cap'n Proto RPC over mutually
# authenticated TLS; see node/tls.h, docs/transport.md and docs/node.md).
#
# One bootstrap capability, `Node`, serves officers' clients and peer nodes.
# What a caller may do depends on who it is (its TLS key): any authenticated
# caller may read; submit needs a key the node's log knows; the witness and
# cosignature calls need a peer key from the federation file.
#
# Errors: per-submission refusals come back as values (SubmitResult.error).
# Everything else fails the call with a kj exception whose type tells the
# caller whether retrying can help: FAILED (no: bad input, not found, refused),
# OVERLOADED (yes, later), DISCONNECTED (yes, after reconnecting).
#
# Sizes: a call carries at most 4096 submissions or returns at most 4096
# entries; messages are limited by the transport (node/rpc_limits.h).

@0x89a05297315f759e;

using Cxx = import "/capnp/c++.capnp";
using Listing = import "listing.capnp";
$Cxx.namespace("custos::rpc");

enum ErrorCode {
  invalidArgument @0;    # malformed or oversized input; the message names the field
  unauthorized @1;       # the author key may not do this now
  alreadyExists @2;      # a replayed submission
  verificationFailed @3; # a signature, hash or proof does not check
  aborted @4;            # not appended because another item of the batch was refused
  unavailable @5;        # the node could not write (disk); retry later
  notFound @6;
}

struct Error {
  code @0 :ErrorCode;
  message @1 :Text;
}

# What an officer gets back for an appended submission: where it is, and an
# offline-checkable c2sp.org/tlog-proof@v1 against the checkpoint that first
# covered it (signed by the origin; the witnesses' cosignatures come later,
# see checkpoint()).
struct Receipt {
  index @0 :UInt64;
  leafHash @1 :Data;
  proof @2 :Text;
}

struct SubmitResult {
  union {
    receipt @0 :Receipt;
    error @1 :Error;
  }
}

enum LogRole {
  own @0;       # the node's own log: it appends and signs
  replica @1;   # a peer's log that the node follows, verifies and cosigns
}

struct LogInfo {
  origin @0 :Text;
  role @1 :LogRole;
  size @2 :UInt64;
  checkpoint @3 :Text;         # latest checkpoint note held, with any cosignatures
  cosignatures @4 :UInt32;     # cosignature lines on it
}

struct PeerStatus {
  origin @0 :Text;
  address @1 :Text;
  agencyKind @2 :Text;
  connected @3 :Bool;
  heldSize @4 :UInt64;         # entries of its log verified and stored here
  knownSize @5 :UInt64;        # the largest size it has announced
  lastError @6 :Text;
}

struct NodeStatus {
  origin @0 :Text;
  logs @1 :List(LogInfo);
  peers @2 :List(PeerStatus);
  alarms @3 :List(Text);       # e.g. an equivocation seen
}

# Two checkpoints signed by one origin that cannot both be honest: the same
# size with different roots, or a newer one that is not consistent with an
# older one (then `consistency` proves the older root from the newer tree's
# hashes and the result differs). Anyone can check it with the origin's key.
struct EquivocationProof {
  origin @0 :Text;
  noteA @1 :Text;              # the smaller (or equal) size
  noteB @2 :Text;
  consistency @3 :List(Data);  # RFC 9162 proof from A's size to B's size, by B's tree;
                               # when A's size is a power of two it starts with the hash
                               # of B's first size(A) leaves (docs/replication.md)
}

interface CheckpointSubscriber {
  # Called with every new checkpoint of the subscribed log.
  newCheckpoint @0 (origin :Text, note :Text) -> ();
}

interface Subscription {
  # Dropping the capability ends the subscription.
}

interface Node {
  # --- officers
  # Appends signed submissions (canonical SignedSubmission bytes). Returns once
  # a checkpoint covers the appended ones; refusals are per item.
  # Calls that arrive together are group-committed: one batch, one synced
  # write, one checkpoint; each receipt's proof is against the checkpoint of
  # the batch that appended it. The caller's TLS key must be one the node's
  # log knows (granted and not revoked, or a genesis admin), else FAILED
  # "unauthorized: …". Limits (node/rpc_limits.h): at most 4096 submissions,
  # each at most 65792 bytes (64 KiB + 256), else FAILED "invalid argument:
  # submissions…" naming the limit; OVERLOADED when too many are queued.
  # `privates` carries the private payloads of listings of persons
  # (docs/personal-data.md), at most one per submission, never logged: such a
  # listing is refused without its payload, or with one that does not hash
  # to its privateDigest.
  submit @0 (submissions :List(Data), privates :List(PrivateAttachment)) -> (results :List(SubmitResult));

  # --- anyone authenticated: every log the node holds
  status @1 () -> (status :NodeStatus);
  checkpoint @2 (origin :Text) -> (note :Text);
  entries @3 (origin :Text, start :UInt64, count :UInt32) -> (entries :List(Data));
  # Canonical LogEntry bytes of entries start, start+1, …: at most `count`
  # (which must be <= 4096), fewer at the end of the log or once the reply
  # holds 16 MiB (always at least one if start < size); none if start equals
  # the size; FAILED if start is past it.
  inclusionProof @4 (origin :Text, index :UInt64, treeSize :UInt64) -> (proof :List(Data), checkpoint :Text);
  # treeSize 0 means the latest; otherwise it must be the size of a checkpoint
  # the node holds (the own log signs one per committed batch), which is
  # returned as `checkpoint` (so proof + checkpoint make a tlog-proof).
  consistencyProof @5 (origin :Text, oldSize :UInt64, treeSize :UInt64) -> (proof :List(Data));
  # treeSize 0 means the latest. oldSize <= treeSize.
  subscribe @6 (origin :Text, subscriber :CheckpointSubscriber) -> (subscription :Subscription);
  # The subscriber is called at once with the log's current checkpoint, then
  # with each new one. Calls to one subscriber never overlap: checkpoints that
  # come while one is in flight are coalesced to the newest. A subscriber
  # whose call fails is dropped.

  # --- peers (a federation peer's TLS key only, else FAILED "unauthorized: …").
  # C2SP tlog-witness semantics: `checkpoint` is a note signed by its origin;
  # `oldSize` is the size the caller believes this witness last cosigned
  # (0 if none) and `proof` the consistency proof from it. Refuses an unknown
  # origin (FAILED "not found: … unknown origin"), a bad signature (FAILED), a
  # stale oldSize (FAILED, message "conflict: witness holds size N"), a bad
  # proof (FAILED "verification failed: proof: …"), an equivocation (FAILED "failed
  # precondition: equivocation: …"; the witness keeps the proof). A
  # checkpoint larger than what the witness verified waits (at most 30 s)
  # until its follower has fetched and checked the entries, else OVERLOADED.
  # Returns this node's cosignature line ("— name base64...\n").
  addCheckpoint @7 (oldSize :UInt64, proof :List(Data), checkpoint :Text) -> (cosignature :Text);
  # A witness hands back the cosignature it made for this node's checkpoint
  # (cosignature/v1 by the caller's key, named after the caller's origin);
  # the node then serves that checkpoint with it.
  addCosignature @8 (checkpoint :Text, cosignature :Text) -> ();
  # Hands over a proof that some origin equivocated; the receiver checks it.
  reportEquivocation @9 (proof :EquivocationProof) -> (accepted :Bool, reason :Text);

  # --- queries: every answer carries what a client needs to check
  # it against a cosigned checkpoint; the command line checks before printing.
  listingCheck @10 (kind :Text, id :Text, origin :Text) -> (answer :Listing.ListingAnswer);
  # Is a subject listed? kind "org" (id: unified social credit code) or
  # "person" (id: the listing's hex privateDigest, for now). For every log the
  # node holds, or only `origin` if given: its latest cosigned checkpoint, the
  # map proof against that checkpoint's "listings" root, and the subject's
  # live listing entries with inclusion proofs (schema/listing.capnp,
  # docs/listings-map.md). A replica caught between two checkpoints is
  # left out (named origin: FAILED, retry). Any authenticated caller.
  evidenceBundle @11 (algorithm :Text, digest :Data) -> (bundle :Data);
  caseTrail @12 (caseId :Text) -> (trail :CaseTrail);
  # Every entry about the case across every log the node holds (docs/audit.md),
  # in the trail order, each with its inclusion proof. FAILED "invalid
  # argument: caseId: …" for an empty or over-long id; an unknown case has no
  # entries.
  auditReferrals @13 (at :Int64) -> (report :ReferralAudit);
  # The referral audit of every bureau log the node holds (agencyKind
  # "ip-bureau" in its federation file, docs/audit.md) at `at` (ms since the
  # epoch; 0: the node's clock now).
  privatePayload @14 (origin :Text, index :UInt64) -> (salt :Data, payload :Data);
  # The private payload of the listing of a person at entry `index` of a log
  # the node holds, with its salt (docs/personal-data.md); the caller checks
  # SHA-256(salt || payload) against the entry's privateDigest. Both empty
  # when the node holds none: the listing ended and the payload was deleted
  # (redacted), or it never reached this node. Only for a federation peer's
  # key or a key the node's log knows with the listing role, else FAILED
  # "unauthorized: …"; FAILED "not found: …" when the entry is no listing of
  # a person or is not held.

  # --- operators: keys the node's log knows, not revoked, with the admin
  # role (else FAILED "unauthorized: …"). One runs at a time (OVERLOADED
  # while another does). `progress` (may be null) hears of the work about
  # twice a second, which also keeps the connection from going idle.
  verifyStore @15 (progress :ProgressSink) -> (logs :List(VerifiedLog));
  # Copies the store as of one moment (a LevelDB snapshot) into a scratch
  # directory beside the node's backups, verifies the copy in full (the own
  # log and every replica of a federation peer, docs/operations.md) and
  # deletes it. FAILED "corruption: …" naming the first check that failed.
  backupStore @16 (name :Text, progress :ProgressSink) -> (path :Text, records :UInt64, entries :UInt64,
                                                          logs :List(VerifiedLog));
  # The same copy kept as a data directory `name` (letters, digits, '.', '_'
  # and '-'; not starting with '.') in the node's backupDirectory: a
  # directory `custos log verify` accepts and custosd can start from. FAILED
  # "already exists: …" if it does; `path` is where it is on the node's host.
}

# Progress of an operator's job (verifyStore, backupStore): `stage` says
# what is being done ("copying", "verifying ORIGIN"), `done` of `total`.
interface ProgressSink {
  update @0 (stage :Text, done :UInt64, total :UInt64) -> ();
}

# One log a full verification checked.
struct VerifiedLog {
  origin @0 :Text;
  role @1 :LogRole;
  size @2 :UInt64;
  root @3 :Data;                  # the root of its first `size` entries
  checkpoint @4 :Text;            # the checkpoint at that size
  uncheckedReferences @5 :UInt64; # references to logs not held that far (docs/rules.md)
}

# A private payload sent with a submission (submit's `privates`).
struct PrivateAttachment {
  submission @0 :UInt32;   # the position of its submission in `submissions`
  salt @1 :Data;           # 32 random bytes
  payload @2 :Data;        # the canonical payload (docs/personal-data.md)
}

# --- case trail and referral audit (docs/audit.md) --------------------------

# A log as the answer saw it: the checkpoint the answer was computed over,
# with the cosignatures the node holds for it. Every entry cited from this
# log is proved against it.
struct AnsweredLog {
  origin @0 :Text;
  checkpoint @1 :Text;          # signed note, then cosignature lines
}

# One entry an answer rests on: its canonical LogEntry bytes and an RFC 9162
# inclusion proof to the checkpoint of its log in the answer's `logs`.
struct CitedEntry {
  origin @0 :Text;
  index @1 :UInt64;
  entry @2 :Data;
  proof @3 :List(Data);
}

struct CaseTrail {
  caseId @0 :Text;
  logs @1 :List(AnsweredLog);     # every log searched
  entries @2 :List(CitedEntry);   # by logTime, then origin, then index
}

enum AuditFindingKind {
  referralUnanswered @0;          # answerBy passed, no referralAnswered in the receiving log
  suspectedCrimeNotReferred @1;   # crimeSuspected, decided/closed with no earlier referral to public security
  evidenceNotReceived @2;         # evidence named by a referral, no custodyReceived in the receiving log
  listingLapsedNotDelisted @3;    # publicationEnds passed, never delisted
}

struct AuditFinding {
  kind @0 :AuditFindingKind;
  origin @1 :Text;                # the bureau's log
  caseId @2 :Text;
  subject @3 :Text;               # evidence id, or the receiving origin of a referral
  deadline @4 :Int64;             # answerBy or publicationEnds; 0 if none
  detail @5 :Text;
  entries @6 :List(UInt32);       # positions in ReferralAudit.entries
}

struct ReferralAudit {
  at @0 :Int64;
  audited @1 :List(AnsweredLog);  # the bureau logs, each audited up to its checkpoint
  consulted @2 :List(AnsweredLog);  # the other logs held (answers, receipts)
  notHeld @3 :List(Text);         # bureaus of the federation whose log the node does not hold
  entriesScanned @4 :UInt64;
  entries @5 :List(CitedEntry);   # every entry a finding cites, once
  findings @6 :List(AuditFinding);
}
