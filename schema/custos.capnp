# Custos records: what an officer signs (Statement), what reaches a node
# (SignedSubmission) and what the node appends (LogEntry).
#
# Every Statement, SignedSubmission and LogEntry is serialised in Cap'n Proto
# canonical form (one segment, no far pointers, pre-order, trailing zeros
# truncated), so equal values have equal bytes and hashes are well defined.
# A node refuses any non-canonical encoding. See docs/entry-format.md.
#
# Conventions: times are Int64 milliseconds since the Unix epoch (UTC);
# 0 in an "until"/"ends" field means "no end". Digests and keys are Data; in
# the JSON form they are lower-case hex ($Json.hex). Schema evolution: fields
# and union variants are only ever added, never renumbered or removed.

@0xabe03f765099cf5d;

using Cxx = import "/capnp/c++.capnp";
using Json = import "/capnp/compat/json.capnp";
$Cxx.namespace("custos::schema");

# ---------------------------------------------------------------- common types

enum DigestAlgorithm {
  sha256 @0;
  sm3 @1;
}

struct ContentDigest {
  algorithm @0 :DigestAlgorithm;
  value @1 :Data $Json.hex;        # 32 bytes
  size @2 :UInt64;                 # bytes of the content
  mediaType @3 :Text;              # e.g. "video/mp4"
}

# A reference to an entry of some log, pinned by its leaf hash.
struct LogRef {
  origin @0 :Text;
  index @1 :UInt64;
  leafHash @2 :Data $Json.hex;     # 32 bytes, RFC 6962 leaf hash
}

# Roles a key can hold; each statement family needs one (docs/authority.md).
enum Role {
  admin @0;            # log administration: key grant / key revoke
  evidence @1;         # evidence custody
  case @2;             # cases, referrals, clues
  listing @3;          # dishonesty listings
}

enum PartyKind {
  unifiedSocialCreditCode @0;   # GB 32100, 18 characters
  residentId @1;                # GB 11643, 18 characters
}

struct Party {
  kind @0 :PartyKind;
  id @1 :Text;
  name @2 :Text;                # organisation name; empty for a person
}

struct Officer {
  name @0 :Text;
  badge @1 :Text;               # enforcement certificate number
}

# ---------------------------------------------------------------- administration

struct Genesis {
  origin @0 :Text;
  nodeKey @1 :Data $Json.hex;           # Ed25519 public key, 32 bytes
  suite @2 :Text;                       # "ed25519-sha256"
  adminKeys @3 :List(Data) $Json.hex;   # Ed25519 public keys, 32 bytes each
}

struct KeyGrant {
  key @0 :Data $Json.hex;         # Ed25519 public key, 32 bytes
  holder @1 :Text;                # the person's name
  post @2 :Text;                  # agency post, e.g. "enforcement officer"
  roles @3 :List(Role);
  validFrom @4 :Int64;
  validUntil @5 :Int64;           # 0: no end
}

struct KeyRevoke {
  key @0 :Data $Json.hex;
  reason @1 :Text;
}

# ---------------------------------------------------------------- evidence custody

enum EvidenceMethod {
  registrationPreservation @0;    # 登记保存
  sampling @1;                    # 抽样取证
  notarisation @2;                # 公证
  audioVideoRecord @3;            # 现场录音录像
  electronicCapture @4;           # 电子数据提取
  seizureSealing @5;              # 查封扣押
}

struct EvidenceRegistered {
  evidenceId @0 :Text;
  caseId @1 :Text;
  digests @2 :List(ContentDigest);
  method @3 :EvidenceMethod;
  description @4 :Text;
  place @5 :Text;
  officers @6 :List(Officer);
  holder @7 :Text;                # who holds it now (agency or custodian)
}

struct CustodyTransferred {
  evidenceId @0 :Text;
  fromHolder @1 :Text;
  toHolder @2 :Text;
  toOrigin @3 :Text;              # receiving agency's log, if another agency; else empty
  reason @4 :Text;
  sealNumber @5 :Text;
}

struct CustodyReceived {
  evidenceId @0 :Text;
  transfer @1 :LogRef;            # the sender's custodyTransferred entry
  holder @2 :Text;
  sealIntact @3 :Bool;
  note @4 :Text;
}

struct EvidenceExamined {
  evidenceId @0 :Text;
  examiner @1 :Text;
  findings @2 :Text;
  digestsMatch @3 :Bool;          # recomputed digests matched the registered ones
}

enum Disposition {
  released @0;
  returned @1;
  destroyed @2;
}

struct EvidenceDisposed {
  evidenceId @0 :Text;
  disposition @1 :Disposition;
  reason @2 :Text;
  recipient @3 :Text;
}

# ---------------------------------------------------------------- cases and referrals

enum CaseType {
  infringementDispute @0;         # 专利侵权纠纷
  passingOff @1;                  # 假冒专利
}

struct CaseOpened {
  caseId @0 :Text;
  caseType @1 :CaseType;
  patentNumber @2 :Text;          # CN application or grant number
  parties @3 :List(Party);
  region @4 :Text;                # administrative division code, 6 digits
  summary @5 :Text;
}

struct CaseReferred {
  caseId @0 :Text;
  toOrigin @1 :Text;              # the receiving agency's log
  reason @2 :Text;
  crimeSuspected @3 :Bool;
  evidenceIds @4 :List(Text);
  answerBy @5 :Int64;             # deadline for the answer
}

enum ReferralAnswer {
  accepted @0;
  rejected @1;
  returned @2;
}

struct ReferralAnswered {
  caseId @0 :Text;
  referral @1 :LogRef;            # the referring agency's caseReferred entry
  answer @2 :ReferralAnswer;
  reason @3 :Text;
}

enum CaseOutcome {
  infringementFound @0;
  noInfringement @1;
  passingOffPenalised @2;
  mediated @3;
}

struct CaseDecided {
  caseId @0 :Text;
  decisionNumber @1 :Text;
  outcome @2 :CaseOutcome;
  orderToStop @3 :Bool;
  fineYuan @4 :UInt64;
  published @5 :Bool;
}

struct CaseClosed {
  caseId @0 :Text;
  reason @1 :Text;
}

struct ClueShared {
  clueId @0 :Text;
  caseId @1 :Text;                # may be empty
  toOrigins @2 :List(Text);
  summary @3 :Text;
}

# ---------------------------------------------------------------- dishonesty listings

enum DelistReason {
  creditRepair @0;                # 信用修复
  periodEnded @1;
  decisionRevoked @2;
}

struct SubjectListed {
  subjectKind @0 :PartyKind;
  subjectId @1 :Text;             # for a person: empty; the id is in the private payload
  subjectName @2 :Text;           # for a person: empty
  cause @3 :Text;
  legalBasis @4 :Text;
  decidingAgency @5 :Text;
  decisionNumber @6 :Text;
  caseRef @7 :Text;               # case id
  listedFrom @8 :Int64;
  publicationEnds @9 :Int64;
  privateDigest @10 :Data $Json.hex;   # SHA-256(salt || payload) for a person; else empty
}

struct SubjectDelisted {
  listing @0 :LogRef;             # the subjectListed entry
  reason @1 :DelistReason;
  note @2 :Text;
}

# ---------------------------------------------------------------- envelope

struct Statement {
  origin @0 :Text;                # the log this statement is meant for
  time @1 :Int64;                 # the author's clock, ms since the epoch
  nonce @2 :Data $Json.hex;       # 16 random bytes: no two statements are equal
  body :union {
    genesis @3 :Genesis;
    keyGrant @4 :KeyGrant;
    keyRevoke @5 :KeyRevoke;
    evidenceRegistered @6 :EvidenceRegistered;
    custodyTransferred @7 :CustodyTransferred;
    custodyReceived @8 :CustodyReceived;
    evidenceExamined @9 :EvidenceExamined;
    evidenceDisposed @10 :EvidenceDisposed;
    caseOpened @11 :CaseOpened;
    caseReferred @12 :CaseReferred;
    referralAnswered @13 :ReferralAnswered;
    caseDecided @14 :CaseDecided;
    caseClosed @15 :CaseClosed;
    clueShared @16 :ClueShared;
    subjectListed @17 :SubjectListed;
    subjectDelisted @18 :SubjectDelisted;
  }
}

# What an author hands to a node. The signature is Ed25519 over
# "custos/statement/v1\n" || statement.
struct SignedSubmission {
  statement @0 :Data;             # canonical Statement bytes
  authorKey @1 :Data $Json.hex;   # Ed25519 public key, 32 bytes
  signature @2 :Data $Json.hex;   # 64 bytes
}

# Leaf i of a log. leafHash(i) = SHA-256(0x00 || canonical LogEntry bytes).
struct LogEntry {
  index @0 :UInt64;
  prevHash @1 :Data $Json.hex;    # leafHash(i-1); 32 zero bytes for i = 0
  logTime @2 :Int64;              # the node's clock when it appended the entry
  submission @3 :SignedSubmission;
}
