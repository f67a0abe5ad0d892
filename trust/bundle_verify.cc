// Verifying an evidence bundle offline (trust/bundle_verify.h,
// docs/evidence-bundle.md). The checks run from the outside in: the format,
// the file, each log's checkpoint and its witnesses, each entry and its
// proof, authority, and last the custody chain, which only means something
// once every entry in it is known to be in its log.
#include "trust/bundle_verify.h"

#include <capnp/schema.h>

#include <algorithm>
#include <map>
#include <set>

#include "crypto/text.h"
#include "ledger/admission/authority.h"
#include "ledger/admission/bundle_entry.h"
#include "ledger/admission/entry_checker.h"
#include "ledger/listings/histories.h"
#include "ledger/tlog/checkpoint.h"
#include "ledger/tlog/merkle.h"
#include "schema/text.h"

namespace custos::bundle {

namespace {

using Which = schema::Statement::Body::Which;

// One log of the bundle as the verifier has checked it so far.
struct LogState {
  std::string origin;
  Checkpoint checkpoint;
  std::map<uint64_t, ParsedEntry> entries;  // authority and chain entries, by index
  std::set<uint64_t> administration;        // indexes of the bundled authority entries
  std::map<PublicKey, std::pair<std::string, std::string>> names;  // (holder, post) from key grants
  Bytes custody_proof;                      // CompactMapProof encoding
  std::map<PublicKey, Bytes> key_proofs;    // CompactMapProof encodings by key
  // Each key's history in the bundled administration entries (ReplayAuthority).
  std::map<PublicKey, listings::History> key_histories;
};

// Where the evidence is, as the chain has moved it so far.
struct Custody {
  enum class Status { kHeld, kInTransit, kDisposed } status = Status::kHeld;
  std::string origin;  // the log that holds it (in transit: the sender's)
  std::string holder;  // in transit: the intended receiver
  std::string to_origin;
  uint64_t transfer_index = 0;  // the last transfer: in transit, or within the agency
  Hash transfer_leaf;
  std::string transfer_to_holder;
  bool has_transfer = false;
  std::string disposition;
};

// The ordinal of `a` if this build knows the algorithm. Never narrowed to
// 8 bits first, where 256 would read as sha256 (ReadCanonical refuses an
// unknown enumerant already; this keeps the verifier right on its own).
std::optional<uint8_t> KnownAlgorithm(schema::DigestAlgorithm a) {
  const auto raw = static_cast<uint16_t>(a);
  if (raw > UINT8_MAX || DigestAlgorithmName(static_cast<uint8_t>(raw)) == nullptr) return std::nullopt;
  return static_cast<uint8_t>(raw);
}

const char* DispositionName(schema::Disposition d) {
  switch (d) {
    case schema::Disposition::RELEASED: return "released";
    case schema::Disposition::RETURNED: return "returned";
    case schema::Disposition::DESTROYED: return "destroyed";
  }
  return "disposed of";
}

// The bundle's message. Every canonical Cap'n Proto message starts with a
// root pointer whose first four bytes are zero; anything else was never a
// bundle, and the sentence says what it looks like instead of how a decoder
// failed.
Result<schema::CanonicalMessage<schema::EvidenceBundle>> ReadBundle(ByteSpan bytes) {
  if (bytes.size() < 8 || std::any_of(bytes.begin(), bytes.begin() + 4, [](uint8_t b) { return b != 0; })) {
    return Status::InvalidArgument("not an evidence bundle: the file is " + std::string(DescribeFileKind(AsString(bytes))) +
                                   " (a bundle is the binary file `custos evidence bundle --out` writes)");
  }
  return schema::ReadCanonical<schema::EvidenceBundle>(bytes, kMaxBundleBytes, "bundle");
}

class Verifier {
 public:
  Verifier(const trust::Federation& trust, std::optional<Hash> file_digest) : trust_(trust), file_digest_(file_digest) {
    verdict_.account.policy = trust.witnesses().Describe();
  }

  Verdict Run(ByteSpan bytes) {
    auto parsed = ReadBundle(bytes);
    if (!parsed.ok()) return Fail(Failure::kMalformed, parsed.status().message());
    auto b = parsed->get();
    if (b.getVersion() == 1) {
      return Fail(Failure::kVersion, "bundle version 1 carries no proof that it is complete; this verifier needs "
                                     "version 2 (ask the node for the bundle again)");
    }
    if (b.getVersion() == 2) {
      return Fail(Failure::kVersion, "bundle version 2 proves completeness against an earlier form of the custody and "
                                     "authority maps; this verifier needs version 3 (ask the node for the bundle again)");
    }
    if (b.getVersion() != kBundleVersion) {
      return Fail(Failure::kVersion, "bundle version " + std::to_string(b.getVersion()) + " is not known (this verifier knows " +
                                         std::to_string(kBundleVersion) + ")");
    }
    // Each check records its failure in verdict_; the first one stops the rest.
    evidence_id_ = Str(b.getEvidenceId());
    if (evidence_id_.empty()) return Fail(Failure::kMalformed, "evidenceId: empty (a bundle names its evidence id)");
    (void)(CheckDigest(b) && CheckLogs(b.getLogs()) && CheckChainEntries(b.getChain()) && CheckAuthority() &&
           CheckCustody() && CheckCompleteness());
    return verdict_;
  }

 private:
  Verdict Fail(Failure failure, std::string message) {
    verdict_.failure = failure;
    verdict_.message = std::move(message);
    return verdict_;
  }
  bool Failed(Failure failure, std::string message) {
    Fail(failure, std::move(message));
    return false;
  }

  bool CheckDigest(schema::EvidenceBundle::Reader b) {
    Account& a = verdict_.account;
    auto digest = Hash::FromSpan(Span(b.getDigest()));
    auto algorithm = KnownAlgorithm(b.getAlgorithm());
    if (!digest || !algorithm) return Failed(Failure::kMalformed, "digest: not a 32-byte digest of a known algorithm");
    a.algorithm = *algorithm;
    a.digest = *digest;
    a.made_by = Str(b.getMadeBy());
    a.made_at = b.getMadeAt();
    if (file_digest_ && *file_digest_ != *digest) {
      return Failed(Failure::kFileDigest, std::string("the file's ") + DigestAlgorithmName(a.algorithm) + " digest " +
                                              HexEncode(file_digest_->span()) + " is not the bundle's " +
                                              HexEncode(digest->span()) + ": this is not the registered file");
    }
    a.file_checked = file_digest_.has_value();
    return true;
  }

  // ---------------------------------------------------------- checkpoints

  bool CheckLogs(capnp::List<schema::BundleLog>::Reader logs) {
    for (auto log : logs) {
      std::string origin = Str(log.getOrigin());
      if (logs_.count(origin)) return Failed(Failure::kMalformed, "logs: " + origin + " is listed twice");
      if (trust_.OriginKey(origin) == nullptr) {
        return Failed(Failure::kUntrustedLog, "log " + origin + " is not in the trust policy's federation");
      }
      LogState& state = logs_[origin];
      state.origin = origin;
      if (!CheckCheckpoint(state, Str(log.getCheckpoint()))) return false;
      for (auto proved : log.getAuthority()) {
        auto index = AddEntry(state, proved, "authority entry");
        if (!index) return false;
        state.administration.insert(*index);
      }
      state.custody_proof = Bytes(log.getCustodyProof().begin(), log.getCustodyProof().end());
      for (auto k : log.getKeyProofs()) {
        auto key = PublicKey::FromSpan(Span(k.getKey()));
        if (!key) return Failed(Failure::kMalformed, origin + ": a key proof's key is not 32 bytes");
        if (!state.key_proofs.emplace(*key, Bytes(k.getProof().begin(), k.getProof().end())).second) {
          return Failed(Failure::kMalformed, origin + ": two key proofs for one key");
        }
      }
    }
    return true;
  }

  // The origin's signature and text, then the witness group: one rule for
  // every verifier (trust/witness_group.h), each failure its own kind here.
  bool CheckCheckpoint(LogState& state, const std::string& text) {
    auto opened = trust_.OpenCheckpoint(text, state.origin);
    if (!opened.ok()) return Failed(Failure::kCheckpoint, opened.status().message());
    state.checkpoint = opened->checkpoint;
    const trust::WitnessGroup& witnesses = trust_.witnesses();
    auto count = witnesses.Count(opened->note, opened->checkpoint);
    if (!count.ok()) return Failed(Failure::kCosignature, count.status().message());
    auto stamps = trust_.Timestamps(opened->note);
    if (!stamps.ok()) {
      return Failed(Failure::kTimestamp, state.origin + " checkpoint at size " + std::to_string(state.checkpoint.size) +
                                             ": " + stamps.status().message());
    }
    // A checked time stamp's line is accounted for in `timestamps`, not among the unchecked others.
    std::vector<std::string> others = count->others;
    std::erase_if(others, [&](const std::string& name) {
      return std::any_of(stamps->begin(), stamps->end(), [&](const TimestampAttestation& t) { return t.tsa == name; });
    });
    verdict_.account.checkpoints.push_back(CheckpointAccount{state.origin, state.checkpoint.size, state.checkpoint.root,
                                                             count->cosigners, count->cosigned_at, std::move(others),
                                                             std::move(*stamps)});
    Status quorum = witnesses.RequireQuorum(*count, opened->checkpoint);
    if (!quorum.ok()) return Failed(Failure::kWitnessPolicy, quorum.message());
    return true;
  }

  // ---------------------------------------------------------- entries

  // Parses and checks one proved entry of `state`'s log and keeps it under
  // its index. Returns the index; nullopt after a failure.
  std::optional<uint64_t> AddEntry(LogState& state, schema::ProvedEntry::Reader proved, const std::string& what) {
    const std::string where = what + " of " + state.origin;
    ByteSpan raw = Span(proved.getEntry());
    // The index the entry claims, for ParseEntry's messages (it checks the rest).
    auto claimed = schema::ReadCanonical<schema::LogEntry>(raw, schema::kMaxEntryBytes, "entry");
    ParsedEntry p = ParseEntry(raw, claimed.ok() ? claimed->get().getIndex() : 0);
    if (!p.status.ok()) {
      Failed(Failure::kEntry, where + ": " + p.status.message());
      return std::nullopt;
    }
    const uint64_t index = p.entry->get().getIndex();
    const std::string at = state.origin + " entry " + std::to_string(index);
    if (Str(p.submission->statement.get().getOrigin()) != state.origin) {
      Failed(Failure::kEntry, at + ": its statement is for the log " + Str(p.submission->statement.get().getOrigin()));
      return std::nullopt;
    }
    std::vector<Hash> proof;
    for (auto h : proved.getProof()) {
      auto hash = Hash::FromSpan(Span(h));
      if (!hash) {
        Failed(Failure::kMalformed, at + ": a proof hash is not 32 bytes");
        return std::nullopt;
      }
      proof.push_back(*hash);
    }
    const Checkpoint& cp = state.checkpoint;
    Status included = index < cp.size ? merkle::VerifyInclusion(p.leaf_hash, index, cp.size, proof, cp.root)
                                      : Status::Corruption("the index is not below the checkpoint's size " +
                                                           std::to_string(cp.size));
    if (!included.ok()) {
      Failed(Failure::kInclusion, at + ": not proved in the checkpoint of size " + std::to_string(cp.size) + ": " +
                                      included.message());
      return std::nullopt;
    }
    auto held = state.entries.find(index);
    if (held != state.entries.end()) {
      if (held->second.leaf_hash != p.leaf_hash) {
        Failed(Failure::kMalformed, at + ": the bundle holds two different entries with this index");
        return std::nullopt;
      }
      return index;
    }
    state.entries.emplace(index, std::move(p));
    return index;
  }

  bool CheckChainEntries(capnp::List<schema::CustodyStep>::Reader chain) {
    if (chain.size() == 0) return Failed(Failure::kMalformed, "chain: empty");
    for (auto step : chain) {
      std::string origin = Str(step.getOrigin());
      auto log = logs_.find(origin);
      if (log == logs_.end()) return Failed(Failure::kMalformed, "chain: a step names the log " + origin + ", which the bundle does not carry");
      auto index = AddEntry(log->second, step.getEntry(), "custody step " + std::to_string(chain_.size() + 1));
      if (!index) return false;
      chain_.emplace_back(origin, *index);
    }
    return true;
  }

  // ---------------------------------------------------------- authority

  // Replays each log's key table from its genesis through the bundled
  // administration entries, deciding every bundled entry at its own time.
  bool CheckAuthority() {
    for (auto& [origin, state] : logs_) {
      auto genesis = state.entries.find(0);
      if (genesis == state.entries.end() || !state.administration.count(0)) {
        return Failed(Failure::kAuthority, origin + ": the bundle does not carry the log's genesis (entry 0)");
      }
      auto body = genesis->second.submission->statement.get().getBody();
      const NoteVerifier& trusted = *trust_.OriginKey(origin);
      if (body.which() != Which::GENESIS ||
          PublicKey::FromSpan(Span(body.getGenesis().getNodeKey())) != std::optional<PublicKey>(trusted.key)) {
        return Failed(Failure::kAuthority, origin + ": entry 0 is not a genesis naming the trusted node key " + trusted.ToString());
      }
      if (!ReplayAuthority(state)) return false;
    }
    return true;
  }

  bool ReplayAuthority(LogState& state) {
    Authority authority;
    for (auto& [index, p] : state.entries) {
      auto statement = p.submission->statement.get();
      const bool admin = IsAdministration(statement.getBody().which());
      if (state.administration.count(index) && !admin) {
        return Failed(Failure::kMalformed, state.origin + " entry " + std::to_string(index) +
                                               ": bundled as an authority entry but it is a " + KindName(statement.getBody().which()));
      }
      Status allowed = authority.Check(p.submission->author, statement, index, p.entry->get().getLogTime(), state.origin);
      if (!allowed.ok()) {
        return Failed(Failure::kAuthority, state.origin + " entry " + std::to_string(index) + ": " + allowed.message());
      }
      if (!admin) continue;
      const uint64_t at = index;  // C++20 lambdas cannot capture structured bindings
      const Hash leaf = p.leaf_hash;
      authority.Apply(statement, [&](const PublicKey& key, const KeyState&) { state.key_histories[key].Add(at, leaf); });
      if (statement.getBody().isKeyGrant()) {
        auto g = statement.getBody().getKeyGrant();
        if (auto key = PublicKey::FromSpan(Span(g.getKey()))) state.names[*key] = {Str(g.getHolder()), Str(g.getPost())};
      }
    }
    return true;
  }

  // ---------------------------------------------------------- completeness

  // Each log's checkpoint commits, in its "custody" and "authority" lines, to
  // the whole history of the evidence id and of every key there
  // (ledger/listings/histories.h). The chain's steps in the log must fold to
  // the evidence's committed history, and the bundled administration entries
  // to each relied-on key's: so nothing about the evidence, and no grant or
  // revoke of an author, was left out up to the checkpoint.
  bool CheckCompleteness() {
    for (auto& [origin, state] : logs_) {
      if (!CheckCustodyHistory(state) || !CheckAuthorityHistories(state)) return false;
    }
    verdict_.account.complete = true;
    return true;
  }

  std::optional<listings::CompactMapProof> DecodeProof(const LogState& state, const Bytes& bytes, const std::string& what) {
    auto proof = listings::CompactMapProof::Decode(bytes);
    if (!proof.ok()) {
      Failed(Failure::kMalformed, state.origin + ": " + what + ": " + proof.status().message());
      return std::nullopt;
    }
    return *proof;
  }

  std::optional<Hash> RootOf(const LogState& state, listings::HistoryMap map) {
    auto root = listings::HistoryRootOf(state.checkpoint.extensions, map);
    if (!root.ok()) {
      Failed(Failure::kCheckpoint, state.origin + ": " + root.status().message());
      return std::nullopt;
    }
    if (!*root) {
      Failed(Failure::kIncomplete, state.origin + ": its checkpoint at size " + std::to_string(state.checkpoint.size) +
                                       " carries no \"" + std::string(listings::HistoryMapName(map)) +
                                       "\" root, so nothing proves the bundle complete");
      return std::nullopt;
    }
    return **root;
  }

  bool CheckCustodyHistory(const LogState& state) {
    std::set<uint64_t> steps;
    for (const auto& [origin, index] : chain_) {
      if (origin == state.origin) steps.insert(index);
    }
    listings::History history;
    for (uint64_t index : steps) {
      const ParsedEntry& p = state.entries.at(index);
      auto id = listings::CustodyEvidenceId(p.submission->statement.get());
      if (!id || *id != evidence_id_) {
        return Failed(Failure::kMalformed, state.origin + " entry " + std::to_string(index) +
                                               ": a custody step that does not name the bundle's evidence " + evidence_id_);
      }
      history.Add(index, p.leaf_hash);
    }
    auto root = RootOf(state, listings::HistoryMap::kCustody);
    if (!root) return false;
    auto proof = DecodeProof(state, state.custody_proof, "custodyProof");
    if (!proof) return false;
    Status st = listings::VerifyCompactMapProof(*root, listings::CustodyKey(evidence_id_),
                                         history.count ? std::optional<Hash>(history.Value()) : std::nullopt, *proof);
    if (st.code() == Status::Code::kInvalidArgument) return Failed(Failure::kMalformed, state.origin + ": custodyProof: " + st.message());
    if (!st.ok()) {
      return Failed(Failure::kIncomplete,
                    state.origin + ": the bundle's " + std::to_string(history.count) + " custody " +
                        (history.count == 1 ? "entry" : "entries") + " about evidence " + evidence_id_ +
                        " are not the whole history its checkpoint at size " + std::to_string(state.checkpoint.size) +
                        " commits to: an entry about the evidence is left out");
    }
    return true;
  }

  bool CheckAuthorityHistories(LogState& state) {
    auto root = RootOf(state, listings::HistoryMap::kAuthority);
    if (!root) return false;
    // Every author the bundle relies on in this log (the genesis's, the node
    // key, is checked against the trust file instead).
    for (const auto& [index, p] : state.entries) {
      if (index == 0 || state.key_proofs.count(p.submission->author)) continue;
      return Failed(Failure::kIncomplete, state.origin + " entry " + std::to_string(index) + ": no authority proof for its author " +
                                              AuthorName(state, p.submission->author) +
                                              ", so nothing shows the bundle holds every grant and revoke of that key");
    }
    for (const auto& [key, bytes] : state.key_proofs) {
      auto proof = DecodeProof(state, bytes, "keyProofs");
      if (!proof) return false;
      auto held = state.key_histories.find(key);
      std::optional<Hash> value;
      if (held != state.key_histories.end()) value = held->second.Value();
      Status st = listings::VerifyCompactMapProof(*root, listings::AuthorityKey(key), value, *proof);
      if (st.code() == Status::Code::kInvalidArgument) return Failed(Failure::kMalformed, state.origin + ": keyProofs: " + st.message());
      if (!st.ok()) {
        return Failed(Failure::kIncomplete, state.origin + ": the bundle's administration entries about the key of " +
                                                AuthorName(state, key) + " are not its whole history up to the checkpoint at size " +
                                                std::to_string(state.checkpoint.size) +
                                                ": a grant or revoke that bears on it is left out");
      }
      ++verdict_.account.keys_proved;
    }
    return true;
  }

  static std::string AuthorName(const LogState& state, const PublicKey& key) {
    auto name = state.names.find(key);
    const std::string hex = HexEncode(key.span()).substr(0, 16) + "…";
    return name == state.names.end() ? hex : name->second.first + " (" + name->second.second + ") " + hex;
  }

  // ---------------------------------------------------------- custody

  bool CheckCustody() {
    std::map<std::string, uint64_t> last;  // per log: the index of its last step so far
    for (size_t i = 0; i < chain_.size(); ++i) {
      const auto& [origin, index] = chain_[i];
      const std::string at = "custody step " + std::to_string(i + 1) + " (" + origin + " entry " + std::to_string(index) + ")";
      auto seen = last.find(origin);
      if (seen != last.end() && index <= seen->second) {
        return Failed(Failure::kCustodyOrder, at + " does not come after the chain's earlier step " + origin + " entry " +
                                                  std::to_string(seen->second) + ": steps are out of order or repeated");
      }
      last[origin] = index;
      const ParsedEntry& p = logs_.at(origin).entries.at(index);
      if (!(i == 0 ? Register(p, at) : Move(p, origin, at))) return false;
      AddStep(origin, index, p);
    }
    Account& a = verdict_.account;
    a.state = Describe(custody_);
    a.holder = custody_.holder;
    a.holder_origin = custody_.status == Custody::Status::kInTransit ? custody_.to_origin : custody_.origin;
    a.disposition = custody_.status == Custody::Status::kDisposed ? custody_.disposition : "";
    a.state_code = custody_.status == Custody::Status::kHeld        ? "held"
                   : custody_.status == Custody::Status::kInTransit ? "in-transit"
                                                                    : "disposed";
    return true;
  }

  bool Register(const ParsedEntry& p, const std::string& at) {
    auto body = p.submission->statement.get().getBody();
    if (!body.isEvidenceRegistered()) {
      return Failed(Failure::kCustodyGap, at + ": the chain must start with the evidence's registration, not a " + KindName(body.which()));
    }
    auto r = body.getEvidenceRegistered();
    Account& a = verdict_.account;
    a.evidence_id = Str(r.getEvidenceId());
    a.case_id = Str(r.getCaseId());
    bool named = false;
    for (auto d : r.getDigests()) {
      if (KnownAlgorithm(d.getAlgorithm()) == a.algorithm && Hash::FromSpan(Span(d.getValue())) == a.digest) {
        named = true;
        a.content_size = d.getSize();
        a.media_type = Str(d.getMediaType());
      }
    }
    if (!named) {
      return Failed(Failure::kNotRegistered, at + ": the registration of " + a.evidence_id + " does not name the " +
                                                 DigestAlgorithmName(a.algorithm) + " digest " + HexEncode(a.digest.span()));
    }
    custody_.origin = chain_[0].first;
    custody_.holder = Str(r.getHolder());
    return true;
  }

  // Checks one step after the registration against where custody stands.
  bool Move(const ParsedEntry& p, const std::string& origin, const std::string& at) {
    auto body = p.submission->statement.get().getBody();
    if (custody_.status == Custody::Status::kDisposed) {
      return Failed(Failure::kAfterDisposal, at + ": a " + KindName(body.which()) + " after the evidence was " +
                                                 custody_.disposition);
    }
    std::string id = EvidenceIdOf(body);
    if (id != verdict_.account.evidence_id) {
      return Failed(Failure::kCustodyGap, at + ": a " + KindName(body.which()) + " of " + (id.empty() ? "no evidence" : "evidence " + id) +
                                              ", not of " + verdict_.account.evidence_id);
    }
    if (custody_.status == Custody::Status::kInTransit) return Receive(p, origin, at);
    if (origin != custody_.origin) {
      return Failed(Failure::kCustodyGap, at + ": the evidence is held in " + custody_.origin + ", not in " + origin +
                                              " (a transfer between them is missing)");
    }
    switch (body.which()) {
      case Which::CUSTODY_TRANSFERRED: return Transfer(p, origin, at);
      case Which::CUSTODY_RECEIVED: return ReceiveWithin(body.getCustodyReceived(), at);
      case Which::EVIDENCE_EXAMINED: return true;
      case Which::EVIDENCE_DISPOSED:
        custody_.status = Custody::Status::kDisposed;
        custody_.disposition = DispositionName(body.getEvidenceDisposed().getDisposition());
        return true;
      default:
        return Failed(Failure::kCustodyGap, at + ": a " + KindName(body.which()) + " is not a custody step");
    }
  }

  bool Transfer(const ParsedEntry& p, const std::string& origin, const std::string& at) {
    auto t = p.submission->statement.get().getBody().getCustodyTransferred();
    if (Str(t.getFromHolder()) != custody_.holder) {
      return Failed(Failure::kCustodyGap, at + ": transfers from \"" + Str(t.getFromHolder()) + "\", but the evidence is held by \"" +
                                              custody_.holder + "\" (a step is missing)");
    }
    custody_.has_transfer = true;
    custody_.transfer_index = p.entry->get().getIndex();
    custody_.transfer_leaf = p.leaf_hash;
    custody_.transfer_to_holder = Str(t.getToHolder());
    std::string to = Str(t.getToOrigin());
    custody_.holder = Str(t.getToHolder());
    if (!to.empty() && to != origin) {
      custody_.status = Custody::Status::kInTransit;
      custody_.to_origin = to;
    }
    return true;
  }

  bool ReceiveWithin(schema::CustodyReceived::Reader r, const std::string& at) {
    auto ref = r.getTransfer();
    if (!custody_.has_transfer || Str(ref.getOrigin()) != custody_.origin || ref.getIndex() != custody_.transfer_index ||
        Hash::FromSpan(Span(ref.getLeafHash())) != custody_.transfer_leaf) {
      return Failed(Failure::kCustodyReceipt, at + ": the receipt does not reference the evidence's last transfer in its log");
    }
    if (Str(r.getHolder()) != custody_.transfer_to_holder) {
      return Failed(Failure::kCustodyReceipt, at + ": received by \"" + Str(r.getHolder()) + "\", but the transfer was to \"" +
                                                  custody_.transfer_to_holder + "\"");
    }
    return true;
  }

  // The step after a transfer to another agency must be that agency's receipt
  // of exactly that entry.
  bool Receive(const ParsedEntry& p, const std::string& origin, const std::string& at) {
    auto body = p.submission->statement.get().getBody();
    const std::string sent = custody_.origin + " entry " + std::to_string(custody_.transfer_index);
    if (!body.isCustodyReceived() || origin != custody_.to_origin) {
      return Failed(Failure::kCustodyGap, at + ": the transfer " + sent + " to " + custody_.to_origin +
                                              " must be followed by that agency's receipt, not by a " + KindName(body.which()) +
                                              " in " + origin);
    }
    auto r = body.getCustodyReceived();
    auto ref = r.getTransfer();
    if (Str(ref.getOrigin()) != custody_.origin || ref.getIndex() != custody_.transfer_index ||
        Hash::FromSpan(Span(ref.getLeafHash())) != custody_.transfer_leaf) {
      return Failed(Failure::kCustodyReceipt, at + ": the receipt references " + Str(ref.getOrigin()) + " entry " +
                                                  std::to_string(ref.getIndex()) + " with leaf hash " +
                                                  HexEncode(Span(ref.getLeafHash())) + ", not the transfer " + sent +
                                                  " with leaf hash " + HexEncode(custody_.transfer_leaf.span()));
    }
    custody_.status = Custody::Status::kHeld;
    custody_.origin = origin;
    custody_.holder = Str(r.getHolder());
    custody_.has_transfer = false;
    return true;
  }

  static std::string EvidenceIdOf(schema::Statement::Body::Reader body) {
    switch (body.which()) {
      case Which::CUSTODY_TRANSFERRED: return Str(body.getCustodyTransferred().getEvidenceId());
      case Which::CUSTODY_RECEIVED: return Str(body.getCustodyReceived().getEvidenceId());
      case Which::EVIDENCE_EXAMINED: return Str(body.getEvidenceExamined().getEvidenceId());
      case Which::EVIDENCE_DISPOSED: return Str(body.getEvidenceDisposed().getEvidenceId());
      case Which::EVIDENCE_REGISTERED: return Str(body.getEvidenceRegistered().getEvidenceId());
      default: return "";
    }
  }

  // ---------------------------------------------------------- the account

  void AddStep(const std::string& origin, uint64_t index, const ParsedEntry& p) {
    auto statement = p.submission->statement.get();
    StepAccount step;
    step.origin = origin;
    step.index = index;
    step.log_time = p.entry->get().getLogTime();
    step.kind = KindName(statement.getBody().which());
    step.author = HexEncode(p.submission->author.span());
    const auto& names = logs_.at(origin).names;
    auto name = names.find(p.submission->author);
    if (name != names.end()) {
      step.author_holder = name->second.first;
      step.author_post = name->second.second;
      step.author_name = step.author_holder + " (" + step.author_post + ")";
    }
    step.leaf = p.leaf_hash;
    step.summary = Summary(statement.getBody());
    step.summary_zh = SummaryZh(statement.getBody());
    if (statement.getBody().isEvidenceRegistered()) Registration(statement.getBody().getEvidenceRegistered());
    verdict_.account.steps.push_back(std::move(step));
  }

  void Registration(schema::EvidenceRegistered::Reader r) {
    RegistrationAccount& a = verdict_.account.registration;
    a.method = MethodName(r.getMethod());
    a.description = Str(r.getDescription());
    a.place = Str(r.getPlace());
    for (auto o : r.getOfficers()) a.officers.push_back({Str(o.getName()), Str(o.getBadge())});
    for (auto d : r.getDigests()) {
      const char* algorithm = DigestAlgorithmName(static_cast<uint8_t>(d.getAlgorithm()));
      a.digests.push_back({algorithm ? algorithm : "?", Hash::FromSpan(Span(d.getValue())).value_or(Hash{}), d.getSize(),
                           Str(d.getMediaType())});
    }
  }

  // The schema's name of the method ("registrationPreservation"); "?" for a
  // value this build does not know (ReadCanonical refuses those first).
  static std::string MethodName(schema::EvidenceMethod m) {
    for (auto e : capnp::Schema::from<schema::EvidenceMethod>().getEnumerants()) {
      if (e.getOrdinal() == static_cast<uint16_t>(m)) return e.getProto().getName().cStr();
    }
    return "?";
  }

  static std::string Summary(schema::Statement::Body::Reader body) {
    switch (body.which()) {
      case Which::EVIDENCE_REGISTERED: {
        auto r = body.getEvidenceRegistered();
        return "registered evidence " + Str(r.getEvidenceId()) + " of case " + Str(r.getCaseId()) + " at " + Str(r.getPlace()) +
               "; held by " + Str(r.getHolder());
      }
      case Which::CUSTODY_TRANSFERRED: {
        auto t = body.getCustodyTransferred();
        std::string to = t.getToOrigin().size() ? " in " + Str(t.getToOrigin()) : "";
        return "transferred from " + Str(t.getFromHolder()) + " to " + Str(t.getToHolder()) + to + " (seal " +
               Str(t.getSealNumber()) + "): " + Str(t.getReason());
      }
      case Which::CUSTODY_RECEIVED: {
        auto r = body.getCustodyReceived();
        return "received by " + Str(r.getHolder()) + " (transfer " + Str(r.getTransfer().getOrigin()) + " entry " +
               std::to_string(r.getTransfer().getIndex()) + "), seal " + (r.getSealIntact() ? "intact" : "NOT intact");
      }
      case Which::EVIDENCE_EXAMINED: {
        auto x = body.getEvidenceExamined();
        return "examined by " + Str(x.getExaminer()) + ": " + Str(x.getFindings()) +
               (x.getDigestsMatch() ? " (digests match)" : " (digests DO NOT match)");
      }
      case Which::EVIDENCE_DISPOSED: {
        auto d = body.getEvidenceDisposed();
        return std::string(DispositionName(d.getDisposition())) + " to " + Str(d.getRecipient()) + ": " + Str(d.getReason());
      }
      default:
        return KindName(body.which());
    }
  }

  static std::string SummaryZh(schema::Statement::Body::Reader body) {
    switch (body.which()) {
      case Which::EVIDENCE_REGISTERED: {
        auto r = body.getEvidenceRegistered();
        return "登记证据 " + Str(r.getEvidenceId()) + "（案件 " + Str(r.getCaseId()) + "），地点：" + Str(r.getPlace()) +
               "；由 " + Str(r.getHolder()) + " 保管";
      }
      case Which::CUSTODY_TRANSFERRED: {
        auto t = body.getCustodyTransferred();
        std::string to = t.getToOrigin().size() ? "（接收方日志 " + Str(t.getToOrigin()) + "）" : "";
        return "由 " + Str(t.getFromHolder()) + " 移交给 " + Str(t.getToHolder()) + to + "，封条号 " +
               Str(t.getSealNumber()) + "；事由：" + Str(t.getReason());
      }
      case Which::CUSTODY_RECEIVED: {
        auto r = body.getCustodyReceived();
        return Str(r.getHolder()) + " 接收（对应移交记录：" + Str(r.getTransfer().getOrigin()) + " 第 " +
               std::to_string(r.getTransfer().getIndex()) + " 条），封条" + (r.getSealIntact() ? "完好" : "未完好");
      }
      case Which::EVIDENCE_EXAMINED: {
        auto x = body.getEvidenceExamined();
        return Str(x.getExaminer()) + " 查验：" + Str(x.getFindings()) +
               (x.getDigestsMatch() ? "（摘要一致）" : "（摘要不一致）");
      }
      case Which::EVIDENCE_DISPOSED: {
        auto d = body.getEvidenceDisposed();
        const char* how = d.getDisposition() == schema::Disposition::RELEASED   ? "发还"
                          : d.getDisposition() == schema::Disposition::RETURNED ? "退还"
                                                                                  : "销毁";
        return std::string("处置：") + how + "，接收人 " + Str(d.getRecipient()) + "；事由：" + Str(d.getReason());
      }
      default:
        return KindName(body.which());
    }
  }

  static std::string Describe(const Custody& c) {
    switch (c.status) {
      case Custody::Status::kHeld: return "held by " + c.holder + " in " + c.origin;
      case Custody::Status::kInTransit: return "in transit from " + c.origin + " to " + c.holder + " in " + c.to_origin;
      case Custody::Status::kDisposed: return c.disposition + " (" + c.origin + ")";
    }
    return "";
  }

  const trust::Federation& trust_;
  std::optional<Hash> file_digest_;
  Verdict verdict_;
  std::map<std::string, LogState> logs_;
  std::vector<std::pair<std::string, uint64_t>> chain_;  // (origin, index)
  std::string evidence_id_;  // the bundle's evidenceId (version 2)
  Custody custody_;
};

}  // namespace

const char* FailureName(Failure failure) {
  switch (failure) {
    case Failure::kNone: return "none";
    case Failure::kMalformed: return "malformed";
    case Failure::kVersion: return "version";
    case Failure::kUntrustedLog: return "untrusted-log";
    case Failure::kFileDigest: return "file-digest";
    case Failure::kNotRegistered: return "not-registered";
    case Failure::kEntry: return "entry";
    case Failure::kAuthority: return "authority";
    case Failure::kInclusion: return "inclusion";
    case Failure::kCheckpoint: return "checkpoint";
    case Failure::kCosignature: return "cosignature";
    case Failure::kWitnessPolicy: return "witness-policy";
    case Failure::kCustodyGap: return "custody-gap";
    case Failure::kCustodyOrder: return "custody-order";
    case Failure::kCustodyReceipt: return "custody-receipt";
    case Failure::kAfterDisposal: return "after-disposal";
    case Failure::kIncomplete: return "incomplete";
    case Failure::kTimestamp: return "timestamp";
  }
  return "unknown";
}

Result<std::pair<uint8_t, Hash>> PeekDigest(ByteSpan bundle) {
  CUSTOS_ASSIGN_OR_RETURN(auto parsed, ReadBundle(bundle));
  auto digest = Hash::FromSpan(Span(parsed.get().getDigest()));
  if (!digest) return Status::InvalidArgument("bundle: the digest is not 32 bytes");
  auto algorithm = KnownAlgorithm(parsed.get().getAlgorithm());
  if (!algorithm) return Status::InvalidArgument("bundle: algorithm: not a digest algorithm this build knows");
  return std::make_pair(*algorithm, *digest);
}

Result<BundleParts> ExtractBundleParts(ByteSpan bundle) {
  CUSTOS_ASSIGN_OR_RETURN(auto parsed, ReadBundle(bundle));
  auto b = parsed.get();
  BundleParts parts;
  for (auto log : b.getLogs()) parts.logs.push_back({Str(log.getOrigin()), Str(log.getCheckpoint())});
  for (auto step : b.getChain()) {
    const std::string origin = Str(step.getOrigin());
    auto log = std::find_if(parts.logs.begin(), parts.logs.end(), [&](const auto& l) { return l.origin == origin; });
    if (log == parts.logs.end()) return Status::InvalidArgument("bundle: a step of " + origin + ", a log it does not carry");
    BundleParts::Step s;
    s.log = static_cast<size_t>(log - parts.logs.begin());
    s.entry = Bytes(step.getEntry().getEntry().begin(), step.getEntry().getEntry().end());
    auto entry = schema::ReadCanonical<schema::LogEntry>(s.entry, kMaxBundleBytes, "bundle entry");
    if (!entry.ok()) return entry.status();
    s.index = entry->get().getIndex();
    TlogProof proof;
    proof.index = s.index;
    proof.checkpoint = log->note;
    for (auto h : step.getEntry().getProof()) {
      auto hash = Hash::FromSpan(Span(h));
      if (!hash) return Status::InvalidArgument("bundle: a proof hash is not 32 bytes");
      proof.proof.push_back(*hash);
    }
    s.tlog_proof = proof.Format();
    parts.steps.push_back(std::move(s));
  }
  return parts;
}

Verdict VerifyEvidenceBundle(ByteSpan bundle, const trust::Federation& trust, std::optional<Hash> file_digest) {
  return Verifier(trust, file_digest).Run(bundle);
}

}  // namespace custos::bundle
