#include "cli/repair_commands.h"

#include <iostream>

#include "cli/node_session.h"
#include "ledger/log/repair.h"

namespace custos::cli {

namespace {
// Entries from a peer's copies of the logs, over RPC.
class PeerReplica final : public EntrySource {
 public:
  explicit PeerReplica(NodeSession& session) : session_(session) {}
  Result<std::vector<Bytes>> Entries(const std::string& origin, uint64_t start, uint32_t count) override {
    auto request = session_.node().entriesRequest(RequestSize(256));
    request.setOrigin(origin);
    request.setStart(start);
    request.setCount(count);
    auto response = session_.Wait(request.send());
    if (!response.ok()) return response.status().WithContext("--from: entries " + std::to_string(start) + "..");
    std::vector<Bytes> out;
    for (auto e : response->getEntries()) out.emplace_back(e.begin(), e.end());
    return out;
  }

 private:
  NodeSession& session_;
};

int Repair(const std::string& dir, const NodeFlags& from, bool json) {
  auto data = DataDir::Load(dir);
  if (!data.ok()) return Fail(data.status());
  auto node_key = ReadKeyFile(data->node_key_file);
  if (!node_key.ok()) return Fail(node_key.status().WithContext("node key " + data->node_key_file));
  const NoteVerifier verifier = NoteVerifier::ForKey(data->origin, node_key->key.public_key());
  NodeFlags flags = from;
  if (flags.key.empty()) flags.key = data->node_key_file;  // a federation member: the peer lets it in
  auto session = NodeSession::Open(flags);
  if (!session.ok()) return Fail(session.status());
  PeerReplica source(**session);
  auto report = RepairOwnLog(data->Options(), verifier, source, [&](const std::string& step) {
    if (!json) std::cerr << "custos: repair: " << step << "\n";
  });
  if (!report.ok()) return Fail(report.status().WithContext("repair"), /*verifying=*/true);
  if (json) {
    PrintJson({{"ok", true}, {"size", report->size}, {"replaced", report->replaced}, {"reapplied", report->reapplied},
               {"fromPeer", report->from_source}, {"salvagedLevelDb", report->salvaged_leveldb}});
  } else {
    std::cout << "OK: the log of " << Entries(report->size) << " verifies; " << report->replaced
              << " damaged or missing entries replaced, " << report->reapplied << " re-applied, "
              << report->from_source << " of them from " << from.node << "\n";
  }
  return kExitOk;
}
}  // namespace

void AddRepairCommand(CLI::App& log, Globals& globals, int& exit_code) {
  struct Opts {
    std::string data;
    NodeFlags from;
  };
  auto o = std::make_shared<Opts>();
  auto* repair = log.add_subcommand(
      "repair",
      "Mend a damaged log (one whose store lost or altered entries it acknowledged,\n"
      "which custosd and `custos log verify` refuse) from a peer's verified replica\n"
      "of it. Every entry taken must be the one this node signed: entries below the\n"
      "stored head must hash to the stored tree's leaves, and the lost ones are\n"
      "re-applied with every check, against the checkpoint the node signed last.\n"
      "Stop the node first. See docs/operations.md.");
  repair->add_option("--data", o->data, "The damaged log's directory")->required();
  repair->add_option("--from", o->from.node, "A peer node's HOST:PORT that follows this log")->required();
  repair->add_option("--from-vkey", o->from.node_vkey, "That peer's verifier key (from the federation file)")->required();
  repair->add_option("--key", o->from.key, "Key file to connect with (default: this node's key)");
  repair->add_flag("--json", globals.json, "Print {ok, size, replaced, reapplied, fromPeer, salvagedLevelDb} as JSON");
  RunOffline(repair, globals, exit_code, [&globals, o] { return Repair(o->data, o->from, globals.json); });
}

}  // namespace custos::cli
