// A federation of agencies in one process for the evidence-bundle test and
// benchmark: each agency a real Store on LevelDB with its own log (an
// officer granted the evidence role by the log's admin), the replicas of the
// logs it follows, and the cosignatures it makes as a witness. Custody
// statements are built here, so that the benchmark (built without the test
// helpers) can use it too.
//
// Header-only; depends on the ledger only. A setup step that fails throws
// std::runtime_error with the reason.
#pragma once

#include <capnp/message.h>

#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "crypto/cosignature.h"
#include "crypto/note.h"
#include "crypto/sha256.h"
#include "ledger/admission/submission.h"
#include "ledger/log/log.h"
#include "ledger/log/replica.h"
#include "ledger/query/bundle.h"
#include "ledger/storage/clock.h"
#include "ledger/storage/store.h"
#include "schema/canonical.h"
#include "trust/federation.h"

namespace custos::testing::custody {

using Fill = std::function<void(schema::Statement::Builder)>;

template <typename T>
T Need(Result<T> r, const std::string& what) {
  if (!r.ok()) throw std::runtime_error(what + ": " + r.status().ToString());
  return std::move(r).value();
}
inline void Need(const Status& st, const std::string& what) {
  if (!st.ok()) throw std::runtime_error(what + ": " + st.ToString());
}

inline SigningKey KeyOf(const std::string& label) {
  return Need(SigningKey::FromSeed(Sha256::Digest("custos-bundle-test/" + label).span()), "FromSeed");
}
inline SigningKey Admin() { return KeyOf("admin"); }
inline SigningKey Officer() { return KeyOf("officer"); }
inline NamedKey NodeKeyOf(const std::string& origin) { return NamedKey{origin, KeyOf("node/" + origin)}; }

inline capnp::Text::Reader T(const std::string& s) { return {s.c_str(), s.size()}; }
inline capnp::Data::Reader D(ByteSpan b) { return {b.data(), b.size()}; }

// The content digest a test registers for evidence `id`.
inline Hash ContentOf(const std::string& content) { return Sha256::Digest(content); }

inline Fill Register(std::string id, std::string holder, Hash digest) {
  return [=](schema::Statement::Builder s) {
    auto r = s.getBody().initEvidenceRegistered();
    r.setEvidenceId(T(id));
    r.setCaseId("SZIPB-2024-0017");
    auto d = r.initDigests(1)[0];
    d.setAlgorithm(schema::DigestAlgorithm::SHA256);
    d.setValue(D(digest.span()));
    d.setSize(1000);
    d.setMediaType("video/mp4");
    r.setMethod(schema::EvidenceMethod::AUDIO_VIDEO_RECORD);
    r.setPlace("昆山市 仓库");
    auto o = r.initOfficers(1)[0];
    o.setName("张明");
    o.setBadge("32050021017");
    r.setHolder(T(holder));
  };
}

inline Fill Transfer(std::string id, std::string from, std::string to, std::string to_origin = "") {
  return [=](schema::Statement::Builder s) {
    auto t = s.getBody().initCustodyTransferred();
    t.setEvidenceId(T(id));
    t.setFromHolder(T(from));
    t.setToHolder(T(to));
    t.setToOrigin(T(to_origin));
    t.setReason("移交");
    t.setSealNumber("SEAL-1");
  };
}

inline Fill Receive(std::string id, std::string origin, Receipt transfer, std::string holder) {
  return [=](schema::Statement::Builder s) {
    auto c = s.getBody().initCustodyReceived();
    c.setEvidenceId(T(id));
    auto ref = c.initTransfer();
    ref.setOrigin(T(origin));
    ref.setIndex(transfer.index);
    ref.setLeafHash(D(transfer.leaf_hash.span()));
    c.setHolder(T(holder));
    c.setSealIntact(true);
  };
}

inline Fill Examine(std::string id) {
  return [=](schema::Statement::Builder s) {
    auto x = s.getBody().initEvidenceExamined();
    x.setEvidenceId(T(id));
    x.setExaminer("王晓燕");
    x.setFindings("as registered");
    x.setDigestsMatch(true);
  };
}

inline Fill Dispose(std::string id) {
  return [=](schema::Statement::Builder s) {
    auto d = s.getBody().initEvidenceDisposed();
    d.setEvidenceId(T(id));
    d.setDisposition(schema::Disposition::RETURNED);
    d.setReason("case closed");
    d.setRecipient("昆山鑫达五金制品有限公司");
  };
}

// One agency's node: a Store, its own log, replicas of the logs it follows.
class Agency {
 public:
  Agency(const std::string& dir, std::string origin, uint64_t stream)
      : origin_(std::move(origin)), stream_(stream) {
    std::filesystem::create_directories(dir);
    StoreOptions options;
    options.path = dir + "/db";
    options.clock = &clock_;
    options.verify_threads = 1;
    store_ = Need(Store::Open(options, OpenMode::kCreateNew), "Store::Open");
    PublicKey admin = Admin().public_key();
    log_ = Need(Log::Create(*store_, origin_, NodeKeyOf(origin_), std::span<const PublicKey>(&admin, 1)), "Log::Create");
    Append(
        [](schema::Statement::Builder s) {
          auto g = s.getBody().initKeyGrant();
          g.setKey(D(Officer().public_key().span()));
          g.setHolder("张明");
          g.setPost("enforcement officer");
          g.initRoles(1).set(0, schema::Role::EVIDENCE);
        },
        Admin());
  }

  const std::string& origin() const { return origin_; }
  Log& log() { return *log_; }
  ManualClock& clock() { return clock_; }

  // Appends one statement signed by `author` (the officer by default).
  Receipt Append(const Fill& fill, const SigningKey& author = Officer()) {
    Bytes submission = SignSubmission(Statement(fill), author);
    auto results = log_->Append(std::span<const Bytes>(&submission, 1), BatchMode::kAllOrNothing);
    clock_.Advance(1000);
    return Need(std::move(results.at(0)), origin_ + ": append");
  }

  // Replicates `other`'s log up to its current size.
  void Follow(Agency& other) {
    auto& replica = replicas_[other.origin()];
    if (!replica) replica = Need(Replica::Open(*store_, NoteVerifier::ForKey(other.origin(), NodeKeyOf(other.origin()).key.public_key())), "Replica::Open");
    std::vector<Bytes> entries;
    for (uint64_t i = replica->size(); i < other.log().size(); ++i) entries.push_back(Need(other.log().Entry(i), "entry"));
    Need(replica->Apply(entries, other.log().checkpoint(), {}), "Apply");
  }

  // As a witness: cosigns `other`'s latest checkpoint (after following it)
  // and hands the cosignature back to `other`, which stores it.
  void Cosign(Agency& other) {
    Follow(other);
    std::string note = other.log().checkpoint();
    std::string line = Need(replicas_.at(other.origin())->Cosign(note, NodeKeyOf(origin_), 1'720'000'000), "Cosign");
    Need(other.log().AddCosignature(note, line, Witness(origin_)), "AddCosignature");
  }

  // Every log this agency holds: its own first, then the replicas.
  std::vector<const StoredLog*> Logs() const {
    std::vector<const StoredLog*> logs{&log_->stored()};
    for (const auto& [origin, replica] : replicas_) logs.push_back(&replica->stored());
    return logs;
  }

  Bytes Bundle(const Hash& digest) {
    auto logs = Logs();
    return Need(bundle::BuildEvidenceBundle(logs, 0, digest.span(), origin_, clock_.NowMillis()), "BuildEvidenceBundle");
  }

  static NoteVerifier Witness(const std::string& origin) {
    return NoteVerifier::ForKey(origin, NodeKeyOf(origin).key.public_key(), kAlgCosignatureV1);
  }

 private:
  Bytes Statement(const Fill& fill) {
    capnp::MallocMessageBuilder message;
    auto s = message.initRoot<schema::Statement>();
    s.setOrigin(T(origin_));
    s.setTime(clock_.NowMillis());
    Bytes nonce(16, 0);
    for (int i = 0; i < 8; ++i) {
      nonce[static_cast<size_t>(i)] = static_cast<uint8_t>(stream_ >> (56 - 8 * i));
      nonce[static_cast<size_t>(8 + i)] = static_cast<uint8_t>(counter_ >> (56 - 8 * i));
    }
    ++counter_;
    s.setNonce(D(nonce));
    fill(s);
    return schema::Canonicalize(s.asReader());
  }

  std::string origin_;
  uint64_t stream_;
  uint64_t counter_ = 0;
  ManualClock clock_{1'720'000'000'000};
  std::unique_ptr<Store> store_;
  std::unique_ptr<Log> log_;
  std::map<std::string, std::unique_ptr<Replica>> replicas_;
};

// The federation of `origins`, each a cosigner, needing `quorum`.
inline trust::Federation TrustOf(const std::vector<std::string>& origins, uint32_t quorum) {
  trust::Federation::Origins keys;
  std::vector<NoteVerifier> witnesses;
  for (const auto& origin : origins) {
    keys.emplace(origin, NoteVerifier::ForKey(origin, NodeKeyOf(origin).key.public_key()));
    witnesses.push_back(Agency::Witness(origin));
  }
  return trust::Federation(std::move(keys), trust::WitnessGroup(std::move(witnesses), quorum));
}

}  // namespace custos::testing::custody
