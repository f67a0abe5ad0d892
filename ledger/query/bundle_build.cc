// Building an evidence bundle from the logs a node holds (ledger/query/bundle.h).
//
// The custody chain is followed by references, not by evidence id alone:
// evidence ids are unique within a log, not across logs, so after a transfer
// to another agency the chain continues only at the receipt in that agency's
// log that names the transfer's exact (origin, index, leaf hash).
#include <algorithm>
#include <map>
#include <set>

#include <leveldb/db.h>

#include <functional>
#include <memory>

#include "ledger/admission/authority.h"
#include "ledger/admission/bundle_entry.h"
#include "ledger/listings/histories.h"
#include "ledger/query/bundle.h"
#include "ledger/rules/indexes.h"
#include "ledger/rules/rules.h"
#include "ledger/tlog/checkpoint.h"

namespace custos::bundle {

namespace {

using Which = schema::Statement::Body::Which;

// One log as the builder sees it: its entries below `limit`, the size of its
// latest checkpoint in the snapshot the build reads.
struct Held {
  const StoredLog* log = nullptr;
  uint64_t limit = 0;
  // The log's size in the snapshot: the map proofs are of the maps at this
  // size, so they match the checkpoint only when it is `limit`.
  uint64_t size = 0;
  std::vector<std::pair<uint64_t, Which>> about;  // entries naming the evidence id, in index order
};

// A LevelDB snapshot, released on every path.
using Snapshot = std::unique_ptr<const leveldb::Snapshot, std::function<void(const leveldb::Snapshot*)>>;

// The size of the checkpoint a head carries (0 if none).
uint64_t CheckpointSize(const layout::LogHead& head) {
  if (head.checkpoint.empty()) return 0;
  auto parsed = Note::Parse(head.checkpoint);
  if (!parsed.ok()) return 0;
  auto cp = Checkpoint::Parse(parsed->text);
  return cp.ok() ? cp->size : 0;
}

struct Step {
  const StoredLog* log = nullptr;
  uint64_t index = 0;
};

class Builder {
 public:
  // One snapshot of the store for every log: each log's checkpoint and its
  // map proofs agree with one committed batch.
  Status Begin(std::span<const StoredLog* const> logs) {
    leveldb::DB& db = logs.front()->store().db();
    snapshot_ = Snapshot(db.GetSnapshot(), [&db](const leveldb::Snapshot* s) { db.ReleaseSnapshot(s); });
    CUSTOS_ASSIGN_OR_RETURN(auto heads, logs.front()->store().Heads(snapshot_.get()));
    for (const StoredLog* log : logs) {
      auto head = heads.find(log->number());
      const uint64_t size = head == heads.end() ? 0 : head->second.size;
      const uint64_t limit = head == heads.end() ? 0 : CheckpointSize(head->second);
      held_[log->number()] = Held{log, limit, size, {}};
    }
    return Status::OK();
  }

  Status FindRegistration(uint8_t algorithm, const Hash& digest) {
    const Store& store = held_.begin()->second.log->store();
    CUSTOS_ASSIGN_OR_RETURN(auto hits, rules::EvidenceByDigest(store, algorithm, digest));
    for (const auto& hit : hits) {
      auto it = held_.find(hit.entry.log);
      if (it == held_.end() || hit.entry.index >= it->second.limit) continue;
      start_ = Step{it->second.log, hit.entry.index};
      evidence_id_ = hit.value;
      return Status::OK();
    }
    const char* name = DigestAlgorithmName(algorithm);
    return Status::NotFound(std::string("no evidence registered with the ") + (name ? name : "?") + " digest " +
                            HexEncode(digest.span()) + " in the logs this node holds");
  }

  Status IndexEntriesAbout() {
    const Store& store = held_.begin()->second.log->store();
    CUSTOS_ASSIGN_OR_RETURN(auto hits, rules::EntriesByEvidence(store, evidence_id_));
    for (const auto& hit : hits) {
      auto it = held_.find(hit.entry.log);
      if (it == held_.end() || hit.entry.index >= it->second.limit || hit.value.size() != 1) continue;
      it->second.about.emplace_back(hit.entry.index, static_cast<Which>(static_cast<uint8_t>(hit.value[0])));
    }
    return Status::OK();
  }

  // Walks custody from the registration: in the current log, every custody
  // entry after the step that brought the evidence there; at a transfer to
  // another agency, on to that agency's receipt of it, if this node holds it.
  Status Walk() {
    chain_.push_back(*start_);
    Step at = *start_;
    while (true) {
      CUSTOS_ASSIGN_OR_RETURN(std::optional<Step> moved, WalkLog(at));
      if (!moved) return Status::OK();
      at = *moved;
    }
  }

  // Appends the steps of `from.log` after `from`; returns the receipt in
  // another log where custody went on, or nullopt where the chain ends.
  Result<std::optional<Step>> WalkLog(Step from) {
    const Held& held = held_.at(from.log->number());
    for (const auto& [index, kind] : held.about) {
      if (index <= from.index) continue;
      switch (kind) {
        case Which::CUSTODY_TRANSFERRED: {
          chain_.push_back(Step{from.log, index});
          CUSTOS_ASSIGN_OR_RETURN(auto entry, ReadEntry(*from.log, index));
          std::string to = entry.statement.get().getBody().getCustodyTransferred().getToOrigin();
          if (to.empty() || to == from.log->origin()) break;
          CUSTOS_ASSIGN_OR_RETURN(auto receipt, FindReceipt(*from.log, index, entry.leaf_hash, to));
          if (receipt) chain_.push_back(*receipt);
          return receipt;
        }
        case Which::CUSTODY_RECEIVED: {
          // Only a receipt within the agency continues here; a receipt of
          // another log's transfer is reached through that transfer.
          CUSTOS_ASSIGN_OR_RETURN(auto entry, ReadEntry(*from.log, index));
          if (std::string(entry.statement.get().getBody().getCustodyReceived().getTransfer().getOrigin()) ==
              from.log->origin()) {
            chain_.push_back(Step{from.log, index});
          }
          break;
        }
        case Which::EVIDENCE_EXAMINED:
          chain_.push_back(Step{from.log, index});
          break;
        case Which::EVIDENCE_DISPOSED:
          chain_.push_back(Step{from.log, index});
          return std::optional<Step>();
        default:
          break;  // a referral sending it along is a case entry, not custody
      }
    }
    return std::optional<Step>();
  }

  // The receipt in the log of `to_origin` of transfer (log, index, leaf).
  Result<std::optional<Step>> FindReceipt(const StoredLog& log, uint64_t index, const Hash& leaf,
                                          const std::string& to_origin) {
    for (const auto& [number, held] : held_) {
      if (held.log->origin() != to_origin) continue;
      for (const auto& [i, kind] : held.about) {
        if (kind != Which::CUSTODY_RECEIVED) continue;
        CUSTOS_ASSIGN_OR_RETURN(auto entry, ReadEntry(*held.log, i));
        auto ref = entry.statement.get().getBody().getCustodyReceived().getTransfer();
        if (std::string(ref.getOrigin()) == log.origin() && ref.getIndex() == index &&
            Hash::FromSpan(ByteSpan(ref.getLeafHash().begin(), ref.getLeafHash().size())) == leaf) {
          return std::optional<Step>(Step{held.log, i});
        }
      }
    }
    return std::optional<Step>();
  }

  Result<Bytes> Write(uint8_t algorithm, const Hash& digest, std::string_view made_by, int64_t made_at) {
    capnp::MallocMessageBuilder message;
    auto b = message.initRoot<schema::EvidenceBundle>();
    b.setVersion(kBundleVersion);
    b.setAlgorithm(static_cast<schema::DigestAlgorithm>(algorithm));
    b.setDigest(capnp::Data::Reader(digest.bytes.data(), digest.bytes.size()));
    b.setMadeAt(made_at);
    b.setMadeBy(capnp::Text::Reader(made_by.data(), made_by.size()));
    b.setEvidenceId(capnp::Text::Reader(evidence_id_.data(), evidence_id_.size()));
    std::vector<const StoredLog*> used = UsedLogs();
    std::map<const StoredLog*, uint64_t> sizes;
    auto logs = b.initLogs(static_cast<capnp::uint>(used.size()));
    for (size_t i = 0; i < used.size(); ++i) {
      CUSTOS_ASSIGN_OR_RETURN(sizes[used[i]], WriteLog(*used[i], logs[static_cast<capnp::uint>(i)]));
    }
    auto chain = b.initChain(static_cast<capnp::uint>(chain_.size()));
    for (size_t i = 0; i < chain_.size(); ++i) {
      auto step = chain[static_cast<capnp::uint>(i)];
      step.setOrigin(chain_[i].log->origin());
      CUSTOS_RETURN_IF_ERROR(Prove(*chain_[i].log, chain_[i].index, sizes.at(chain_[i].log), step.initEntry()));
    }
    return schema::Canonicalize(b.asReader());
  }

 private:
  // The logs of the chain, in the order the chain first reaches them.
  std::vector<const StoredLog*> UsedLogs() const {
    std::vector<const StoredLog*> used;
    for (const Step& s : chain_) {
      if (std::find(used.begin(), used.end(), s.log) == used.end()) used.push_back(s.log);
    }
    return used;
  }

  // Writes one log's checkpoint, authority entries and map proofs; returns
  // the size its entries are proved at: its latest checkpoint's, whose
  // custody and authority roots the proofs lead to.
  Result<uint64_t> WriteLog(const StoredLog& log, schema::BundleLog::Builder out) {
    const Held& held = held_.at(log.number());
    if (held.limit != held.size) {
      return Status::FailedPrecondition("log " + log.origin() + ": no checkpoint at its size " +
                                        std::to_string(held.size) + " yet (catching up); retry");
    }
    const uint64_t size = held.limit;
    // The note of the snapshot, with the cosignatures held for it now.
    CUSTOS_ASSIGN_OR_RETURN(std::string note, log.CosignedCheckpointAt(size));
    out.setOrigin(log.origin());
    out.setCheckpoint(note);
    const listings::LogHistories histories(log);
    CUSTOS_ASSIGN_OR_RETURN(listings::CompactMapProof custody, histories.Prove(listings::HistoryMap::kCustody,
                                                                        listings::CustodyKey(evidence_id_), snapshot_.get()));
    const Bytes encoded = custody.Encode();
    out.setCustodyProof(capnp::Data::Reader(encoded.data(), encoded.size()));
    CUSTOS_ASSIGN_OR_RETURN(Relied relied, AuthorityOf(log, size));
    auto list = out.initAuthority(static_cast<capnp::uint>(relied.entries.size()));
    size_t n = 0;
    for (uint64_t index : relied.entries) {
      CUSTOS_RETURN_IF_ERROR(Prove(log, index, size, list[static_cast<capnp::uint>(n++)]));
    }
    auto keys = out.initKeyProofs(static_cast<capnp::uint>(relied.keys.size()));
    n = 0;
    for (const PublicKey& key : relied.keys) {
      auto k = keys[static_cast<capnp::uint>(n++)];
      k.setKey(capnp::Data::Reader(key.span().data(), key.span().size()));
      CUSTOS_ASSIGN_OR_RETURN(listings::CompactMapProof proof, histories.Prove(listings::HistoryMap::kAuthority,
                                                                        listings::AuthorityKey(key), snapshot_.get()));
      const Bytes bytes = proof.Encode();
      k.setProof(capnp::Data::Reader(bytes.data(), bytes.size()));
    }
    return size;
  }

  // The keys a log's part of the bundle relies on, and the administration
  // entries that bear on them.
  struct Relied {
    std::set<PublicKey> keys;
    std::set<uint64_t> entries;  // the genesis and every grant or revoke of a key in `keys`
  };

  // Starts from the authors of the chain's entries in `log`, then adds each
  // administration entry about a relied key and, with it, its author, until
  // nothing changes. TODO(perf): a scan of the log's first `size` entries
  // (about 1 us each); an index of administration entries by key would make
  // this a prefix read.
  Result<Relied> AuthorityOf(const StoredLog& log, uint64_t size) const {
    Relied relied;
    relied.entries.insert(0);
    for (const Step& s : chain_) {
      if (s.log != &log) continue;
      CUSTOS_ASSIGN_OR_RETURN(auto entry, ReadEntry(log, s.index));
      CUSTOS_ASSIGN_OR_RETURN(PublicKey author, AuthorOf(log, s.index, entry));
      relied.keys.insert(author);
    }
    struct Admin {
      uint64_t index;
      PublicKey author;
      std::vector<PublicKey> about;
    };
    std::vector<Admin> admin;
    Authority scratch;
    for (uint64_t i = 0; i < size; ++i) {
      CUSTOS_ASSIGN_OR_RETURN(auto entry, ReadEntry(log, i));
      auto statement = entry.statement.get();
      if (!IsAdministration(statement.getBody().which())) continue;
      CUSTOS_ASSIGN_OR_RETURN(PublicKey author, AuthorOf(log, i, entry));
      Admin a{i, author, {}};
      scratch.Apply(statement, [&](const PublicKey& key, const KeyState&) { a.about.push_back(key); });
      admin.push_back(std::move(a));
    }
    for (bool grew = true; grew;) {
      grew = false;
      for (const Admin& a : admin) {
        if (relied.entries.count(a.index)) continue;
        if (std::none_of(a.about.begin(), a.about.end(), [&](const PublicKey& k) { return relied.keys.count(k) > 0; })) {
          continue;
        }
        relied.entries.insert(a.index);
        relied.keys.insert(a.author);
        grew = true;
      }
    }
    return relied;
  }

  static Status Prove(const StoredLog& log, uint64_t index, uint64_t size, schema::ProvedEntry::Builder out) {
    CUSTOS_ASSIGN_OR_RETURN(Bytes entry, log.Entry(index));
    CUSTOS_ASSIGN_OR_RETURN(std::vector<Hash> proof, log.InclusionProof(index, size));
    out.setEntry(capnp::Data::Reader(entry.data(), entry.size()));
    auto hashes = out.initProof(static_cast<capnp::uint>(proof.size()));
    for (size_t i = 0; i < proof.size(); ++i) {
      hashes.set(static_cast<capnp::uint>(i), capnp::Data::Reader(proof[i].bytes.data(), proof[i].bytes.size()));
    }
    return Status::OK();
  }

  static Result<PublicKey> AuthorOf(const StoredLog& log, uint64_t index, const LightEntry& entry) {
    auto bytes = entry.entry.get().getSubmission().getAuthorKey();
    auto key = PublicKey::FromSpan(ByteSpan(bytes.begin(), bytes.size()));
    if (!key) return Status::Corruption(log.origin() + " entry " + std::to_string(index) + ": author key is not 32 bytes");
    return *key;
  }

  static Result<LightEntry> ReadEntry(const StoredLog& log, uint64_t index) {
    CUSTOS_ASSIGN_OR_RETURN(Bytes raw, log.Entry(index));
    auto entry = ReadLightEntry(raw);
    if (!entry.ok()) return Status::Corruption(log.origin() + " entry " + std::to_string(index) + ": " +
                                               entry.status().message());
    return std::move(entry).value();
  }

  Snapshot snapshot_;
  std::map<layout::LogNumber, Held> held_;
  std::optional<Step> start_;
  std::string evidence_id_;
  std::vector<Step> chain_;
};

}  // namespace

Result<Bytes> BuildEvidenceBundle(std::span<const StoredLog* const> logs, uint8_t algorithm, ByteSpan digest,
                                  std::string_view made_by, int64_t made_at) {
  auto hash = Hash::FromSpan(digest);
  if (!hash) return Status::InvalidArgument("digest: " + std::to_string(digest.size()) + " bytes, not 32");
  if (DigestAlgorithmName(algorithm) == nullptr) {
    return Status::InvalidArgument("algorithm: " + std::to_string(algorithm) + " is not a digest algorithm");
  }
  if (logs.empty()) return Status::NotFound("this node holds no log");
  Builder builder;
  CUSTOS_RETURN_IF_ERROR(builder.Begin(logs));
  CUSTOS_RETURN_IF_ERROR(builder.FindRegistration(algorithm, *hash));
  CUSTOS_RETURN_IF_ERROR(builder.IndexEntriesAbout());
  CUSTOS_RETURN_IF_ERROR(builder.Walk());
  return builder.Write(algorithm, *hash, made_by, made_at);
}

const char* DigestAlgorithmName(uint8_t algorithm) {
  switch (algorithm) {
    case static_cast<uint8_t>(schema::DigestAlgorithm::SHA256): return "sha256";
    case static_cast<uint8_t>(schema::DigestAlgorithm::SM3): return "sm3";
    default: return nullptr;
  }
}

std::optional<uint8_t> ParseDigestAlgorithm(std::string_view name) {
  for (uint8_t a : {static_cast<uint8_t>(schema::DigestAlgorithm::SHA256), static_cast<uint8_t>(schema::DigestAlgorithm::SM3)}) {
    if (name == DigestAlgorithmName(a)) return a;
  }
  return std::nullopt;
}

}  // namespace custos::bundle
