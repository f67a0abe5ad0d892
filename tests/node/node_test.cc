// The node's parts: config parsing, the RPC server over a real Log (group
// commit, receipts, entries, proofs, subscriptions, limits, who may call), and
// the listener with TLS and message limits. RPC runs in one event loop over
// kj::newTwoWayPipe() (no sockets); the log is a real LevelDB in a temp dir.
#include <capnp/rpc-twoparty.h>
#include <gtest/gtest.h>
#include <kj/async-io.h>
#include <kj/debug.h>

#include <filesystem>
#include <fstream>
#include <future>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "crypto/note.h"
#include "ledger/listings/listing_check.h"
#include "ledger/personal/private_data.h"
#include "ledger/tlog/checkpoint.h"
#include "ledger/tlog/merkle.h"
#include "node/access.h"
#include "node/checkpoint_hub.h"
#include "node/config.h"
#include "node/group_commit.h"
#include "node/listener.h"
#include "node/log_view.h"
#include "node/logging.h"
#include "node/offload.h"
#include "node/rpc_errors.h"
#include "node/rpc_limits.h"
#include "node/server.h"
#include "node/tls.h"
#include "tests/ledger/log_test_util.h"
#include "tests/node/collector.h"
#include "tests/trust/federation_json.h"

namespace custos::node {
namespace {

using custos::testing::Collector;

using custos::testing::kOrigin;
using custos::testing::Must;

// A bounded Offload refuses a job past its bound with OVERLOADED and still
// runs the ones it took.
TEST(OffloadTest, RefusesJobsPastItsBound) {
  kj::EventLoop loop;
  kj::WaitScope ws(loop);
  Offload offload(1);
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::promise<void> started;
  auto first = offload.Run([&started, released] {
    started.set_value();
    released.wait();
    return 1;
  });
  started.get_future().wait();  // the first job is running: the queue is empty
  auto second = offload.Run([] { return 2; });
  auto third = offload.Run([] { return 3; });
  // Refused at once: a third job that was queued would wait for the first.
  if (!third.poll(ws)) {
    release.set_value();
    FAIL() << "the job past the bound was queued";
  }
  auto refused = third.then([](int) { return std::string("ran"); },
                            [](kj::Exception&& e) {
                              return std::string(e.getType() == kj::Exception::Type::OVERLOADED ? "OVERLOADED: " : "other: ") +
                                     e.getDescription().cStr();
                            })
                     .wait(ws);
  EXPECT_NE(refused.find("OVERLOADED"), std::string::npos) << refused;
  EXPECT_NE(refused.find("too many requests"), std::string::npos) << refused;
  release.set_value();
  EXPECT_EQ(first.wait(ws), 1);
  EXPECT_EQ(second.wait(ws), 2);
}

// ------------------------------------------------------------ config

// A federation file of one peer (tests/trust/federation_json.h).
std::string Federation(const std::string& peer_fields, const std::string& policy = "") {
  return custos::testing::FederationJson(peer_fields, policy);
}
void ExpectError(const Status& st, const std::string& want) { custos::testing::ExpectInvalidArgument(st, want); }

TEST(NodeConfigTest, ParsesAConfigAndResolvesPathsAgainstItsDirectory) {
  auto c = ParseNodeConfig(R"({"dataDir": "data", "listen": "127.0.0.1:0", "federationFile": "/etc/fed.json",
                               "logLevel": "debug"})",
                           "config n.json", "/srv/node");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->data_dir, "/srv/node/data");
  EXPECT_EQ(c->federation_file, "/etc/fed.json");
  EXPECT_EQ(c->listen.host, "127.0.0.1");
  EXPECT_EQ(c->listen.port, 0);
  EXPECT_EQ(c->log_level, "debug");
  EXPECT_TRUE(c->node_key_file.empty());
  EXPECT_EQ(c->limits.max_unauthenticated, 256u);
  EXPECT_EQ(c->limits.handshake_timeout_s, 10u);
  EXPECT_EQ(c->limits.idle_timeout_s, 300u);
  auto limited = Must(ParseNodeConfig(R"({"dataDir": "d", "listen": "h:1", "federationFile": "f", "maxUnauthenticated": 8,
                                          "handshakeTimeoutSeconds": 3, "idleTimeoutSeconds": 0})",
                                      "n.json", "/"),
                      "ParseNodeConfig");
  EXPECT_EQ(limited.limits.max_unauthenticated, 8u);
  EXPECT_EQ(limited.limits.handshake_timeout_s, 3u);
  EXPECT_EQ(limited.limits.idle_timeout_s, 0u);
}

TEST(NodeConfigTest, ErrorsNameTheFileAndTheField) {
  auto parse = [](const std::string& json) { return ParseNodeConfig(json, "config n.json", "/d").status(); };
  ExpectError(parse(R"({"listen": "127.0.0.1:1", "federationFile": "f"})"), "config n.json: dataDir: missing");
  ExpectError(parse(R"({"dataDir": "d", "listen": "localhost", "federationFile": "f"})"), "listen: \"localhost\" is not HOST:PORT");
  ExpectError(parse(R"({"dataDir": "d", "listen": "h:70000", "federationFile": "f"})"), "listen:");
  ExpectError(parse(R"({"dataDir": "d", "listen": "h:1", "federationFile": "f", "lisen": 1})"), "lisen: unknown field");
  ExpectError(parse(R"({"dataDir": "d", "listen": "h:1", "federationFile": "f", "logLevel": "loud"})"), "logLevel:");
  ExpectError(parse(R"({"dataDir": 5, "listen": "h:1", "federationFile": "f"})"), "dataDir: must be a string");
  ExpectError(parse(R"({"dataDir": "d", "listen": "h:1", "federationFile": "f", "maxUnauthenticated": 0})"),
              "maxUnauthenticated: must be a whole number from 1 to 65536");
  ExpectError(parse(R"({"dataDir": "d", "listen": "h:1", "federationFile": "f", "idleTimeoutSeconds": -1})"),
              "idleTimeoutSeconds: must be a whole number from 0 to 86400");
  ExpectError(parse("[1]"), "config n.json: must be a JSON object");
  ExpectError(parse("{"), "config n.json: not valid JSON");
}

// "http" turns the read plane on; its limits have defaults and ranges.
TEST(NodeConfigTest, HttpIsOptionalAndStrict) {
  EXPECT_FALSE(Must(ParseNodeConfig(R"({"dataDir": "d", "listen": "h:1", "federationFile": "f"})", "n.json", "/"),
                    "ParseNodeConfig")
                   .http.has_value());
  auto c = Must(ParseNodeConfig(R"({"dataDir": "d", "listen": "h:1", "federationFile": "f",
                                    "http": {"listen": "127.0.0.1:8080", "requestsPerSecond": 0, "threads": 2}})",
                                "n.json", "/"),
                "ParseNodeConfig");
  ASSERT_TRUE(c.http.has_value());
  EXPECT_EQ(c.http->listen.ToString(), "127.0.0.1:8080");
  EXPECT_EQ(c.http->requests_per_second, 0u);
  EXPECT_EQ(c.http->threads, 2u);
  EXPECT_EQ(c.http->max_connections, 512u);
  EXPECT_EQ(c.http->max_header_bytes, 16384u);
  EXPECT_EQ(c.http->timeout_s, 30u);
  auto parse = [](const std::string& http) {
    return ParseNodeConfig(R"({"dataDir": "d", "listen": "h:1", "federationFile": "f", "http": )" + http + "}",
                           "config n.json", "/d")
        .status();
  };
  ExpectError(parse("{}"), "config n.json: http.listen: missing");
  ExpectError(parse(R"({"listen": "localhost"})"), "http.listen: \"localhost\" is not HOST:PORT");
  ExpectError(parse(R"({"listen": "h:1", "maxConections": 5})"), "http.maxConections: unknown field");
  ExpectError(parse(R"({"listen": "h:1", "maxHeaderBytes": 100})"), "http.maxHeaderBytes: must be a whole number from 1024");
  ExpectError(parse(R"({"listen": "h:1", "threads": 0})"), "http.threads: must be a whole number from 1 to 64");
  ExpectError(parse(R"("h:1")"), "config n.json: http: must be a JSON object");
}

// "tlogWitness" names the outside logs the node witnesses; it needs "http".
TEST(NodeConfigTest, TlogWitnessNamesLogsAndNeedsHttp) {
  const std::string vkey = "test.example/log+d778c620+AeyRmb+we7lLJAh5Fs3z41LeyyeqSXaggsMzPUwi7JQe";
  auto parse = [](const std::string& extra) {
    return ParseNodeConfig(R"({"dataDir": "d", "listen": "h:1", "federationFile": "f", )" + extra + "}", "config n.json",
                           "/d");
  };
  auto c = Must(parse(R"("http": {"listen": "h:2"}, "tlogWitness": {"logs": [{"origin": "test.example/log", "verifierKey": ")" +
                      vkey + R"("}]})"),
                "ParseNodeConfig");
  ASSERT_TRUE(c.tlog_witness.has_value());
  EXPECT_EQ(c.tlog_witness->logs.at(0).first, "test.example/log");
  ExpectError(parse(R"("tlogWitness": {"logs": []})").status(), "tlogWitness: needs \"http\"");
  ExpectError(parse(R"("http": {"listen": "h:2"}, "tlogWitness": {"logs": []})").status(), "tlogWitness.logs: must be a non-empty list");
  ExpectError(parse(R"("http": {"listen": "h:2"}, "tlogWitness": {"logs": [{"origin": "o", "verifierKey": "x"}]})").status(),
              "tlogWitness.logs[0].verifierKey:");
}

TEST(NodeConfigTest, DataDirInfoNamesOriginAndKey) {
  auto info = ParseDataDirInfo(R"({"format": 1, "origin": "o", "nodeKeyFile": "/k"})", "d/custos.json", "/srv/d");
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->origin, "o");
  EXPECT_EQ(info->node_key_file, "/k");
  ExpectError(ParseDataDirInfo(R"({"origin": "o"})", "d/custos.json", "d").status(), "d/custos.json: nodeKeyFile: missing");
}

void WriteText(const std::string& path, const std::string& text) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  std::ofstream(path) << text;
}

// custos.json is the data directory's: a relative nodeKeyFile in it names a
// file there, wherever the node is started from and wherever its config is.
TEST(NodeConfigTest, ARelativeNodeKeyFileInCustosJsonIsInTheDataDirectory) {
  const std::string dir = custos::testing::FreshTempDir(::testing::TempDir(), "config");
  std::filesystem::create_directories(dir + "/store/ledger");
  WriteText(dir + "/store/custos.json", R"({"format": 1, "origin": "o.example/custos", "nodeKeyFile": "keys/node.key"})");
  WriteText(dir + "/etc/fed.json", Federation(""));
  WriteText(dir + "/etc/node.json", R"({"dataDir": "../store", "listen": "127.0.0.1:0", "federationFile": "fed.json"})");
  auto c = LoadNodeConfig(dir + "/etc/node.json");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->node_key_file, dir + "/store/keys/node.key");
  EXPECT_EQ(c->federation_file, dir + "/etc/fed.json");
  auto info = Must(LoadDataDirInfo(dir + "/store"), "LoadDataDirInfo");
  EXPECT_EQ(info.node_key_file, dir + "/store/keys/node.key");
  std::filesystem::remove_all(dir);
}

TEST(NodeConfigTest, TheExampleFilesParse) {
  std::string dir = std::string(CUSTOS_SOURCE_DIR) + "/examples/node";
  auto fed = ParseFederation(custos::testing::ReadTextFile(dir + "/federation.json"), "federation.json");
  ASSERT_TRUE(fed.ok()) << fed.status().ToString();
  EXPECT_EQ(fed->peers.size(), 4u);
  EXPECT_EQ(fed->policy.quorum, 2u);
  auto config = ParseNodeConfig(custos::testing::ReadTextFile(dir + "/node.json"), "node.json", dir);
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_EQ(config->federation_file, dir + "/federation.json");
}

// ------------------------------------------------------------ errors

TEST(RpcErrorsTest, AStatusSurvivesTheTripThroughAnException) {
  Status st = Status::Unauthorized("submit: key 00… is not known");
  kj::Exception e = ToException(st);
  EXPECT_EQ(e.getType(), kj::Exception::Type::FAILED);
  Status back = FromException(kj::Exception(e.getType(), __FILE__, __LINE__,
                                            kj::str("remote exception: ", e.getDescription())));
  EXPECT_EQ(back.code(), Status::Code::kUnauthorized);
  EXPECT_EQ(back.message(), st.message());
  EXPECT_EQ(ToException(Status::IOError("disk")).getType(), kj::Exception::Type::OVERLOADED);
  EXPECT_EQ(FromException(KJ_EXCEPTION(DISCONNECTED, "gone")).code(), Status::Code::kIOError);
}

// ------------------------------------------------------------ the server

class NodeServerTest : public ::testing::Test {
 protected:
  NodeServerTest()
      : io_(kj::setupAsyncIo()),
        ws_(io_.waitScope),
        dir_(custos::testing::FreshTempDir(::testing::TempDir(), "node")),
        log_(dir_),
        federation_(Must(ParseFederation(Federation(""), "federation"), "federation")),
        access_(federation_, log_.log()),
        hub_(NewNullLogger()),
        committer_(log_.log(), NewNullLogger()),
        hooks_(NewStaticFederation(federation_, kOrigin)),
        services_{kOrigin, &logs_, &committer_, &hub_, &access_, hooks_.get(), NewNullLogger(), log_.log().size()} {
    KJ_ASSERT(logs_.Add(NewOwnLogView(log_.log())).ok());
    log_.GrantOfficer();
    services_.published_size = log_.log().size();
  }
  ~NodeServerTest() noexcept override {}

  // A connection whose TLS key would have been `key` (TLS itself is tested below).
  struct Connection {
    explicit Connection(rpc::Node::Client bootstrap) : server(kj::mv(bootstrap)) {
      auto pipe = kj::newTwoWayPipe();
      server.accept(kj::mv(pipe.ends[0]));
      client_end = kj::mv(pipe.ends[1]);
      client.emplace(*client_end);
      node = client->bootstrap().castAs<rpc::Node>();
    }
    ~Connection() noexcept(false) {
      node = nullptr;
      client.reset();
    }
    capnp::TwoPartyServer server;
    kj::Own<kj::AsyncIoStream> client_end;
    std::optional<capnp::TwoPartyClient> client;
    rpc::Node::Client node{nullptr};
  };

  std::unique_ptr<Connection> Connect(const PublicKey& key) {
    return std::make_unique<Connection>(NewNodeServer(services_, access_.Identify(key)));
  }
  std::unique_ptr<Connection> ConnectOfficer() { return Connect(custos::testing::OfficerKey().public_key()); }

  Bytes SignedCase(const std::string& id) { return log_.SignedCase(custos::testing::OfficerKey(), id); }

  kj::Promise<capnp::Response<rpc::Node::SubmitResults>> Submit(rpc::Node::Client& node, const std::vector<Bytes>& subs) {
    auto request = node.submitRequest();
    auto list = request.initSubmissions(static_cast<capnp::uint>(subs.size()));
    for (size_t i = 0; i < subs.size(); ++i) list.set(static_cast<capnp::uint>(i), {subs[i].data(), subs[i].size()});
    return request.send();
  }

  kj::Promise<capnp::Response<rpc::Node::EntriesResults>> Entries(rpc::Node::Client& node, uint64_t start,
                                                                  uint32_t count) {
    auto request = node.entriesRequest();
    request.setOrigin(kOrigin);
    request.setStart(start);
    request.setCount(count);
    return request.send();
  }

  // Runs `promise` and returns the description of the exception it fails with.
  template <typename T>
  std::string FailureOf(kj::Promise<T> promise, kj::Exception::Type* type = nullptr) {
    KJ_IF_MAYBE(e, kj::runCatchingExceptions([&] { promise.wait(ws_); })) {
      if (type) *type = e->getType();
      return e->getDescription().cStr();
    }
    return "(no failure)";
  }

  // Checks a receipt's proof against the log's key, as a submitter would.
  void ExpectReceiptVerifies(rpc::Receipt::Reader receipt) {
    auto proof = Must(TlogProof::Parse(receipt.getProof().cStr()), "TlogProof::Parse");
    EXPECT_EQ(proof.index, receipt.getIndex());
    Checkpoint cp = custos::testing::OpenCheckpoint(proof.checkpoint, log_.log().VerifierKey());
    auto leaf = Hash::FromSpan(ByteSpan(receipt.getLeafHash().begin(), receipt.getLeafHash().size()));
    ASSERT_TRUE(leaf.has_value());
    EXPECT_EQ(*leaf, custos::testing::LeafOf(log_.log(), receipt.getIndex()));
    EXPECT_TRUE(merkle::VerifyInclusion(*leaf, receipt.getIndex(), cp.size, proof.proof, cp.root).ok());
  }

  kj::AsyncIoContext io_;
  kj::WaitScope& ws_;
  std::string dir_;
  custos::testing::TestLog log_;
  FederationConfig federation_;
  AccessPolicy access_;
  LogRegistry logs_;
  CheckpointHub hub_;
  GroupCommitter committer_;
  std::unique_ptr<FederationHooks> hooks_;
  NodeServices services_;
};

TEST_F(NodeServerTest, SubmitReturnsAReceiptWhoseProofVerifies) {
  auto c = ConnectOfficer();
  uint64_t before = log_.log().size();
  auto response = Submit(c->node, {SignedCase("case-1"), SignedCase("case-2")}).wait(ws_);
  auto results = response.getResults();
  ASSERT_EQ(results.size(), 2u);
  for (auto r : results) {
    ASSERT_TRUE(r.isReceipt()) << r.getError().getMessage().cStr();
    ExpectReceiptVerifies(r.getReceipt());
  }
  EXPECT_EQ(results[0].getReceipt().getIndex(), before);
  EXPECT_EQ(log_.log().size(), before + 2);
}

TEST_F(NodeServerTest, RefusalsArePerItem) {
  auto c = ConnectOfficer();
  Bytes good = SignedCase("case-ok");
  Bytes replay = good;
  Bytes bad = SignedCase("case-bad");
  bad[bad.size() - 1] ^= 1;  // spoils the signature
  auto response = Submit(c->node, {good, bad}).wait(ws_);
  ASSERT_TRUE(response.getResults()[0].isReceipt());
  ASSERT_TRUE(response.getResults()[1].isError());
  EXPECT_EQ(response.getResults()[1].getError().getCode(), rpc::ErrorCode::VERIFICATION_FAILED);
  auto again = Submit(c->node, {replay}).wait(ws_);
  ASSERT_TRUE(again.getResults()[0].isError());
  EXPECT_EQ(again.getResults()[0].getError().getCode(), rpc::ErrorCode::ALREADY_EXISTS);
}

TEST_F(NodeServerTest, ConcurrentSubmitsFromSeveralClientsAreGroupCommitted) {
  constexpr int kClients = 4, kCallsEach = 8;
  std::vector<std::unique_ptr<Connection>> clients;
  for (int i = 0; i < kClients; ++i) clients.push_back(ConnectOfficer());
  uint64_t batches_before = committer_.batches();
  kj::Vector<kj::Promise<capnp::Response<rpc::Node::SubmitResults>>> calls;
  for (int call = 0; call < kCallsEach; ++call) {
    for (int i = 0; i < kClients; ++i) {
      calls.add(Submit(clients[i]->node, {SignedCase("case-" + std::to_string(i) + "-" + std::to_string(call))}));
    }
  }
  auto responses = kj::joinPromises(calls.releaseAsArray()).wait(ws_);
  std::set<std::string> checkpoints;
  std::set<uint64_t> indexes;
  for (auto& response : responses) {
    auto r = response.getResults()[0];
    ASSERT_TRUE(r.isReceipt()) << r.getError().getMessage().cStr();
    ExpectReceiptVerifies(r.getReceipt());
    indexes.insert(r.getReceipt().getIndex());
    checkpoints.insert(Must(TlogProof::Parse(r.getReceipt().getProof().cStr()), "proof").checkpoint);
  }
  constexpr size_t kCalls = kClients * kCallsEach;
  EXPECT_EQ(indexes.size(), kCalls);
  uint64_t batches = committer_.batches() - batches_before;
  EXPECT_LT(batches, kCalls) << "every call was committed on its own";
  EXPECT_EQ(checkpoints.size(), batches);
}

TEST_F(NodeServerTest, EntriesAndProofs) {
  auto c = ConnectOfficer();
  Submit(c->node, {SignedCase("a"), SignedCase("b"), SignedCase("c")}).wait(ws_);
  uint64_t size = log_.log().size();

  auto response = Entries(c->node, 1, 100).wait(ws_);
  auto got = response.getEntries();
  ASSERT_EQ(got.size(), size - 1);
  for (capnp::uint i = 0; i < got.size(); ++i) {
    Bytes want = Must(log_.log().Entry(i + 1), "entry");
    EXPECT_EQ(Bytes(got[i].begin(), got[i].end()), want);
  }
  EXPECT_EQ(Entries(c->node, size, 1).wait(ws_).getEntries().size(), 0u);

  auto inclusion = c->node.inclusionProofRequest();
  inclusion.setOrigin(kOrigin);
  inclusion.setIndex(2);
  inclusion.setTreeSize(0);
  auto proof = inclusion.send().wait(ws_);
  Checkpoint cp = custos::testing::OpenCheckpoint(proof.getCheckpoint().cStr(), log_.log().VerifierKey());
  EXPECT_EQ(cp.size, size);
  std::vector<Hash> path;
  for (auto h : proof.getProof()) path.push_back(*Hash::FromSpan(ByteSpan(h.begin(), h.size())));
  EXPECT_TRUE(merkle::VerifyInclusion(custos::testing::LeafOf(log_.log(), 2), 2, size, path, cp.root).ok());

  auto consistency = c->node.consistencyProofRequest();
  consistency.setOrigin(kOrigin);
  consistency.setOldSize(2);
  consistency.setTreeSize(size);
  auto consistent = consistency.send().wait(ws_);
  std::vector<Hash> cproof;
  for (auto h : consistent.getProof()) cproof.push_back(*Hash::FromSpan(ByteSpan(h.begin(), h.size())));
  Hash old_root = Must(log_.log().RootAt(2), "RootAt");
  EXPECT_TRUE(merkle::VerifyConsistency(2, size, old_root, log_.log().root(), cproof).ok());
}

TEST_F(NodeServerTest, CheckpointAndStatus) {
  auto c = ConnectOfficer();
  auto cp = c->node.checkpointRequest();
  cp.setOrigin(kOrigin);
  EXPECT_EQ(std::string(cp.send().wait(ws_).getNote().cStr()), log_.log().checkpoint());

  auto response = c->node.statusRequest().send().wait(ws_);
  auto st = response.getStatus();
  EXPECT_EQ(std::string(st.getOrigin().cStr()), kOrigin);
  ASSERT_EQ(st.getLogs().size(), 1u);
  EXPECT_EQ(st.getLogs()[0].getRole(), rpc::LogRole::OWN);
  EXPECT_EQ(st.getLogs()[0].getSize(), log_.log().size());
  EXPECT_EQ(st.getLogs()[0].getCosignatures(), 0u);
  ASSERT_EQ(st.getPeers().size(), 1u);
  EXPECT_EQ(std::string(st.getPeers()[0].getOrigin().cStr()), "psb.example/custos");
  EXPECT_FALSE(st.getPeers()[0].getConnected());
  EXPECT_EQ(st.getAlarms().size(), 0u);
}

TEST_F(NodeServerTest, SubscribersGetEachNewCheckpointAndDroppingUnsubscribes) {
  auto c = ConnectOfficer();
  std::vector<std::string> notes;
  auto subscribe = c->node.subscribeRequest();
  subscribe.setOrigin(kOrigin);
  subscribe.setSubscriber(kj::heap<Collector>(&notes));
  auto subscription = subscribe.send().wait(ws_).getSubscription();
  auto timer = &io_.provider->getTimer();
  auto wait_for = [&](size_t n) {
    for (int i = 0; i < 200 && notes.size() < n; ++i) timer->afterDelay(10 * kj::MILLISECONDS).wait(ws_);
  };
  wait_for(1);
  ASSERT_EQ(notes.size(), 1u);
  EXPECT_EQ(notes[0], log_.log().checkpoint());  // the current one, at once

  Submit(c->node, {SignedCase("x")}).wait(ws_);
  wait_for(2);
  ASSERT_EQ(notes.size(), 2u);
  EXPECT_EQ(notes[1], log_.log().checkpoint());
  EXPECT_EQ(hub_.subscriber_count(), 1u);

  subscription = nullptr;  // unsubscribes once the release reaches the node
  for (int i = 0; i < 200 && hub_.subscriber_count() > 0; ++i) timer->afterDelay(10 * kj::MILLISECONDS).wait(ws_);
  EXPECT_EQ(hub_.subscriber_count(), 0u);
  Submit(c->node, {SignedCase("y")}).wait(ws_);
  timer->afterDelay(50 * kj::MILLISECONDS).wait(ws_);
  EXPECT_EQ(notes.size(), 2u);
}

TEST_F(NodeServerTest, LimitsAreRefusedWithAClearError) {
  auto c = ConnectOfficer();
  std::vector<Bytes> too_many(kMaxSubmissionsPerCall + 1, Bytes{1, 2, 3});
  EXPECT_NE(FailureOf(Submit(c->node, too_many)).find("submissions: 4097 items, over the limit of 4096 per call"),
            std::string::npos);
  std::vector<Bytes> too_big{Bytes(kMaxSubmissionBytes + 1, 0)};
  EXPECT_NE(FailureOf(Submit(c->node, too_big)).find("submissions[0]: 65793 bytes, over the limit of 65792"),
            std::string::npos);
  EXPECT_NE(FailureOf(Entries(c->node, 0, kMaxEntriesPerCall + 1)).find("count: 4097 is over the limit of 4096"),
            std::string::npos);
  EXPECT_NE(FailureOf(Entries(c->node, 1000, 1)).find("start: 1000 is past the log's size"), std::string::npos);
  auto cp = c->node.checkpointRequest();
  cp.setOrigin("nobody.example/custos");
  EXPECT_NE(FailureOf(cp.send()).find("not found: checkpoint: this node holds no log \"nobody.example/custos\""),
            std::string::npos);
  EXPECT_EQ(log_.log().size(), 2u);  // genesis and the officer's grant: nothing else got in
}

// A listing check names its subject in canonical form: a code typed in lower
// case is answered for its upper-case form, and an id that names nobody fails
// the call with the reason instead of being answered "not listed".
TEST_F(NodeServerTest, ListingCheckNormalisesTheIdAndRefusesAnInvalidOne) {
  auto c = ConnectOfficer();
  auto ask = [&](const char* kind, const char* id) {
    auto request = c->node.listingCheckRequest();
    request.setKind(kind);
    request.setId(id);
    return request.send();
  };
  auto answer = ask("org", " 91320583ma1wr6t306 ").wait(ws_);
  auto parsed = Must(listings::ListingAnswer::Read(answer.getAnswer()), "ListingAnswer::Read");
  EXPECT_EQ(parsed.id, "91320583MA1WR6T306");
  kj::Exception::Type type = kj::Exception::Type::OVERLOADED;
  EXPECT_NE(FailureOf(ask("org", "91320583MA1WR6T307"), &type).find("invalid argument: id: \"91320583MA1WR6T307\" has a bad check character (want 6)"),
            std::string::npos);
  EXPECT_EQ(type, kj::Exception::Type::FAILED);
  EXPECT_NE(FailureOf(ask("person", "11010519491231002X")).find("invalid argument: id:"), std::string::npos);
}

TEST_F(NodeServerTest, OnlyKeysTheLogKnowsMaySubmitAndOnlyPeersMayWitness) {
  auto peer = Connect(custos::testing::TestKey("peer").public_key());
  EXPECT_NE(FailureOf(Submit(peer->node, {SignedCase("p")})).find("unauthorized: submit: key"), std::string::npos);
  // A peer may read.
  EXPECT_EQ(peer->node.statusRequest().send().wait(ws_).getStatus().getLogs().size(), 1u);

  auto officer = ConnectOfficer();
  auto cosign = officer->node.addCosignatureRequest();
  EXPECT_NE(FailureOf(cosign.send()).find("is not a federation peer's"), std::string::npos);
  kj::Exception::Type type = kj::Exception::Type::FAILED;
  auto peer_cosign = peer->node.addCosignatureRequest();
  EXPECT_NE(FailureOf(peer_cosign.send(), &type).find("not implemented"), std::string::npos);
  EXPECT_EQ(type, kj::Exception::Type::UNIMPLEMENTED);
}

// ------------------------------------------------------------ the listener: TLS and limits

class ListenerTest : public NodeServerTest {
 protected:
  ListenerTest()
      : node_identity_(Must(TlsIdentity::FromKey(custos::testing::NodeKey()), "identity")),
        tls_(node_identity_, [this](const PublicKey& key) { return access_.MayConnect(key); }),
        listener_(services_, tls_, io_.provider->getTimer()) {}
  ~ListenerTest() noexcept override {}

  // The client's end of a connection to `listener`, after the handshake.
  kj::Promise<AuthenticatedTlsStream> Dial(const NamedKey& key) { return Dial(key, listener_); }
  kj::Promise<AuthenticatedTlsStream> Dial(const NamedKey& key, RpcListener& listener) {
    auto pipe = kj::newTwoWayPipe();
    listener.Accept(kj::mv(pipe.ends[0]), "pipe");
    auto identity = std::make_shared<TlsIdentity>(Must(TlsIdentity::FromKey(key), "identity"));
    auto context = std::make_shared<TlsContext>(*identity, [](const PublicKey& k) {
      return k == custos::testing::NodeKey().key.public_key();
    });
    return context->WrapClient(kj::mv(pipe.ends[1])).attach(kj::mv(context), kj::mv(identity));
  }

  TlsIdentity node_identity_;
  TlsContext tls_;
  RpcListener listener_;
};

TEST_F(ListenerTest, AnUnknownKeyIsRefusedAtTheTlsLayer) {
  std::string error = FailureOf(Dial(NamedKey{"stranger", custos::testing::TestKey("stranger")}));
  EXPECT_NE(error.find("the peer refused us"), std::string::npos) << error;
}

TEST_F(ListenerTest, AMalformedMessageEndsOnlyItsConnection) {
  auto good = Dial(NamedKey{"officer", custos::testing::OfficerKey()}).wait(ws_);
  capnp::TwoPartyClient client(*good.stream);
  auto node = client.bootstrap().castAs<rpc::Node>();
  EXPECT_EQ(node.statusRequest().send().wait(ws_).getStatus().getLogs().size(), 1u);

  // A message that claims one segment of 2^28 words: over the node's limit,
  // refused before anything is allocated.
  auto bad = Dial(NamedKey{"officer", custos::testing::OfficerKey()}).wait(ws_);
  const kj::byte header[8] = {0, 0, 0, 0, 0, 0, 0, 0x10};
  bad.stream->write(header, sizeof header).wait(ws_);
  kj::byte buffer[64];
  // The node hangs up on it: the read ends (EOF or an error), it does not hang.
  auto closed = bad.stream->tryRead(buffer, 1, sizeof buffer).then([](size_t) {}, [](kj::Exception&&) {});
  io_.provider->getTimer().timeoutAfter(10 * kj::SECONDS, kj::mv(closed)).wait(ws_);

  // Garbage that is not even a message header ends its connection too.
  auto garbage = Dial(NamedKey{"officer", custos::testing::OfficerKey()}).wait(ws_);
  const char junk[] = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
  garbage.stream->write(junk, sizeof junk).wait(ws_);
  auto closed2 = garbage.stream->tryRead(buffer, 1, sizeof buffer).then([](size_t) {}, [](kj::Exception&&) {});
  io_.provider->getTimer().timeoutAfter(10 * kj::SECONDS, kj::mv(closed2)).wait(ws_);

  // The first connection is still served.
  EXPECT_EQ(node.statusRequest().send().wait(ws_).getStatus().getLogs().size(), 1u);
}

// ------------------------------------------------------------ the listener: connection limits

// A listener with small limits, and connections that never speak.
class ListenerLimitsTest : public ListenerTest {
 protected:
  static ListenerLimits Small() {
    ListenerLimits l;
    l.max_unauthenticated = 2;
    l.stale_after = 100 * kj::MILLISECONDS;
    l.idle_timeout = 400 * kj::MILLISECONDS;
    return l;
  }
  ~ListenerLimitsTest() noexcept override {}

  // A connection to `limited_` that sends nothing: the client's end.
  kj::Own<kj::AsyncIoStream> Silent() {
    auto pipe = kj::newTwoWayPipe();
    limited_.Accept(kj::mv(pipe.ends[0]), "silent");
    return kj::mv(pipe.ends[1]);
  }
  // True if the node has closed the connection whose client end is `end`
  // (its read ends) within `wait`.
  bool Closed(kj::AsyncIoStream& end, kj::Duration wait) {
    auto ended = end.tryRead(buffer_, 1, sizeof buffer_).then([](size_t) { return true; }, [](kj::Exception&&) { return true; });
    return io_.provider->getTimer()
        .timeoutAfter(wait, kj::mv(ended))
        .catch_([](kj::Exception&&) { return false; })
        .wait(ws_);
  }
  void Sleep(kj::Duration d) { io_.provider->getTimer().afterDelay(d).wait(ws_); }

  RpcListener limited_{services_, tls_, io_.provider->getTimer(), Small()};
  kj::byte buffer_[64];
};

TEST_F(ListenerLimitsTest, BeyondTheBoundTheOldestStaleConnectionGivesWayElseTheNewOneIsRefused) {
  auto first = Silent();
  auto second = Silent();
  EXPECT_EQ(limited_.unauthenticated(), 2u);
  // Both are fresh: a third is refused at once.
  auto third = Silent();
  EXPECT_EQ(limited_.refused(), 1u);
  EXPECT_TRUE(Closed(*third, 1 * kj::SECONDS));
  // Once they are stale, a legitimate client gets in: the oldest gives way.
  Sleep(150 * kj::MILLISECONDS);
  auto good = Dial(NamedKey{"officer", custos::testing::OfficerKey()}, limited_).wait(ws_);
  EXPECT_EQ(limited_.evicted(), 1u);
  EXPECT_TRUE(Closed(*first, 1 * kj::SECONDS));
  EXPECT_FALSE(Closed(*second, 50 * kj::MILLISECONDS));
  EXPECT_EQ(limited_.unauthenticated(), 1u);  // `second`; `good` is authenticated
}

TEST_F(ListenerLimitsTest, AnAuthenticatedConnectionThatStaysSilentIsClosed) {
  auto quiet = Dial(NamedKey{"officer", custos::testing::OfficerKey()}, limited_).wait(ws_);
  auto busy = Dial(NamedKey{"officer", custos::testing::OfficerKey()}, limited_).wait(ws_);
  capnp::TwoPartyClient client(*busy.stream);
  auto node = client.bootstrap().castAs<rpc::Node>();
  // Calls every 100 ms keep `busy` open past the 400 ms idle timeout.
  for (int i = 0; i < 8; ++i) {
    EXPECT_EQ(node.statusRequest().send().wait(ws_).getStatus().getLogs().size(), 1u);
    Sleep(100 * kj::MILLISECONDS);
  }
  EXPECT_TRUE(Closed(*quiet.stream, 1 * kj::SECONDS));
  EXPECT_EQ(node.statusRequest().send().wait(ws_).getStatus().getLogs().size(), 1u);
}

// ------------------------------------------------------------ personal data

// submit's `privates` and privatePayload (docs/personal-data.md) over RPC:
// the payload is stored with its listing, served to a key with the listing
// role and refused to others, and answered empty once the listing ended.
class PrivatePayloadRpcTest : public NodeServerTest {
 protected:
  PrivatePayloadRpcTest() : attachment_(personal::NewAttachment({"11010519491231002X", "李秀英"})) {
    services_.store = &log_.log().store();
    digest_ = personal::PrivateDigest(attachment_.salt, attachment_.payload);
  }
  ~PrivatePayloadRpcTest() noexcept override {}

  Bytes Listing() {
    return custos::testing::Sign(
        custos::testing::PersonListedStatement(log_.maker(), log_.now(), log_.now() + 86'400'000, digest_),
        custos::testing::OfficerKey());
  }
  // A submit call of `subs` with `attachment_` for the submission at `at` (and again at `twice`).
  kj::Promise<capnp::Response<rpc::Node::SubmitResults>> SubmitWith(rpc::Node::Client& node, const std::vector<Bytes>& subs,
                                                                   uint32_t at, std::optional<uint32_t> twice = {}) {
    auto request = node.submitRequest();
    auto list = request.initSubmissions(static_cast<capnp::uint>(subs.size()));
    for (size_t i = 0; i < subs.size(); ++i) list.set(static_cast<capnp::uint>(i), {subs[i].data(), subs[i].size()});
    auto privates = request.initPrivates(twice ? 2 : 1);
    for (capnp::uint i = 0; i < privates.size(); ++i) {
      privates[i].setSubmission(i == 0 ? at : *twice);
      privates[i].setSalt({attachment_.salt.data(), attachment_.salt.size()});
      privates[i].setPayload({reinterpret_cast<const uint8_t*>(attachment_.payload.data()), attachment_.payload.size()});
    }
    return request.send();
  }
  kj::Promise<capnp::Response<rpc::Node::PrivatePayloadResults>> Payload(rpc::Node::Client& node, uint64_t index) {
    auto request = node.privatePayloadRequest();
    request.setOrigin(kOrigin);
    request.setIndex(index);
    return request.send();
  }

  personal::Attachment attachment_;
  Hash digest_;
};

TEST_F(PrivatePayloadRpcTest, APayloadSentWithItsListingIsStoredAndServedToTheListingOfficerOnly) {
  auto c = ConnectOfficer();
  auto response = SubmitWith(c->node, {Listing()}, 0).wait(ws_);
  ASSERT_TRUE(response.getResults()[0].isReceipt()) << response.getResults()[0].getError().getMessage().cStr();
  uint64_t index = response.getResults()[0].getReceipt().getIndex();

  auto served = Payload(c->node, index).wait(ws_);
  EXPECT_EQ(Bytes(served.getSalt().begin(), served.getSalt().end()), attachment_.salt);
  EXPECT_EQ(std::string(served.getPayload().asChars().begin(), served.getPayload().size()), attachment_.payload);

  auto admin = Connect(custos::testing::AdminKey().public_key());  // known to the log, but no listing role
  EXPECT_NE(FailureOf(Payload(admin->node, index)).find("unauthorized"), std::string::npos);
  EXPECT_NE(FailureOf(Payload(c->node, 1)).find("no listing of a person"), std::string::npos);

  Receipt listed{index, custos::testing::LeafOf(log_.log(), index)};
  Bytes delist = custos::testing::Sign(
      custos::testing::DelistedStatement(log_.maker(), log_.now(), listed.index, listed.leaf_hash),
      custos::testing::OfficerKey());
  ASSERT_TRUE(Submit(c->node, {delist}).wait(ws_).getResults()[0].isReceipt());
  auto redacted = Payload(c->node, index).wait(ws_);
  EXPECT_EQ(redacted.getSalt().size(), 0u);
  EXPECT_EQ(redacted.getPayload().size(), 0u);
}

TEST_F(PrivatePayloadRpcTest, MalformedPrivatesFailTheCallNamingTheFieldAndAppendNothing) {
  auto c = ConnectOfficer();
  uint64_t before = log_.log().size();
  EXPECT_NE(FailureOf(SubmitWith(c->node, {Listing()}, 1)).find("privates[0].submission"), std::string::npos);
  EXPECT_NE(FailureOf(SubmitWith(c->node, {Listing()}, 0, 0)).find("a second payload for the same submission"),
            std::string::npos);
  auto missing = Submit(c->node, {Listing()}).wait(ws_);
  ASSERT_TRUE(missing.getResults()[0].isError());
  EXPECT_EQ(missing.getResults()[0].getError().getCode(), rpc::ErrorCode::INVALID_ARGUMENT);
  EXPECT_NE(std::string(missing.getResults()[0].getError().getMessage().cStr()).find("private: a listing of a person"),
            std::string::npos);
  EXPECT_EQ(log_.log().size(), before);
}

}  // namespace
}  // namespace custos::node
