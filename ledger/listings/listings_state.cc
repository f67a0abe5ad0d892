#include "ledger/listings/listings_state.h"

#include <leveldb/db.h>

#include <algorithm>
#include <cassert>
#include <map>

#include "crypto/binary.h"
#include "crypto/sha256.h"
#include "ledger/admission/entry_checker.h"
#include "ledger/admission/validate.h"
#include "ledger/storage/layout.h"
#include "ledger/storage/store.h"

namespace custos::listings {

namespace {
constexpr std::string_view kStateDomain = "custos/listing-state/v1";

std::string_view Text(capnp::Text::Reader t) { return {t.cStr(), t.size()}; }

void PutLiveListings(BinaryWriter& w, std::span<const LiveListing> listings) {
  for (const auto& l : listings) w.Put(l.index, l.leaf);
}
}  // namespace

std::string EncodeLiveListings(std::span<const LiveListing> listings) {
  BinaryWriter w;
  PutLiveListings(w, listings);
  return w.Take();
}

std::optional<std::vector<LiveListing>> DecodeLiveListings(std::string_view bytes) {
  BinaryReader r(bytes);
  std::vector<LiveListing> out;
  while (r.remaining() > 0) {
    LiveListing l;
    r.Get(l.index, l.leaf);
    if (!r.ok()) return std::nullopt;  // a part of an item
    if (!out.empty() && out.back().index >= l.index) return std::nullopt;
    out.push_back(l);
  }
  return out;
}

Hash ListingStateDigest(std::span<const LiveListing> listings) {
  BinaryWriter w(std::string{kStateDomain});
  w.PutU32(static_cast<uint32_t>(listings.size()));
  PutLiveListings(w, listings);
  return Sha256::Digest(w.Take());
}

SubjectKey SubjectKeyOfListing(schema::SubjectListed::Reader listing) {
  if (listing.getSubjectKind() == schema::PartyKind::RESIDENT_ID) {
    auto digest = listing.getPrivateDigest();
    return DeriveSubjectKey(SubjectKind::kResidentId,
                            std::string_view(reinterpret_cast<const char*>(digest.begin()), digest.size()));
  }
  return DeriveSubjectKey(SubjectKind::kUnifiedSocialCreditCode, Text(listing.getSubjectId()));
}

Result<SubjectQuery> SubjectOfQuery(SubjectKind kind, std::string_view typed) {
  if (kind == SubjectKind::kUnifiedSocialCreditCode) {
    auto code = ledger::NormalizeUnifiedSocialCreditCode(typed);
    if (!code.ok()) return code.status().WithContext("id");
    return SubjectQuery{*code, DeriveSubjectKey(kind, *code)};
  }
  auto digest = HexDecode(ledger::TrimSpace(typed));
  if (!digest || digest->size() != Hash::kSize) {
    return Status::InvalidArgument("id: a person is named by the hex privateDigest of the listing (64 hex digits)");
  }
  return SubjectQuery{HexEncode(*digest), DeriveSubjectKey(kind, AsString(*digest))};
}

std::optional<ListingChange> ListingChangeOf(schema::Statement::Reader statement, uint64_t index, const Hash& leaf) {
  auto body = statement.getBody();
  ListingChange change;
  change.index = index;
  change.leaf = leaf;
  switch (body.which()) {
    case schema::Statement::Body::SUBJECT_LISTED:
      change.kind = ListingChange::Kind::kListed;
      change.key = SubjectKeyOfListing(body.getSubjectListed());
      return change;
    case schema::Statement::Body::SUBJECT_DELISTED:
      change.kind = ListingChange::Kind::kDelisted;
      change.listing_index = body.getSubjectDelisted().getListing().getIndex();
      return change;
    default:
      return std::nullopt;
  }
}

namespace {
// A listing joins its subject's live listings; a delisting removes the one it
// names (Corruption if that is not among them).
Status FoldInto(const ListingChange& change, std::vector<LiveListing>& live) {
  if (change.kind == ListingChange::Kind::kListed) {
    live.push_back(LiveListing{change.index, change.leaf});
    return Status::OK();
  }
  auto gone = std::find_if(live.begin(), live.end(), [&](const LiveListing& l) { return l.index == change.listing_index; });
  if (gone == live.end()) {
    return Status::Corruption("entry " + std::to_string(change.index) + ": delists entry " +
                              std::to_string(change.listing_index) + ", which is not a live listing of its subject");
  }
  live.erase(gone);
  return Status::OK();
}
}  // namespace

Status ListingsRebuild::Add(schema::Statement::Reader statement, uint64_t index, const Hash& leaf) {
  auto change = ListingChangeOf(statement, index, leaf);
  if (!change) return Status::OK();
  SubjectKey key = change->key;
  if (change->kind == ListingChange::Kind::kListed) {
    subject_of_[index] = key;
  } else if (auto it = subject_of_.find(change->listing_index); it != subject_of_.end()) {
    key = it->second;
  } else {
    return Status::Corruption("entry " + std::to_string(index) + ": delists entry " +
                              std::to_string(change->listing_index) + ", which is not a listing");
  }
  auto& live = live_[key];
  Status folded = FoldInto(*change, live);
  if (live.empty()) live_.erase(key);
  return folded;
}

Result<Hash> ListingsRebuild::Root() const {
  MemoryMapNodeStore nodes;
  ListingsMap map(nodes);
  std::vector<MapUpdate> updates;
  for (const auto& [key, list] : live_) updates.push_back({key, ListingStateDigest(list)});
  return map.Apply(updates);
}

Result<Hash> RebuildListingsRoot(std::span<const Bytes> entries) {
  ListingsRebuild rebuild;
  for (uint64_t i = 0; i < entries.size(); ++i) {
    ParsedEntry parsed = ParseEntry(entries[i], i);
    if (!parsed.status.ok()) return parsed.status;
    CUSTOS_RETURN_IF_ERROR(rebuild.Add(parsed.submission->statement.get(), i, parsed.leaf_hash));
  }
  return rebuild.Root();
}

std::string RootLine(std::string_view keyword, const Hash& root) {
  return std::string(keyword) + " " + Base64Encode(root.span());
}

Result<std::optional<Hash>> RootOfLine(std::span<const std::string> extensions, std::string_view keyword) {
  const std::string prefix = std::string(keyword) + " ";
  const std::string quoted = "\"" + std::string(keyword) + "\"";
  std::optional<Hash> root;
  for (const auto& line : extensions) {
    if (!line.starts_with(prefix)) continue;
    if (root) return Status::InvalidArgument("checkpoint: two " + quoted + " lines");
    auto bytes = Base64Decode(std::string_view(line).substr(prefix.size()));
    if (!bytes || bytes->size() != Hash::kSize || Base64Encode(*bytes) != line.substr(prefix.size())) {
      return Status::InvalidArgument("checkpoint: the " + quoted + " line does not hold a base64 SHA-256 root");
    }
    root = Hash::FromSpan(*bytes);
  }
  return root;
}

Status CheckRootLine(std::span<const std::string> extensions, std::string_view keyword, const Hash& rebuilt,
                     std::string_view what) {
  CUSTOS_ASSIGN_OR_RETURN(auto claimed, RootOfLine(extensions, keyword));
  const std::string quoted = "\"" + std::string(keyword) + "\"";
  if (!claimed) {
    return Status::Corruption("checkpoint: no " + quoted + " line (every Custos checkpoint carries its " +
                              std::string(what) + " root)");
  }
  if (*claimed != rebuilt) {
    return Status::Corruption("checkpoint: " + std::string(keyword) + " root " + Base64Encode(claimed->span()) +
                              " does not match the " + std::string(what) + " rebuilt from the entries, " +
                              Base64Encode(rebuilt.span()));
  }
  return Status::OK();
}

std::string ListingsLine(const Hash& root) { return RootLine(kListingsLineKeyword, root); }

Result<std::optional<Hash>> ListingsRootOf(std::span<const std::string> extensions) {
  return RootOfLine(extensions, kListingsLineKeyword);
}

Status CheckListingsLine(std::span<const std::string> extensions, const Hash& rebuilt) {
  return CheckRootLine(extensions, kListingsLineKeyword, rebuilt, "listings map");
}

namespace {


Result<std::vector<LiveListing>> ReadLiveListings(const Store& store, layout::LogNumber log, const SubjectKey& key,
                                                  const leveldb::Snapshot* snapshot) {
  leveldb::ReadOptions options = CheckedReads();
  options.snapshot = snapshot;
  std::string value;
  leveldb::Status s = store.db().Get(options, layout::ListingSetKey(log, Hash{key.bytes}), &value);
  if (s.IsNotFound()) return std::vector<LiveListing>();
  if (!s.ok()) return FromLevelDb(s, "reading live listings");
  auto decoded = DecodeLiveListings(value);
  if (!decoded) return Status::Corruption("live listings of subject " + HexEncode(key.span()) + ": malformed record");
  return std::move(*decoded);
}

}  // namespace
}  // namespace custos::listings

namespace custos {

using listings::ListingChange;
using listings::LiveListing;
using listings::SubjectKey;

namespace {

// The subject of the stored listing at `index` of `log` (a delisting of an
// earlier batch names only the listing's index).
Result<SubjectKey> SubjectOfStoredListing(const StoredLog& log, uint64_t index) {
  CUSTOS_ASSIGN_OR_RETURN(Bytes raw, log.Entry(index));
  ParsedEntry parsed = ParseEntry(raw, index);
  if (!parsed.status.ok()) return parsed.status;
  auto body = parsed.submission->statement.get().getBody();
  if (body.which() != schema::Statement::Body::SUBJECT_LISTED) {
    return Status::Corruption("entry " + std::to_string(index) + ": a delisting names it, but it is not a listing");
  }
  return listings::SubjectKeyOfListing(body.getSubjectListed());
}

// The live listings of the subjects one batch touches: the stored 'l'
// records as the batch's changes leave them.
class TouchedSubjects {
 public:
  TouchedSubjects(const StoredLog& log, const listings::LogListings& listings) : log_(log), listings_(listings) {}

  Status Fold(const ListingChange& change) {
    CUSTOS_ASSIGN_OR_RETURN(SubjectKey key, SubjectOf(change));
    auto slot = live_.find(key);
    if (slot == live_.end()) {
      CUSTOS_ASSIGN_OR_RETURN(auto stored, listings_.LiveListingsOf(key));
      slot = live_.emplace(key, std::move(stored)).first;
    }
    return listings::FoldInto(change, slot->second);
  }

  // Puts the changed 'l' records into `writes`; returns the map's updates.
  std::vector<listings::MapUpdate> Write(leveldb::WriteBatch& writes) const {
    std::vector<listings::MapUpdate> updates;
    for (const auto& [key, live] : live_) {
      const std::string record_key = layout::ListingSetKey(log_.number(), Hash{key.bytes});
      if (live.empty()) {
        writes.Delete(record_key);
        updates.push_back({key, std::nullopt});
      } else {
        writes.Put(record_key, listings::EncodeLiveListings(live));
        updates.push_back({key, listings::ListingStateDigest(live)});
      }
    }
    return updates;
  }

 private:
  // A delisting names only its listing: of this batch, or stored.
  Result<SubjectKey> SubjectOf(const ListingChange& change) {
    if (change.kind == ListingChange::Kind::kListed) {
      batch_listings_[change.index] = change.key;
      return change.key;
    }
    if (auto it = batch_listings_.find(change.listing_index); it != batch_listings_.end()) return it->second;
    return SubjectOfStoredListing(log_, change.listing_index);
  }

  const StoredLog& log_;
  const listings::LogListings& listings_;
  std::map<SubjectKey, std::vector<LiveListing>> live_;
  std::map<uint64_t, SubjectKey> batch_listings_;
};

}  // namespace

namespace listings {

Result<Hash> LogListings::Apply(std::span<const ListingChange> changes, leveldb::WriteBatch& writes) const {
  TouchedSubjects touched(log_, *this);
  for (const ListingChange& change : changes) CUSTOS_RETURN_IF_ERROR(touched.Fold(change));
  const std::vector<MapUpdate> updates = touched.Write(writes);
  Store& store = log_.store();
  LevelDbMapNodeStore nodes(store.db(), log_.number(), writes);
  ListingsMap map(nodes, [&store](size_t n, const std::function<void(size_t)>& fn) { store.ForEach(n, fn); });
  return map.Apply(updates);
}

Result<Hash> LogListings::Root(const leveldb::Snapshot* snapshot) const {
  SnapshotMapNodeStore nodes(log_.store().db(), log_.number(), snapshot);
  return ListingsMap(nodes).Root();
}

Result<std::vector<LiveListing>> LogListings::LiveListingsOf(const SubjectKey& key,
                                                             const leveldb::Snapshot* snapshot) const {
  return ReadLiveListings(log_.store(), log_.number(), key, snapshot);
}

Result<MapProof> LogListings::Prove(const SubjectKey& key, const leveldb::Snapshot* snapshot) const {
  SnapshotMapNodeStore nodes(log_.store().db(), log_.number(), snapshot);
  CachingMapNodeStore cached(nodes, branches_);
  return ListingsMap(cached).Prove(key);
}

}  // namespace listings

}  // namespace custos
