#include "ledger/listings/listing_check.h"

#include <kj/exception.h>
#include <leveldb/db.h>

#include <set>

#include "crypto/text.h"
#include "schema/text.h"
#include "schema/well_formed.h"
#include "ledger/listings/listings_state.h"
#include "ledger/storage/layout.h"
#include "ledger/storage/store.h"
#include "ledger/tlog/checkpoint.h"
#include "ledger/tlog/merkle.h"
#include "schema/canonical.h"

namespace custos::listings {

namespace {

void FillHashes(const std::vector<Hash>& hashes, capnp::List<capnp::Data>::Builder out) {
  for (size_t i = 0; i < hashes.size(); ++i) out.set(static_cast<capnp::uint>(i), DataOf(hashes[i].span()));
}

template <size_t N>
Status Exactly(capnp::Data::Reader in, std::array<uint8_t, N>* out, const std::string& field) {
  if (in.size() != N) {
    return Status::InvalidArgument(field + ": " + std::to_string(in.size()) + " bytes, not " + std::to_string(N));
  }
  std::copy(in.begin(), in.end(), out->begin());
  return Status::OK();
}

Result<std::vector<Hash>> ReadHashes(capnp::List<capnp::Data>::Reader in, const std::string& field) {
  std::vector<Hash> out(in.size());
  for (capnp::uint i = 0; i < in.size(); ++i) {
    CUSTOS_RETURN_IF_ERROR(Exactly(in[i], &out[i].bytes, field + "[" + std::to_string(i) + "]"));
  }
  return out;
}

void FillMapProof(const MapProof& proof, schema::MapProof::Builder out) {
  out.setKey(DataOf(proof.key.span()));
  if (proof.value) out.setValue(DataOf(proof.value->span()));
  out.setBitmap(DataOf(ByteSpan(proof.bitmap.data(), proof.bitmap.size())));
  FillHashes(proof.siblings, out.initSiblings(static_cast<capnp::uint>(proof.siblings.size())));
}

Result<MapProof> ReadMapProof(schema::MapProof::Reader in, const std::string& field) {
  MapProof proof;
  CUSTOS_RETURN_IF_ERROR(Exactly(in.getKey(), &proof.key.bytes, field + ".key"));
  if (in.hasValue()) {
    proof.value.emplace();
    CUSTOS_RETURN_IF_ERROR(Exactly(in.getValue(), &proof.value->bytes, field + ".value"));
  }
  CUSTOS_RETURN_IF_ERROR(Exactly(in.getBitmap(), &proof.bitmap, field + ".bitmap"));
  CUSTOS_ASSIGN_OR_RETURN(proof.siblings, ReadHashes(in.getSiblings(), field + ".siblings"));
  return proof;
}

// A text field that holds no NUL byte (no origin, note or id does).
Result<std::string> Text(capnp::Text::Reader in, const std::string& field) {
  std::string out = Str(in);
  if (out.find('\0') != std::string::npos) return Status::InvalidArgument(field + ": holds a NUL byte");
  return out;
}

Result<LogListingAnswer> ReadLog(schema::LogListingAnswer::Reader in, const std::string& field) {
  LogListingAnswer log;
  CUSTOS_ASSIGN_OR_RETURN(log.origin, Text(in.getOrigin(), field + ".origin"));
  CUSTOS_ASSIGN_OR_RETURN(log.checkpoint, Text(in.getCheckpoint(), field + ".checkpoint"));
  if (log.checkpoint.empty()) return Status::InvalidArgument(field + ".checkpoint: missing");
  CUSTOS_ASSIGN_OR_RETURN(log.proof, ReadMapProof(in.getMapProof(), field + ".mapProof"));
  const auto listings = in.getListings();  // once: each get is charged to the traversal limit
  for (capnp::uint i = 0; i < listings.size(); ++i) {
    auto proved = listings[i];
    const std::string at = field + ".listings[" + std::to_string(i) + "]";
    LogListingAnswer::Listing l;
    const ByteSpan entry = Span(proved.getEntry());
    l.entry.assign(entry.begin(), entry.end());
    CUSTOS_ASSIGN_OR_RETURN(l.inclusion, ReadHashes(proved.getProof(), at + ".proof"));
    log.listings.push_back(std::move(l));
  }
  return log;
}

Result<ListingAnswer> ReadAnswer(schema::ListingAnswer::Reader in) {
  if (in.getVersion() != 1) {
    return Status::InvalidArgument("version: " + std::to_string(in.getVersion()) + " is not 1");
  }
  ListingAnswer answer;
  CUSTOS_ASSIGN_OR_RETURN(answer.kind, ParseSubjectKind(Str(in.getKind())));
  CUSTOS_ASSIGN_OR_RETURN(answer.id, Text(in.getId(), "id"));
  const auto logs = in.getLogs();
  for (capnp::uint i = 0; i < logs.size(); ++i) {
    CUSTOS_ASSIGN_OR_RETURN(auto log, ReadLog(logs[i], "logs[" + std::to_string(i) + "]"));
    answer.logs.push_back(std::move(log));
  }
  return answer;
}

}  // namespace

Result<ListedEntry> ReadListedEntry(ByteSpan bytes) {
  CUSTOS_ASSIGN_OR_RETURN(auto entry, schema::ReadCanonical<schema::LogEntry>(bytes, schema::kMaxEntryBytes, "entry"));
  auto statement_bytes = entry.get().getSubmission().getStatement();
  CUSTOS_ASSIGN_OR_RETURN(auto statement, schema::ReadCanonical<schema::Statement>(
                                              Span(statement_bytes), schema::kMaxStatementBytes, "statement"));
  auto body = statement.get().getBody();
  if (body.which() != schema::Statement::Body::SUBJECT_LISTED) {
    return Status::InvalidArgument("entry " + std::to_string(entry.get().getIndex()) + ": not a subjectListed entry");
  }
  auto listed = body.getSubjectListed();
  ListedEntry out;
  out.index = entry.get().getIndex();
  out.leaf = merkle::LeafHash(bytes);
  out.key = SubjectKeyOfListing(listed);
  out.subject_id = Str(listed.getSubjectId());
  out.subject_name = Str(listed.getSubjectName());
  out.cause = Str(listed.getCause());
  out.legal_basis = Str(listed.getLegalBasis());
  out.deciding_agency = Str(listed.getDecidingAgency());
  out.decision_number = Str(listed.getDecisionNumber());
  out.case_ref = Str(listed.getCaseRef());
  out.listed_from = listed.getListedFrom();
  out.publication_ends = listed.getPublicationEnds();
  return out;
}

std::string_view SubjectKindName(SubjectKind kind) {
  return kind == SubjectKind::kResidentId ? "person" : "org";
}

Result<SubjectKind> ParseSubjectKind(std::string_view name) {
  if (name == "org") return SubjectKind::kUnifiedSocialCreditCode;
  if (name == "person") return SubjectKind::kResidentId;
  return Status::InvalidArgument("kind: \"" + std::string(name) + "\" is not org or person");
}

void ListingAnswer::Fill(schema::ListingAnswer::Builder out) const {
  out.setVersion(1);
  out.setKind(TextOf(SubjectKindName(kind)));
  out.setId(TextOf(id));
  auto out_logs = out.initLogs(static_cast<capnp::uint>(logs.size()));
  for (size_t i = 0; i < logs.size(); ++i) {
    const LogListingAnswer& log = logs[i];
    auto o = out_logs[static_cast<capnp::uint>(i)];
    o.setOrigin(TextOf(log.origin));
    o.setCheckpoint(TextOf(log.checkpoint));
    FillMapProof(log.proof, o.initMapProof());
    auto out_listings = o.initListings(static_cast<capnp::uint>(log.listings.size()));
    for (size_t j = 0; j < log.listings.size(); ++j) {
      auto l = out_listings[static_cast<capnp::uint>(j)];
      l.setEntry(DataOf(log.listings[j].entry));
      FillHashes(log.listings[j].inclusion, l.initProof(static_cast<capnp::uint>(log.listings[j].inclusion.size())));
    }
  }
}

size_t ListingAnswer::BlobBytes() const {
  size_t bytes = 0;
  for (const auto& log : logs) {
    bytes += log.origin.size() + log.checkpoint.size() + Hash::kSize * (log.proof.siblings.size() + 3);
    for (const auto& l : log.listings) bytes += l.entry.size() + Hash::kSize * l.inclusion.size();
  }
  return bytes;
}

Bytes ListingAnswer::Encode() const {
  capnp::MallocMessageBuilder message;
  Fill(message.initRoot<schema::ListingAnswer>());
  return schema::Canonicalize(message.getRoot<schema::ListingAnswer>().asReader());
}

Result<ListingAnswer> ListingAnswer::Read(schema::ListingAnswer::Reader in) {
  // A received message is walked whole first, so that no accessor below throws.
  Status whole = schema::CheckWellFormed(capnp::toDynamic(in), schema::Unknown::kAllow);
  if (!whole.ok()) return Status::InvalidArgument("listing answer: " + whole.message());
  // The walk may have used up most of a received message's traversal limit;
  // reading it again can then throw.
  Result<ListingAnswer> answer = Status::InvalidArgument("unread");
  KJ_IF_MAYBE(e, kj::runCatchingExceptions([&] { answer = ReadAnswer(in); })) {
    return Status::InvalidArgument("listing answer: " + schema::DescribeReadError(*e));
  }
  if (!answer.ok()) return answer.status().WithContext("listing answer");
  return answer;
}

Result<ListingAnswer> ListingAnswer::Decode(ByteSpan bytes) {
  CUSTOS_ASSIGN_OR_RETURN(auto message,
                          schema::ReadCanonical<schema::ListingAnswer>(bytes, kMaxAnswerBytes, "listing answer"));
  return Read(message.get());
}

Result<LogListingAnswer> BuildLogAnswer(const LogListings& listings, const SubjectKey& key) {
  const StoredLog& log = listings.log();
  leveldb::DB& db = log.store().db();
  // Released on every path; the snapshot pins one committed batch.
  std::unique_ptr<const leveldb::Snapshot, std::function<void(const leveldb::Snapshot*)>> snapshot(
      db.GetSnapshot(), [&db](const leveldb::Snapshot* s) { db.ReleaseSnapshot(s); });
  leveldb::ReadOptions options = CheckedReads();
  options.snapshot = snapshot.get();
  std::string head_bytes;
  leveldb::Status s = db.Get(options, layout::HeadKey(log.number()), &head_bytes);
  if (!s.ok()) return FromLevelDb(s, "reading the head of " + log.origin());
  auto head = layout::LogHead::Decode(head_bytes);
  if (!head) return Status::Corruption("head of " + log.origin() + ": malformed record");
  auto note = Note::Parse(head->checkpoint);
  auto held = note.ok() ? Checkpoint::Parse(note->text) : Result<Checkpoint>(note.status());
  if (!held.ok() || held->size != head->size) {
    return Status::FailedPrecondition("log " + log.origin() + ": no checkpoint at its size " + std::to_string(head->size) +
                               " yet (catching up); retry");
  }
  LogListingAnswer answer;
  answer.origin = log.origin();
  CUSTOS_ASSIGN_OR_RETURN(answer.proof, listings.Prove(key, snapshot.get()));
  CUSTOS_ASSIGN_OR_RETURN(auto live, listings.LiveListingsOf(key, snapshot.get()));
  snapshot.reset();
  // Entries, inclusion proofs and cosignatures below the pinned size never change.
  for (const auto& l : live) {
    LogListingAnswer::Listing item;
    CUSTOS_ASSIGN_OR_RETURN(item.entry, log.Entry(l.index));
    CUSTOS_ASSIGN_OR_RETURN(item.inclusion, log.InclusionProof(l.index, head->size));
    answer.listings.push_back(std::move(item));
  }
  CUSTOS_ASSIGN_OR_RETURN(answer.checkpoint, log.CosignedCheckpointAt(head->size));
  return answer;
}

}  // namespace custos::listings
