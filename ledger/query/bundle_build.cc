// Building an evidence bundle from the logs a node holds (ledger/query/bundle.h).
//
// The custody chain is followed by references, not by evidence id alone:
// evidence ids are unique within a log, not across logs, so after a transfer
// to another agency the chain continues only at the receipt in that agency's
// log that names the transfer's exact (origin, index, leaf hash).
#include <algorithm>
#include <map>
#include <set>

#include "ledger/admission/bundle_entry.h"
#include "ledger/query/bundle.h"
#include "ledger/rules/indexes.h"
#include "ledger/rules/rules.h"
#include "ledger/tlog/checkpoint.h"

namespace custos::bundle {

namespace {

using Which = schema::Statement::Body::Which;

// One log as the builder sees it: its entries below `limit`, the size of the
// latest checkpoint it held when the build began.
struct Held {
  const StoredLog* log = nullptr;
  uint64_t limit = 0;
  std::vector<std::pair<uint64_t, Which>> about;  // entries naming the evidence id, in index order
};

// The size of the log's latest checkpoint (0 if it has none).
uint64_t CheckpointSize(const StoredLog& log) {
  std::string note = log.checkpoint();
  if (note.empty()) return 0;
  auto parsed = Note::Parse(note);
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
  explicit Builder(std::span<const StoredLog* const> logs) {
    for (const StoredLog* log : logs) held_[log->number()] = Held{log, CheckpointSize(*log), {}};
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

  uint64_t LastIndexIn(const StoredLog& log) const {
    uint64_t last = 0;
    for (const Step& s : chain_) last = s.log == &log ? std::max(last, s.index) : last;
    return last;
  }

  // Writes one log's checkpoint and authority entries; returns the size
  // its entries are proved at.
  Result<uint64_t> WriteLog(const StoredLog& log, schema::BundleLog::Builder out) {
    const uint64_t last = LastIndexIn(log);
    const uint64_t limit = held_.at(log.number()).limit;
    CUSTOS_ASSIGN_OR_RETURN(std::optional<uint64_t> cosigned, log.LatestCosignedSize());
    const uint64_t size = cosigned && *cosigned > last && *cosigned <= limit ? *cosigned : limit;
    CUSTOS_ASSIGN_OR_RETURN(std::string note, log.CosignedCheckpointAt(size));
    out.setOrigin(log.origin());
    out.setCheckpoint(note);
    CUSTOS_ASSIGN_OR_RETURN(std::vector<uint64_t> admin, AdminEntries(log, last));
    auto list = out.initAuthority(static_cast<capnp::uint>(admin.size()));
    for (size_t i = 0; i < admin.size(); ++i) {
      CUSTOS_RETURN_IF_ERROR(Prove(log, admin[i], size, list[static_cast<capnp::uint>(i)]));
    }
    return size;
  }

  // The genesis, key grants and key revokes of `log` below `end`.
  // TODO(perf): a scan of the log's first `end` entries (about 1 us each);
  // an index of administration entries would make this a prefix read.
  static Result<std::vector<uint64_t>> AdminEntries(const StoredLog& log, uint64_t end) {
    std::vector<uint64_t> admin;
    for (uint64_t i = 0; i < end; ++i) {
      CUSTOS_ASSIGN_OR_RETURN(auto entry, ReadEntry(log, i));
      if (IsAdministration(entry.statement.get().getBody().which())) admin.push_back(i);
    }
    return admin;
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

  static Result<LightEntry> ReadEntry(const StoredLog& log, uint64_t index) {
    CUSTOS_ASSIGN_OR_RETURN(Bytes raw, log.Entry(index));
    auto entry = ReadLightEntry(raw);
    if (!entry.ok()) return Status::Corruption(log.origin() + " entry " + std::to_string(index) + ": " +
                                               entry.status().message());
    return std::move(entry).value();
  }

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
  Builder builder(logs);
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
