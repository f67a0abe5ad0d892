// custos --node HOST:PORT … : submit | checkpoint | entry | prove | node status|verify|backup
//
// The same commands, outputs and exit codes as offline (docs/cli.md), served
// by a running node over TLS (docs/node.md). The node's key is pinned with
// --node-vkey; what the node signs for its own log (checkpoints, receipts) is
// checked against that key before it is printed.
#include "cli/node_commands.h"

#include <iostream>

#include "cli/private_data.h"
#include "crypto/note.h"
#include "ledger/admission/submission.h"
#include "ledger/tlog/checkpoint.h"
#include "ledger/tlog/merkle.h"
#include "node/rpc_errors.h"
#include "node/rpc_limits.h"
#include "schema/json.h"

namespace custos::cli {

namespace {
// Bytes of submissions per call: well inside the node's message limit.
constexpr size_t kMaxCallBytes = node::kRpcMessageLimitBytes / 2;

// ------------------------------------------------------------ submit

// Calls of at most `per_call` submissions and kMaxCallBytes each: [begin, end).
std::vector<std::pair<size_t, size_t>> Chunks(const std::vector<Bytes>& subs, size_t per_call) {
  std::vector<std::pair<size_t, size_t>> chunks;
  size_t begin = 0;
  while (begin < subs.size()) {
    size_t end = begin, bytes = 0;
    while (end < subs.size() && end - begin < per_call && (end == begin || bytes + subs[end].size() <= kMaxCallBytes)) {
      bytes += subs[end++].size();
    }
    chunks.emplace_back(begin, end);
    begin = end;
  }
  return chunks;
}

// The private payloads of submissions [begin, end) into a submit request.
void SetPrivates(rpc::Node::SubmitParams::Builder request, const std::vector<std::optional<personal::Attachment>>& privates,
                 size_t begin, size_t end) {
  if (privates.empty()) return;
  size_t n = 0;
  for (size_t i = begin; i < end; ++i) n += privates[i] ? 1 : 0;
  auto list = request.initPrivates(static_cast<capnp::uint>(n));
  capnp::uint at = 0;
  for (size_t i = begin; i < end; ++i) {
    if (!privates[i]) continue;
    auto p = list[at++];
    p.setSubmission(static_cast<uint32_t>(i - begin));
    p.setSalt({privates[i]->salt.data(), privates[i]->salt.size()});
    p.setPayload(capnp::Data::Reader(reinterpret_cast<const uint8_t*>(privates[i]->payload.data()), privates[i]->payload.size()));
  }
}

struct SubmitOutput {
  nlohmann::json appended = nlohmann::json::array();
  nlohmann::json refused = nlohmann::json::array();
  std::string checkpoint;
  int rc = kExitOk;
};

// Prints (or collects) one call's results; a receipt is checked first.
Status TakeResults(const NodeSession& session, capnp::List<rpc::SubmitResult>::Reader results,
                   const std::vector<StatementLine>& lines, size_t first, bool json, SubmitOutput* out) {
  for (capnp::uint i = 0; i < results.size(); ++i) {
    const StatementLine& line = lines[first + i];
    if (results[i].isError()) {
      Status st = node::FromError(results[i].getError()).WithContext(line.where);
      if (json) out->refused.push_back({{"statement", line.where}, {"error", st.ToString()}});
      out->rc = Fail(st);
      continue;
    }
    auto r = results[i].getReceipt();
    auto leaf = Hash::FromSpan(ByteSpan(r.getLeafHash().begin(), r.getLeafHash().size()));
    if (!leaf) return Status::Corruption(line.where + ": the node's receipt has no 32-byte leaf hash");
    CUSTOS_ASSIGN_OR_RETURN(std::string checkpoint, session.CheckReceipt(r.getIndex(), *leaf, r.getProof().cStr()));
    out->checkpoint = checkpoint;
    if (json) {
      out->appended.push_back({{"index", r.getIndex()}, {"leafHash", Base64Encode(leaf->span())}, {"proof", r.getProof().cStr()}});
    } else {
      std::cout << r.getIndex() << " " << Base64Encode(leaf->span()) << std::endl;
    }
  }
  return Status::OK();
}

}  // namespace

int SubmitOnNode(NodeSession& session, const std::string& statement_file, const std::string& batch_file,
                 const std::string& private_file, size_t per_call, bool json) {
  auto lines = ReadStatements(statement_file, batch_file);
  if (!lines.ok()) return Fail(lines.status());
  auto privates = BindPrivates(private_file, batch_file, *lines);
  if (!privates.ok()) return Fail(privates.status());
  auto origin = session.NodeOrigin();
  if (!origin.ok()) return Fail(origin.status());
  std::vector<Bytes> subs;
  for (const auto& line : *lines) {
    auto sub = PrepareSubmission(line.json, *origin, session.key());
    if (!sub.ok()) return Fail(sub.status().WithContext(line.where));
    subs.push_back(std::move(sub).value());
  }
  SubmitOutput out;
  for (auto [begin, end] : Chunks(subs, per_call == 0 ? node::kMaxSubmissionsPerCall : per_call)) {
    size_t bytes = 0;
    for (size_t i = begin; i < end; ++i) bytes += subs[i].size() + 8;
    auto request = session.node().submitRequest(RequestSize(bytes));
    auto list = request.initSubmissions(static_cast<capnp::uint>(end - begin));
    for (size_t i = begin; i < end; ++i) list.set(static_cast<capnp::uint>(i - begin), {subs[i].data(), subs[i].size()});
    SetPrivates(request, *privates, begin, end);
    auto response = session.Wait(request.send());
    if (!response.ok()) return Fail(response.status().WithContext("submit"), /*verifying=*/true);
    Status st = TakeResults(session, response->getResults(), *lines, begin, json, &out);
    if (!st.ok()) return Fail(st, /*verifying=*/true);
  }
  if (json) PrintJson({{"appended", out.appended}, {"refused", out.refused}, {"checkpoint", out.checkpoint}});
  return out.rc;
}

// ------------------------------------------------------------ reading

namespace {

// The "private" member of `entry --json` for entry `index` of `origin`, or
// null when the entry lists no person. The payload comes from the node only
// for a caller it allows (docs/personal-data.md); otherwise the member says
// why it is withheld. Corruption if the node sends one that does not hash to
// the entry's privateDigest.
Result<nlohmann::json> PrivateMember(NodeSession& session, const std::string& origin, uint64_t index, ByteSpan entry) {
  auto digest = personal::EntryListedDigest(entry);
  if (!digest) return nlohmann::json();
  auto request = session.node().privatePayloadRequest(RequestSize(64));
  request.setOrigin(origin);
  request.setIndex(index);
  auto response = session.Wait(request.send());
  if (!response.ok()) {
    if (response.status().code() != Status::Code::kUnauthorized) return response.status().WithContext("privatePayload");
    return nlohmann::json{{"state", "withheld"}, {"reason", response.status().ToString()}};
  }
  std::optional<personal::Attachment> held;
  auto salt = response->getSalt();
  auto payload = response->getPayload();
  if (salt.size() != 0 || payload.size() != 0) {
    held.emplace(personal::Attachment{Bytes(salt.begin(), salt.end()), std::string(payload.asChars().begin(), payload.size())});
  }
  return PrivateJson(*digest, held);
}

}  // namespace

int ShowCheckpointOnNode(NodeSession& session, const std::string& origin_flag, bool json) {
  std::string origin = session.OriginOr(origin_flag);
  auto note = session.Checkpoint(origin);
  if (!note.ok()) return Fail(note.status(), /*verifying=*/true);
  if (!json) {
    std::cout << note->note;
    return kExitOk;
  }
  nlohmann::json j = {{"origin", note->checkpoint.origin}, {"size", note->checkpoint.size},
                      {"root", Base64Encode(note->checkpoint.root.span())}, {"note", note->note}};
  if (session.IsOwn(origin)) j["verifierKey"] = session.node_vkey().ToString();
  PrintJson(j);
  return kExitOk;
}

int ShowEntryOnNode(NodeSession& session, const std::string& origin_flag, const std::string& index_text, bool json) {
  auto index = ParseIndex(index_text, "--index");
  if (!index.ok()) return Fail(index.status());
  auto request = session.node().entriesRequest(RequestSize(256));
  request.setOrigin(session.OriginOr(origin_flag));
  request.setStart(*index);
  request.setCount(1);
  auto response = session.Wait(request.send());
  if (!response.ok()) return Fail(response.status().WithContext("--index"));
  if (response->getEntries().size() == 0) {
    return Fail(Status::InvalidArgument("--index: " + std::to_string(*index) + " is not below the log's size"));
  }
  auto entry = response->getEntries()[0];
  if (!json) {
    std::cout.write(reinterpret_cast<const char*>(entry.begin()), static_cast<std::streamsize>(entry.size()));
    return kExitOk;
  }
  auto parsed = ReadStoredEntry(ByteSpan(entry.begin(), entry.size()), *index);
  if (!parsed.ok()) return Fail(parsed.status(), /*verifying=*/true);
  auto private_member = PrivateMember(session, session.OriginOr(origin_flag), *index, ByteSpan(entry.begin(), entry.size()));
  if (!private_member.ok()) return Fail(private_member.status(), /*verifying=*/true);
  PrintEntryJson(schema::LogEntryToJson(parsed->get(), /*pretty=*/true), *private_member);
  return kExitOk;
}

namespace {

// The proof's hashes, as JSON and into `out`; Corruption if the node sent one
// that is not 32 bytes.
Result<nlohmann::json> HashesJson(capnp::List<capnp::Data>::Reader list, std::vector<Hash>* out) {
  nlohmann::json hashes = nlohmann::json::array();
  for (auto d : list) {
    auto h = Hash::FromSpan(ByteSpan(d.begin(), d.size()));
    if (!h) return Status::Corruption("the node's proof holds a hash of " + std::to_string(d.size()) + " bytes");
    hashes.push_back(Base64Encode(h->span()));
    out->push_back(*h);
  }
  return hashes;
}

}  // namespace

int ProveInclusionOnNode(NodeSession& session, const std::string& origin_flag, const std::string& index_text,
                         const std::string& size_text, bool json) {
  auto index = ParseIndex(index_text, "--index");
  if (!index.ok()) return Fail(index.status());
  uint64_t size = 0;  // 0: the latest
  if (!size_text.empty()) {
    auto parsed = ParseIndex(size_text, "--size");
    if (!parsed.ok()) return Fail(parsed.status());
    size = *parsed;
    if (*index >= size) {
      return Fail(Status::InvalidArgument("--index: " + std::to_string(*index) + " is not below the tree size " +
                                          std::to_string(size)));
    }
  }
  std::string origin = session.OriginOr(origin_flag);
  auto request = session.node().inclusionProofRequest(RequestSize(256));
  request.setOrigin(origin);
  request.setIndex(*index);
  request.setTreeSize(size);
  auto response = session.Wait(request.send());
  if (!response.ok()) return Fail(response.status());
  auto note = session.OpenCheckpoint(origin, response->getCheckpoint().cStr());
  if (!note.ok()) return Fail(note.status(), /*verifying=*/true);
  std::vector<Hash> proof;
  auto hashes = HashesJson(response->getProof(), &proof);
  if (!hashes.ok()) return Fail(hashes.status(), /*verifying=*/true);
  TlogProof p{"", *index, proof, note->note};
  if (json) {
    PrintJson(nlohmann::json{{"index", *index}, {"size", note->checkpoint.size}, {"proof", *hashes},
                             {"checkpoint", note->note}, {"text", p.Format()}});
  } else {
    std::cout << p.Format();
  }
  return kExitOk;
}

int ProveConsistencyOnNode(NodeSession& session, const std::string& origin_flag, const std::string& old_text,
                           const std::string& size_text, bool json) {
  auto old_size = ParseIndex(old_text, "--old");
  if (!old_size.ok()) return Fail(old_size.status());
  std::string origin = session.OriginOr(origin_flag);
  uint64_t size = 0;
  if (size_text.empty()) {
    auto note = session.Checkpoint(origin);  // pins the size the proof is for
    if (!note.ok()) return Fail(note.status(), /*verifying=*/true);
    size = note->checkpoint.size;
  } else {
    auto parsed = ParseIndex(size_text, "--size");
    if (!parsed.ok()) return Fail(parsed.status());
    size = *parsed;
  }
  if (*old_size > size) {
    return Fail(Status::InvalidArgument("--old: " + std::to_string(*old_size) + " is larger than the size " +
                                        std::to_string(size)));
  }
  auto request = session.node().consistencyProofRequest(RequestSize(256));
  request.setOrigin(origin);
  request.setOldSize(*old_size);
  request.setTreeSize(size);
  auto response = session.Wait(request.send());
  if (!response.ok()) return Fail(response.status());
  std::vector<Hash> proof;
  auto hashes = HashesJson(response->getProof(), &proof);
  if (!hashes.ok()) return Fail(hashes.status(), /*verifying=*/true);
  if (json) {
    PrintJson({{"old", *old_size}, {"size", size}, {"proof", *hashes}});
  } else {
    for (const auto& h : proof) std::cout << Base64Encode(h.span()) << "\n";
  }
  return kExitOk;
}

// ------------------------------------------------------------ node status

namespace {

nlohmann::json StatusJson(rpc::NodeStatus::Reader st) {
  nlohmann::json logs = nlohmann::json::array(), peers = nlohmann::json::array(), alarms = nlohmann::json::array();
  for (auto l : st.getLogs()) {
    logs.push_back({{"origin", l.getOrigin().cStr()}, {"role", l.getRole() == rpc::LogRole::OWN ? "own" : "replica"},
                    {"size", l.getSize()}, {"cosignatures", l.getCosignatures()}, {"checkpoint", l.getCheckpoint().cStr()}});
  }
  for (auto p : st.getPeers()) {
    uint64_t lag = p.getKnownSize() > p.getHeldSize() ? p.getKnownSize() - p.getHeldSize() : 0;
    peers.push_back({{"origin", p.getOrigin().cStr()}, {"address", p.getAddress().cStr()},
                     {"agencyKind", p.getAgencyKind().cStr()}, {"connected", p.getConnected()},
                     {"heldSize", p.getHeldSize()}, {"knownSize", p.getKnownSize()}, {"lag", lag},
                     {"lastError", p.getLastError().cStr()}});
  }
  for (auto a : st.getAlarms()) alarms.push_back(a.cStr());
  return {{"origin", st.getOrigin().cStr()}, {"logs", logs}, {"peers", peers}, {"alarms", alarms}};
}

void PrintStatusText(const nlohmann::json& j) {
  std::cout << "node " << j["origin"].get<std::string>() << "\n";
  for (const auto& l : j["logs"]) {
    std::cout << "log " << l["origin"].get<std::string>() << " " << l["role"].get<std::string>() << " size "
              << l["size"] << " cosignatures " << l["cosignatures"] << "\n";
  }
  for (const auto& p : j["peers"]) {
    std::cout << "peer " << p["origin"].get<std::string>() << " " << p["agencyKind"].get<std::string>() << " "
              << p["address"].get<std::string>() << " " << (p["connected"].get<bool>() ? "connected" : "disconnected")
              << " held " << p["heldSize"] << " known " << p["knownSize"] << " lag " << p["lag"];
    if (!p["lastError"].get<std::string>().empty()) std::cout << " error: " << p["lastError"].get<std::string>();
    std::cout << "\n";
  }
  for (const auto& a : j["alarms"]) std::cout << "alarm " << a.get<std::string>() << "\n";
}

int NodeStatus(NodeSession& session, bool json) {
  auto response = session.Wait(session.node().statusRequest(RequestSize(0)).send());
  if (!response.ok()) return Fail(response.status());
  auto j = StatusJson(response->getStatus());
  if (json) PrintJson(j);
  else PrintStatusText(j);
  return kExitOk;
}

// ------------------------------------------------------------ node verify | node backup

// The node's progress reports, shown as the command line shows its own.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnon-virtual-dtor"
class ProgressShown final : public rpc::ProgressSink::Server {
 public:
  explicit ProgressShown(Progress& progress) : progress_(progress) {}

 protected:
  kj::Promise<void> update(UpdateContext context) override {
    auto p = context.getParams();
    progress_.Update(std::string(p.getStage().cStr(), p.getStage().size()), p.getDone(), p.getTotal());
    return kj::READY_NOW;
  }

 private:
  Progress& progress_;
};
#pragma GCC diagnostic pop

// The logs a node says it verified. The own log's checkpoint must verify
// with --node-vkey and name the size and root the node reports.
Result<nlohmann::json> VerifiedJson(NodeSession& session, capnp::List<rpc::VerifiedLog>::Reader logs) {
  nlohmann::json out = nlohmann::json::array();
  for (auto log : logs) {
    std::string origin(log.getOrigin().cStr(), log.getOrigin().size());
    auto root = Hash::FromSpan(ByteSpan(log.getRoot().begin(), log.getRoot().size()));
    if (!root) return Status::Corruption("the node's answer: logs: root of " + origin + " is not 32 bytes");
    bool own = log.getRole() == rpc::LogRole::OWN;
    if (own) {
      if (!session.IsOwn(origin)) return Status::Corruption("the node's answer: its own log is named " + origin);
      CUSTOS_ASSIGN_OR_RETURN(auto opened, session.OpenCheckpoint(origin, log.getCheckpoint().cStr()));
      if (opened.checkpoint.size != log.getSize() || opened.checkpoint.root != *root) {
        return Status::Corruption("the node's answer: the checkpoint of " + origin + " is not of the size and root verified");
      }
    }
    out.push_back({{"origin", origin}, {"role", own ? "own" : "replica"}, {"size", log.getSize()},
                   {"root", Base64Encode(root->span())}, {"uncheckedReferences", log.getUncheckedReferences()}});
  }
  return out;
}

void PrintVerifiedText(const nlohmann::json& logs) {
  for (const auto& l : logs) {
    std::cout << "OK: " << (l["role"] == "own" ? "log " : "replica of ") << l["origin"].get<std::string>() << ": "
              << Entries(l["size"].get<uint64_t>()) << " verified; root " << l["root"].get<std::string>() << "\n";
  }
}

// A verification or backup may take hours on a large store; progress keeps
// the connection alive.
constexpr kj::Duration kJobLimit = 24 * 3600 * kj::SECONDS;

int NodeVerify(NodeSession& session, bool json) {
  Progress progress("verifying");
  auto request = session.node().verifyStoreRequest(RequestSize(0));
  request.setProgress(kj::heap<ProgressShown>(progress));
  auto response = session.Wait(request.send(), kJobLimit);
  progress.Finish();
  if (!response.ok()) {
    if (json) PrintJson({{"ok", false}, {"reason", response.status().ToString()}});
    return Fail(response.status(), /*verifying=*/true);
  }
  auto logs = VerifiedJson(session, response->getLogs());
  if (!logs.ok()) return Fail(logs.status(), /*verifying=*/true);
  if (json) PrintJson({{"ok", true}, {"logs", *logs}});
  else PrintVerifiedText(*logs);
  return kExitOk;
}

int NodeBackup(NodeSession& session, const std::string& name, bool json) {
  Progress progress("copying");
  auto request = session.node().backupStoreRequest(RequestSize(name.size()));
  request.setName(name);
  request.setProgress(kj::heap<ProgressShown>(progress));
  auto response = session.Wait(request.send(), kJobLimit);
  progress.Finish();
  if (!response.ok()) return Fail(response.status(), /*verifying=*/true);
  auto logs = VerifiedJson(session, response->getLogs());
  if (!logs.ok()) return Fail(logs.status(), /*verifying=*/true);
  std::string path = response->getPath().cStr();
  if (json) {
    PrintJson({{"ok", true}, {"path", path}, {"records", response->getRecords()}, {"entries", response->getEntries()},
               {"logs", *logs}});
    return kExitOk;
  }
  std::cout << "OK: the node backed up " << response->getRecords() << " records into " << path
            << " (on its host)\n";
  PrintVerifiedText(*logs);
  return kExitOk;
}

}  // namespace

void RegisterNodeCommands(CLI::App& app, Globals& globals, int& exit_code) {
  auto out = std::make_shared<std::string>();  // kept alive by the callbacks below
  auto* node = app.add_subcommand("node", "Ask a running node about itself (needs --node)");
  node->require_subcommand(1);
  auto* status = node->add_subcommand("status", "Logs held, sizes, peers, lag, cosignatures, alarms");
  status->add_flag("--json", globals.json, "Print the status as JSON");
  RunOnNode(status, globals, exit_code, [&globals](NodeSession& s) { return NodeStatus(s, globals.json); });
  auto* verify = node->add_subcommand(
      "verify",
      "Have the node verify its store in full: it copies the store as of now\n"
      "(appends go on), checks its own log and every replica of a federation peer\n"
      "in the copy, and deletes the copy. Needs an admin key of the node's log.");
  verify->add_flag("--json", globals.json, "Print {ok, logs: [{origin, role, size, root}]} or {ok, reason} as JSON");
  RunOnNode(verify, globals, exit_code, [&globals](NodeSession& s) { return NodeVerify(s, globals.json); });
  auto* backup = node->add_subcommand(
      "backup",
      "Have the node write a backup of its store into its backupDirectory, as of\n"
      "now, and verify it: a data directory that `custos log verify` accepts and\n"
      "custosd can start from (docs/operations.md). Needs an admin key of the\n"
      "node's log.");
  backup->add_option("--out", *out, "The backup's name in the node's backupDirectory (a new directory)")->required();
  backup->add_flag("--json", globals.json, "Print {ok, path, records, entries, logs} as JSON");
  RunOnNode(backup, globals, exit_code, [&globals, out](NodeSession& s) { return NodeBackup(s, *out, globals.json); });
}

}  // namespace custos::cli
