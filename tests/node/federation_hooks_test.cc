// The node's federation side (node/federation.h) driven through its
// FederationHooks, without RPC and without followers connecting anywhere: a
// real Federation (not started) over a real Store holding the node's own log
// and a replica of one peer's log, called on a KJ event loop.
//
// The peer's log is a real Log (tests/ledger TestLog: origin kOrigin, key
// NodeKey()); its fork is a copy of its database that then took other
// entries (OpenedLog), so both are signed by the peer's key. Refusals are
// checked to leave the witness state, the proofs kept and the alarms as they
// were.
#include <capnp/capability.h>
#include <gtest/gtest.h>
#include <kj/async-io.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "crypto/cosignature.h"
#include "crypto/note.h"
#include "ledger/log/equivocation.h"
#include "ledger/log/log.h"
#include "ledger/log/replica.h"
#include "ledger/storage/store.h"
#include "ledger/tlog/checkpoint.h"
#include "node/checkpoint_hub.h"
#include "node/config.h"
#include "node/federation.h"
#include "node/logging.h"
#include "node/rpc_errors.h"
#include "node/tls.h"
#include "tests/ledger/replica_test_util.h"
#include "tests/node/collector.h"

namespace custos::node {
namespace {

using custos::testing::Collector;

using custos::testing::Fetch;
using custos::testing::GrowTo;
using custos::testing::kOrigin;
using custos::testing::kStartMillis;
using custos::testing::Must;
using custos::testing::NodeKey;
using custos::testing::OfficerKey;
using custos::testing::OpenedLog;
using custos::testing::OriginVerifier;
using custos::testing::ReplicaHolder;
using custos::testing::TestKey;
using custos::testing::TestLog;
using custos::testing::TextOf;
using Code = Status::Code;

// This node: its origin and key. The peer it follows is kOrigin / NodeKey().
constexpr char kNodeOrigin[] = "court.example/custos";
constexpr char kStranger[] = "stranger.example/custos";

NamedKey OwnKey() { return NamedKey{kNodeOrigin, TestKey("court-node")}; }

// The node's cosignatures (cosignature/v1, named by its origin).
NoteVerifier OwnWitnessVerifier() {
  return NoteVerifier::ForKey(kNodeOrigin, OwnKey().key.public_key(), kAlgCosignatureV1);
}

Caller PeerCaller() { return Caller{NodeKey().key.public_key(), std::string(kOrigin)}; }

// `note` with one character of its root line changed (its signature then fails).
std::string Tampered(std::string note) {
  size_t root = note.find('\n', note.find('\n') + 1) + 1;
  note[root] = note[root] == 'A' ? 'B' : 'A';
  return note;
}

// The cosignature in `line` is this node's over `note`'s text.
void ExpectCosignedByNode(const std::string& note, const std::string& line) {
  auto with_line = Note::Parse(note + line);
  ASSERT_TRUE(with_line.ok()) << with_line.status().ToString();
  auto timestamp = VerifyNoteCosignature(*with_line, OwnWitnessVerifier());
  ASSERT_TRUE(timestamp.ok()) << timestamp.status().ToString();
  EXPECT_EQ(*timestamp, static_cast<uint64_t>(kStartMillis / 1000));
}

void ExpectStatus(const Status& st, Code code, const std::string& part) {
  ASSERT_FALSE(st.ok()) << "accepted; wanted \"" << part << "\"";
  EXPECT_EQ(st.code(), code) << st.ToString();
  EXPECT_NE(st.message().find(part), std::string::npos) << "\"" << st.message() << "\" lacks \"" << part << "\"";
}

bool HasAlarm(const std::vector<std::string>& alarms, const std::string& prefix, const std::string& part = "") {
  return std::any_of(alarms.begin(), alarms.end(), [&](const std::string& a) {
    return a.rfind(prefix, 0) == 0 && a.find(part) != std::string::npos;
  });
}

class FederationHooksTest : public ::testing::Test {
 protected:
  // The peer's log has checkpoints at 2, 10 and 20; its fork shares the
  // first 10 entries and has checkpoints at 15 and 20. The replica holds the
  // peer's 20 entries with its notes at 10 and 20; nothing is cosigned yet.
  FederationHooksTest()
      : io_(kj::setupAsyncIo()),
        ws_(io_.waitScope),
        dir_(custos::testing::FreshTempDir(::testing::TempDir(), "federation-hooks")),
        own_key_(OwnKey()),
        identity_(Must(TlsIdentity::FromKey(own_key_), "TlsIdentity")),
        hub_(NewNullLogger()) {
    for (const char* sub : {"/peer", "/fork", "/node"}) std::filesystem::create_directories(dir_ + sub);
    peer_ = std::make_unique<TestLog>(dir_ + "/peer");
    peer_->GrantOfficer();
    GrowTo(*peer_, 10, "S-");
    fork_ = std::make_unique<OpenedLog>(*peer_, dir_ + "/fork", /*maker_stream=*/7);
    GrowTo(*peer_, 20, "P-");
    GrowTo(*fork_, 15, "F-");
    GrowTo(*fork_, 20, "F-");

    StoreOptions options;
    options.path = dir_ + "/node/ledger";
    options.clock = &clock_;
    options.verify_threads = 2;
    store_ = Must(Store::Open(options, OpenMode::kCreateNew), "Store::Open");
    const PublicKey admin = custos::testing::AdminKey().public_key();
    own_ = Must(Log::Create(*store_, kNodeOrigin, own_key_, std::span<const PublicKey>(&admin, 1)), "Log::Create");
    replica_ = Must(Replica::Open(*store_, OriginVerifier()), "Replica::Open");
    Replicate(0, 10, Note(10));
    Replicate(10, 20, Note(20));

    federation_.peers.push_back(
        PeerConfig{kOrigin, OriginVerifier(), HostPort{"127.0.0.1", 7301}, "public-security-bureau", {}, std::nullopt});
    const std::map<std::string, Replica*> replicas{{kOrigin, replica_.get()}};
    fed_ = std::make_unique<Federation>(*io_.provider, federation_, *own_, replicas, identity_, own_key_, hub_,
                                        NewNullLogger());
  }
  ~FederationHooksTest() noexcept override {
    fed_.reset();  // joins its threads before the replica goes
    replica_.reset();
    own_.reset();
    store_.reset();
    fork_.reset();
    peer_.reset();
    std::filesystem::remove_all(dir_);
  }

  Log& peer() { return peer_->log(); }
  Log& fork() { return fork_->log(); }
  Replica& replica() { return *replica_; }
  Federation& fed() { return *fed_; }

  // The peer's note at `size`.
  std::string Note(uint64_t size) { return Must(peer().CheckpointAt(size), "CheckpointAt"); }

  void Replicate(uint64_t from, uint64_t to, const std::string& note) {
    Status st = replica_->Apply(Fetch(peer(), from, to), note, {});
    if (!st.ok()) throw std::runtime_error("Apply: " + st.ToString());
  }

  // The Status a hook call fails with (thrown at once or as a rejected
  // promise); OK if it succeeds.
  template <typename Call>
  Status FailureOf(Call call) {
    KJ_IF_MAYBE(e, kj::runCatchingExceptions([&] { call().wait(ws_); })) { return FromException(*e); }
    return Status::OK();
  }

  kj::Promise<std::string> AddCheckpoint(uint64_t old_size, const std::string& note, std::vector<Hash> proof = {}) {
    return fed().AddCheckpoint(PeerCaller(), old_size, std::move(proof), note);
  }
  Status AddCheckpointFails(uint64_t old_size, const std::string& note, std::vector<Hash> proof = {}) {
    return FailureOf([&] { return AddCheckpoint(old_size, note, proof); });
  }
  // Cosigns the peer's note at `size` from the witness's current size.
  std::string Cosigned(uint64_t size) {
    auto witnessed = replica().witness_state();
    return AddCheckpoint(witnessed ? witnessed->size : 0, Note(size)).wait(ws_);
  }
  uint64_t WitnessedSize() {
    auto witnessed = replica().witness_state();
    return witnessed ? witnessed->size : 0;
  }

  // A proof that the peer equivocated, as another witness found it: a replica
  // of the peer's 20 entries shown the fork's note at 15.
  EquivocationProof ForkProof() {
    std::filesystem::create_directories(dir_ + "/other");
    ReplicaHolder other(dir_ + "/other");
    other.CatchUp(peer(), 1000);
    auto obs = Must(other.replica().Observe(Must(fork().CheckpointAt(15), "fork note"), {}), "Observe");
    if (obs.kind != CheckpointClass::kEquivocation || !other.replica().equivocation()) {
      throw std::runtime_error("the other witness saw no equivocation");
    }
    return *other.replica().equivocation();
  }
  static EquivocationReport ReportOf(const EquivocationProof& p) {
    return EquivocationReport{p.origin, p.note_a, p.note_b, p.consistency};
  }
  EquivocationVerdict Report(const EquivocationProof& proof, Caller caller = PeerCaller()) {
    return fed().ReportEquivocation(caller, ReportOf(proof)).wait(ws_);
  }

  // Two checkpoints of the own log at its size, with different roots, both
  // signed with the node's own key.
  EquivocationProof OwnForkProof() {
    Checkpoint other{kNodeOrigin, own_->size(), Hash{}, {}};
    other.root.bytes.fill(0x42);
    return EquivocationProof{kNodeOrigin, own_->checkpoint(),
                             Must(SignNote(other.Format(), kNodeOrigin, own_key_.key), "SignNote"), {}};
  }

  kj::AsyncIoContext io_;
  kj::WaitScope& ws_;
  std::string dir_;
  std::unique_ptr<TestLog> peer_;
  std::unique_ptr<OpenedLog> fork_;
  ManualClock clock_{kStartMillis};
  std::unique_ptr<Store> store_;
  std::unique_ptr<Log> own_;
  std::unique_ptr<Replica> replica_;
  NamedKey own_key_;
  TlsIdentity identity_;
  FederationConfig federation_;
  CheckpointHub hub_;
  std::unique_ptr<Federation> fed_;
};

TEST_F(FederationHooksTest, TheForkSharesAPrefixWithThePeer) {
  EXPECT_EQ(fork().VerifierKey(), peer().VerifierKey());
  EXPECT_EQ(*fork().RootAt(10), *peer().RootAt(10));
  EXPECT_EQ(fork().size(), peer().size());
  EXPECT_NE(fork().root(), peer().root());
  EXPECT_EQ(replica().size(), 20u);
  EXPECT_FALSE(replica().witness_state().has_value());
}

// ------------------------------------------------------------ addCheckpoint

TEST_F(FederationHooksTest, AddCheckpointRefusesAnOriginItDoesNotFollow) {
  Checkpoint cp{kStranger, 3, Hash{}, {}};
  std::string note = Must(SignNote(cp.Format(), kStranger, TestKey("stranger")), "SignNote");
  ExpectStatus(AddCheckpointFails(0, note), Code::kNotFound, "unknown origin \"stranger.example/custos\"");
  // Not even the node's own log: it does not witness itself.
  ExpectStatus(AddCheckpointFails(0, own_->checkpoint()), Code::kNotFound, "unknown origin");
  ExpectStatus(AddCheckpointFails(0, "not a note"), Code::kInvalidArgument, "checkpoint");
  EXPECT_FALSE(replica().witness_state().has_value());
  EXPECT_TRUE(fed().Alarms().empty());
}

TEST_F(FederationHooksTest, AddCheckpointRefusesANoteTheOriginDidNotSign) {
  // Signed under the origin's name by another key.
  std::string impostor = Must(SignNote(TextOf(Note(20)), kOrigin, TestKey("impostor")), "SignNote");
  ExpectStatus(AddCheckpointFails(0, impostor), Code::kCorruption, "checkpoint");
  // The origin's note with its text changed.
  ExpectStatus(AddCheckpointFails(0, Tampered(Note(20))), Code::kCorruption, "checkpoint");
  EXPECT_FALSE(replica().witness_state().has_value());
  EXPECT_FALSE(replica().equivocation().has_value());
  EXPECT_TRUE(fed().Alarms().empty());
}

TEST_F(FederationHooksTest, AddCheckpointWithAnotherOldSizeIsAConflict) {
  ExpectStatus(AddCheckpointFails(5, Note(10)), Code::kFailedPrecondition, "conflict: witness holds size 0");
  ExpectStatus(AddCheckpointFails(10, Note(20)), Code::kFailedPrecondition, "conflict: witness holds size 0");
  Cosigned(10);
  ExpectStatus(AddCheckpointFails(0, Note(20)), Code::kFailedPrecondition, "conflict: witness holds size 10");
  ExpectStatus(AddCheckpointFails(20, Note(20)), Code::kFailedPrecondition, "conflict: witness holds size 10");
  EXPECT_EQ(WitnessedSize(), 10u);
}

TEST_F(FederationHooksTest, AddCheckpointCosignsWhatTheReplicaHolds) {
  std::vector<std::string> published;
  auto subscription = hub_.Subscribe(kOrigin, kj::heap<Collector>(&published));

  std::string line = AddCheckpoint(0, Note(10)).wait(ws_);
  ExpectCosignedByNode(Note(10), line);
  auto witnessed = replica().witness_state();
  ASSERT_TRUE(witnessed.has_value());
  EXPECT_EQ(witnessed->size, 10u);
  EXPECT_EQ(witnessed->root, *peer().RootAt(10));

  // From the size it cosigned, with the peer's proof, to the held head.
  line = AddCheckpoint(10, Note(20), *peer().ConsistencyProof(10, 20)).wait(ws_);
  ExpectCosignedByNode(Note(20), line);
  EXPECT_EQ(WitnessedSize(), 20u);
  EXPECT_EQ(*replica().CosignedCheckpoint(), Note(20) + line);
  EXPECT_EQ(NewReplicaView(replica())->checkpoint(), Note(20) + line);

  // A second call from the old size is now stale.
  ExpectStatus(AddCheckpointFails(10, Note(20)), Code::kFailedPrecondition, "conflict: witness holds size 20");

  // Subscribers of the peer's log get the cosigned note.
  auto& timer = io_.provider->getTimer();
  for (int i = 0; i < 200 && (published.empty() || published.back() != Note(20) + line); ++i) {
    timer.afterDelay(kj::MILLISECONDS).wait(ws_);
  }
  ASSERT_FALSE(published.empty());
  EXPECT_EQ(published.back(), Note(20) + line);
}

TEST_F(FederationHooksTest, AddCheckpointWithABadProofCosignsNothing) {
  Cosigned(20);
  GrowTo(*peer_, 30, "P-");
  auto proof = *peer().ConsistencyProof(20, 30);
  proof.back().bytes[5] ^= 0x01;
  ExpectStatus(AddCheckpointFails(20, peer().checkpoint(), proof), Code::kCorruption, "proof:");
  ExpectStatus(AddCheckpointFails(20, peer().checkpoint(), {}), Code::kCorruption, "proof:");
  EXPECT_EQ(WitnessedSize(), 20u);
  EXPECT_EQ(replica().size(), 20u);
  EXPECT_FALSE(replica().equivocation().has_value());
  EXPECT_TRUE(fed().Alarms().empty());
}

TEST_F(FederationHooksTest, AddCheckpointOfAForkIsAnEquivocation) {
  Cosigned(10);
  ExpectStatus(AddCheckpointFails(10, fork().checkpoint()), Code::kFailedPrecondition, "equivocation");

  auto proof = replica().equivocation();
  ASSERT_TRUE(proof.has_value());
  EXPECT_TRUE(CheckEquivocationProof(*proof, OriginVerifier()).ok());
  EXPECT_EQ(proof->note_b, fork().checkpoint());
  auto alarms = fed().Alarms();
  EXPECT_TRUE(HasAlarm(alarms, std::string("equivocation: ") + kOrigin)) << ::testing::PrintToString(alarms);

  // The witness no longer cosigns the origin, not even what it holds.
  ExpectStatus(AddCheckpointFails(10, Note(20)), Code::kFailedPrecondition, "equivocation");
  ExpectStatus(AddCheckpointFails(10, Note(10)), Code::kFailedPrecondition, "equivocation");
  EXPECT_EQ(WitnessedSize(), 10u);
  EXPECT_EQ(fed().Alarms().size(), alarms.size());
}

TEST_F(FederationHooksTest, AForkShownWithAStaleOldSizeIsStillKeptAsEvidence) {
  Cosigned(20);
  // The fork's note at 15 contradicts the replica; the caller's oldSize (0) is
  // stale, but the signed note is evidence whatever the caller believes.
  ExpectStatus(AddCheckpointFails(0, Must(fork().CheckpointAt(15), "fork note")), Code::kFailedPrecondition,
               "equivocation");
  ASSERT_TRUE(replica().equivocation().has_value());
  EXPECT_TRUE(CheckEquivocationProof(*replica().equivocation(), OriginVerifier()).ok());
  EXPECT_TRUE(HasAlarm(fed().Alarms(), std::string("equivocation: ") + kOrigin));
}

TEST_F(FederationHooksTest, AnOldSizeAboveTheCheckpointIsInvalid) {
  Cosigned(20);
  ExpectStatus(AddCheckpointFails(20, Note(10)), Code::kInvalidArgument, "oldSize: 20 is above the checkpoint's size 10");
  EXPECT_EQ(WitnessedSize(), 20u);
}

TEST_F(FederationHooksTest, OfTwoCallsFromTheSameOldSizeOnlyTheFirstIsCosigned) {
  auto first = AddCheckpoint(0, Note(10));
  auto second = AddCheckpoint(0, Note(20));
  std::string line = first.wait(ws_);
  ExpectCosignedByNode(Note(10), line);
  ExpectStatus(FailureOf([&] { return kj::mv(second); }), Code::kFailedPrecondition, "conflict: witness holds size 10");
  EXPECT_EQ(WitnessedSize(), 10u);
}

// ------------------------------------------------------------ addCosignature

class FederationHooksCosignatureTest : public FederationHooksTest {
 protected:
  // A cosignature line on `note`'s text by `key` named `name`.
  static std::string LineBy(const std::string& note, const std::string& name, const SigningKey& key) {
    return custos::Cosign(TextOf(note), name, key, static_cast<uint64_t>(kStartMillis / 1000)).ToLine();
  }
  Status AddFails(const Caller& caller, const std::string& note, const std::string& line) {
    return FailureOf([&] { return fed().AddCosignature(caller, note, line); });
  }
  NoteVerifier PeerWitness() { return NoteVerifier::ForKey(kOrigin, NodeKey().key.public_key(), kAlgCosignatureV1); }
};

TEST_F(FederationHooksCosignatureTest, APeersCosignatureOnTheOwnLogIsStored) {
  const std::string note = own_->checkpoint();
  const std::string line = LineBy(note, kOrigin, NodeKey().key);
  fed().AddCosignature(PeerCaller(), note, line).wait(ws_);
  std::string cosigned = Must(own_->CosignedCheckpoint(), "CosignedCheckpoint");
  EXPECT_EQ(cosigned, note + line);
  auto parsed = Must(Note::Parse(cosigned), "Note::Parse");
  EXPECT_TRUE(VerifyNoteCosignature(parsed, PeerWitness()).ok());
  EXPECT_EQ(Must(own_->LatestCosignedSize(), "LatestCosignedSize"), std::optional<uint64_t>(own_->size()));
}

TEST_F(FederationHooksCosignatureTest, ACosignatureOnTheLatestCheckpointIsPublished) {
  std::vector<std::string> published;
  auto subscription = hub_.Subscribe(kNodeOrigin, kj::heap<Collector>(&published));
  const std::string note = own_->checkpoint();
  const std::string line = LineBy(note, kOrigin, NodeKey().key);
  fed().AddCosignature(PeerCaller(), note, line).wait(ws_);
  auto& timer = io_.provider->getTimer();
  for (int i = 0; i < 200 && (published.empty() || published.back() != note + line); ++i) {
    timer.afterDelay(kj::MILLISECONDS).wait(ws_);
  }
  ASSERT_FALSE(published.empty());
  EXPECT_EQ(published.back(), note + line);
}

TEST_F(FederationHooksCosignatureTest, OtherKeysOriginsAndCallersAreRefused) {
  const std::string note = own_->checkpoint();
  const std::string good = LineBy(note, kOrigin, NodeKey().key);
  // Named after the peer, made with another key.
  EXPECT_FALSE(AddFails(PeerCaller(), note, LineBy(note, kOrigin, TestKey("impostor"))).ok());
  // Made by the peer's key, but as another witness than the caller.
  EXPECT_FALSE(AddFails(PeerCaller(), note, LineBy(note, kStranger, NodeKey().key)).ok());
  // The peer's line over a checkpoint of another log than the node's.
  ExpectStatus(AddFails(PeerCaller(), Note(20), LineBy(Note(20), kOrigin, NodeKey().key)), Code::kInvalidArgument,
               "is not this node's log");
  // Callers that are not federation peers.
  ExpectStatus(AddFails(Caller{OfficerKey().public_key(), std::nullopt}, note, good), Code::kUnauthorized,
               "not a federation peer");
  ExpectStatus(AddFails(Caller{TestKey("stranger").public_key(), std::string(kStranger)}, note, good),
               Code::kUnauthorized, "not a federation peer");
  EXPECT_EQ(Must(own_->CosignedCheckpoint(), "CosignedCheckpoint"), note);
  EXPECT_FALSE(Must(own_->LatestCosignedSize(), "LatestCosignedSize").has_value());
}

// ------------------------------------------------------------ reportEquivocation

TEST_F(FederationHooksTest, AValidProofIsAcceptedAndRaisesTheAlarm) {
  Cosigned(10);
  const EquivocationProof proof = ForkProof();
  ASSERT_FALSE(proof.consistency.empty());  // sizes 15 and 20: a path between them
  EquivocationVerdict verdict = Report(proof);
  EXPECT_TRUE(verdict.accepted) << verdict.reason;
  EXPECT_EQ(replica().equivocation(), proof);
  auto alarms = fed().Alarms();
  EXPECT_TRUE(HasAlarm(alarms, std::string("equivocation: ") + kOrigin, "sizes 15 and 20"))
      << ::testing::PrintToString(alarms);
  ExpectStatus(AddCheckpointFails(10, Note(20)), Code::kFailedPrecondition, "equivocation");

  // Handed over again: still accepted, one alarm.
  EXPECT_TRUE(Report(proof).accepted);
  EXPECT_EQ(fed().Alarms(), alarms);
}

TEST_F(FederationHooksTest, ATamperedProofIsRefusedWithAReason) {
  EquivocationProof proof = ForkProof();
  proof.note_b = Tampered(proof.note_b);
  EquivocationVerdict verdict = Report(proof);
  EXPECT_FALSE(verdict.accepted);
  EXPECT_NE(verdict.reason.find("noteB"), std::string::npos) << verdict.reason;

  EquivocationProof consistent{kOrigin, Note(10), Note(20), *peer().ConsistencyProof(10, 20)};
  verdict = Report(consistent);
  EXPECT_FALSE(verdict.accepted);
  EXPECT_FALSE(verdict.reason.empty());

  EXPECT_FALSE(replica().equivocation().has_value());
  EXPECT_TRUE(fed().Alarms().empty());
  EXPECT_FALSE(Cosigned(20).empty());  // still witnessing
}

TEST_F(FederationHooksTest, AProofAboutAnOriginItDoesNotFollowIsRefused) {
  EquivocationProof proof = ForkProof();
  proof.origin = kStranger;
  EquivocationVerdict verdict = Report(proof);
  EXPECT_FALSE(verdict.accepted);
  EXPECT_NE(verdict.reason.find("does not follow \"stranger.example/custos\""), std::string::npos) << verdict.reason;
  EXPECT_FALSE(replica().equivocation().has_value());
  EXPECT_TRUE(fed().Alarms().empty());
}

TEST_F(FederationHooksTest, AProofThatTheOwnKeySignedTwoHistoriesRaisesTheAlarm) {
  EquivocationProof tampered = OwnForkProof();
  tampered.note_b = Tampered(tampered.note_b);
  EquivocationVerdict verdict = Report(tampered);
  EXPECT_FALSE(verdict.accepted);
  EXPECT_FALSE(verdict.reason.empty());
  EXPECT_TRUE(fed().Alarms().empty());

  verdict = Report(OwnForkProof());
  EXPECT_TRUE(verdict.accepted) << verdict.reason;
  auto alarms = fed().Alarms();
  EXPECT_TRUE(HasAlarm(alarms, "equivocation: ", "own key")) << ::testing::PrintToString(alarms);
  // The peer's log is not implicated.
  EXPECT_FALSE(replica().equivocation().has_value());
  EXPECT_FALSE(Cosigned(20).empty());
}

// ------------------------------------------------------------ status

TEST_F(FederationHooksTest, PeersListsEachPeerWithWhatTheReplicaHolds) {
  auto peers = fed().Peers();
  ASSERT_EQ(peers.size(), 1u);
  EXPECT_EQ(peers[0].origin, kOrigin);
  EXPECT_EQ(peers[0].address, "127.0.0.1:7301");
  EXPECT_EQ(peers[0].agency_kind, "public-security-bureau");
  EXPECT_FALSE(peers[0].connected);
  EXPECT_EQ(peers[0].held_size, replica().size());
  EXPECT_EQ(peers[0].held_size, 20u);
  EXPECT_TRUE(peers[0].last_error.empty());
  EXPECT_TRUE(fed().Alarms().empty());
}

}  // namespace
}  // namespace custos::node
