#include "ledger/listings/listing_check.h"

#include <leveldb/db.h>

#include <set>

#include "crypto/text.h"
#include "ledger/listings/listings_state.h"
#include "ledger/storage/layout.h"
#include "ledger/storage/store.h"
#include "ledger/tlog/checkpoint.h"
#include "schema/canonical.h"

namespace custos::listings {

namespace {
constexpr std::string_view kAnswerHeader = "custos/listing-answer/v1";

std::vector<std::string_view> Words(std::string_view line) {
  std::vector<std::string_view> out;
  while (!line.empty()) {
    size_t sp = line.find(' ');
    out.push_back(line.substr(0, sp));
    if (sp == std::string_view::npos) break;
    line.remove_prefix(sp + 1);
  }
  return out;
}

Result<Bytes> Base64Field(std::string_view b64, const std::string& what) {
  auto bytes = Base64Decode(b64);
  if (!bytes) return Status::InvalidArgument("listing answer: " + what + " is not base64");
  return std::move(*bytes);
}

Status ParseListingLine(std::string_view line, LogListingAnswer* log) {
  auto words = Words(line);
  LogListingAnswer::Listing l;
  if (words.size() < 3 || !ParseDecimal(words[1], &l.index)) {
    return Status::InvalidArgument("listing answer: \"listing\" line needs an index and an entry");
  }
  CUSTOS_ASSIGN_OR_RETURN(l.entry, Base64Field(words[2], "listing entry"));
  for (size_t i = 3; i < words.size(); ++i) {
    CUSTOS_ASSIGN_OR_RETURN(Bytes h, Base64Field(words[i], "inclusion hash"));
    auto hash = Hash::FromSpan(h);
    if (!hash) return Status::InvalidArgument("listing answer: an inclusion hash is not 32 bytes");
    l.inclusion.push_back(*hash);
  }
  log->listings.push_back(std::move(l));
  return Status::OK();
}

Status ParseLogLine(std::string_view keyword, std::string_view rest, std::string_view line, LogListingAnswer* log) {
  if (keyword == "checkpoint" && log->checkpoint.empty()) {
    CUSTOS_ASSIGN_OR_RETURN(Bytes note, Base64Field(rest, "checkpoint"));
    log->checkpoint.assign(note.begin(), note.end());
    return Status::OK();
  }
  if (keyword == "map-proof") {
    CUSTOS_ASSIGN_OR_RETURN(Bytes proof, Base64Field(rest, "map-proof"));
    CUSTOS_ASSIGN_OR_RETURN(log->proof, MapProof::Decode(proof));
    return Status::OK();
  }
  if (keyword == "listing") return ParseListingLine(line, log);
  return Status::InvalidArgument("listing answer: unexpected line \"" + std::string(keyword) + " …\"");
}
}  // namespace

std::string_view SubjectKindName(SubjectKind kind) {
  return kind == SubjectKind::kResidentId ? "person" : "org";
}

Result<SubjectKind> ParseSubjectKind(std::string_view name) {
  if (name == "org") return SubjectKind::kUnifiedSocialCreditCode;
  if (name == "person") return SubjectKind::kResidentId;
  return Status::InvalidArgument("kind: \"" + std::string(name) + "\" is not org or person");
}

std::string ListingAnswer::Format() const {
  std::string out = std::string(kAnswerHeader) + "\nsubject " + std::string(SubjectKindName(kind)) + " " + id + "\n";
  for (const auto& log : logs) {
    out += "log " + log.origin + "\n";
    out += "checkpoint " + Base64Encode(AsBytes(log.checkpoint)) + "\n";
    out += "map-proof " + Base64Encode(log.proof.Encode()) + "\n";
    for (const auto& l : log.listings) {
      out += "listing " + std::to_string(l.index) + " " + Base64Encode(l.entry);
      for (const auto& h : l.inclusion) out += " " + Base64Encode(h.span());
      out += "\n";
    }
  }
  return out;
}

Result<ListingAnswer> ListingAnswer::Parse(std::string_view text) {
  const std::string_view whole = text;
  ListingAnswer a;
  std::string_view line;
  if (!NextLine(&text, &line) || line != kAnswerHeader) {
    return Status::InvalidArgument("listing answer: first line must be \"" + std::string(kAnswerHeader) + "\"");
  }
  if (!NextLine(&text, &line) || !line.starts_with("subject ")) {
    return Status::InvalidArgument("listing answer: second line must be \"subject KIND ID\"");
  }
  auto words = Words(line);
  if (words.size() != 3) return Status::InvalidArgument("listing answer: \"subject\" line needs a kind and an id");
  CUSTOS_ASSIGN_OR_RETURN(a.kind, ParseSubjectKind(words[1]));
  a.id = std::string(words[2]);
  while (NextLine(&text, &line)) {
    size_t sp = line.find(' ');
    if (sp == std::string_view::npos) return Status::InvalidArgument("listing answer: malformed line");
    std::string_view keyword = line.substr(0, sp), rest = line.substr(sp + 1);
    if (keyword == "log") {
      a.logs.emplace_back().origin = std::string(rest);
      continue;
    }
    if (a.logs.empty()) return Status::InvalidArgument("listing answer: a \"log\" line must come first");
    CUSTOS_RETURN_IF_ERROR(ParseLogLine(keyword, rest, line, &a.logs.back()));
  }
  if (!text.empty()) return Status::InvalidArgument("listing answer: the last line has no newline");
  for (const auto& log : a.logs) {
    if (log.checkpoint.empty()) return Status::InvalidArgument("listing answer: log " + log.origin + " has no checkpoint");
  }
  // One answer, one text: lines read one by one could also come out of
  // order, twice, or without a map proof.
  if (a.Format() != whole) {
    return Status::InvalidArgument(
        "listing answer: lines out of order, repeated or missing (each log: checkpoint, map-proof, then its listings)");
  }
  return a;
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
    LogListingAnswer::Listing item{l.index, {}, {}};
    CUSTOS_ASSIGN_OR_RETURN(item.entry, log.Entry(l.index));
    CUSTOS_ASSIGN_OR_RETURN(item.inclusion, log.InclusionProof(l.index, head->size));
    answer.listings.push_back(std::move(item));
  }
  CUSTOS_ASSIGN_OR_RETURN(answer.checkpoint, log.CosignedCheckpointAt(head->size));
  return answer;
}

}  // namespace custos::listings
