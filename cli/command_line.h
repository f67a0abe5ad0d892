// The `custos` command tree (docs/cli.md): the options every command shares,
// and how a command finds the log it works on. There is one CLI11 tree; each
// command says, by the helper that sets its callback, which sources it takes:
//   RunOffline   a data directory only (key, log, verify);
//   RunOnNode    a running node only (node, case, audit, listing, evidence);
//   RunOnEither  --data DIR or a node (submit, checkpoint, entry, prove).
// A node is named by --node HOST:PORT with --key FILE and --node-vkey VKEY,
// options of the root that may stand before or after the command; their
// defaults are CUSTOS_NODE, CUSTOS_KEY and CUSTOS_NODE_VKEY (docs/node.md).
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "cli/common.h"
#include "cli/node_session.h"

namespace custos::cli {

// --node, --key and --node-vkey, as the command line gave them.
class NodeOptions {
 public:
  // Adds the three options to `app`, the root of the tree; `app` must fall
  // through (CLI11 fallthrough()) so that they are read after the command too.
  void AddTo(CLI::App& app);

  // True when --node is on the command line (CUSTOS_NODE alone is not).
  bool NodeGiven() const;
  // The --key of the command line (offline `submit` signs with it); the
  // environment is not read.
  const std::string& key() const { return flags_.key; }
  // The options of the command line, each one missing taken from its
  // environment variable: what a connection to the node uses.
  NodeFlags WithEnvironment() const;
  // The three options (without --key unless `with_key`), for refusing them
  // where no node is used.
  std::vector<const CLI::Option*> options(bool with_key = true) const {
    if (!with_key) return {node_, node_vkey_};
    return {node_, key_, node_vkey_};
  }

 private:
  NodeFlags flags_;
  CLI::Option* node_ = nullptr;
  CLI::Option* key_ = nullptr;
  CLI::Option* node_vkey_ = nullptr;
};

// Options every command shares.
struct Globals {
  bool json = false;
  NodeOptions node;
};

// InvalidArgument "OPTION: <why>; leave out OPTION" for the first of
// `options` that is on the command line; OK when none is.
Status RefuseGiven(const std::vector<const CLI::Option*>& options, const std::string& why);

// Sets the callback of a command with no node form. --node, --key or
// --node-vkey on the command line is refused, naming the top-level command
// ("--node: `log verify` runs offline; leave out --node"); the environment is not read.
void RunOffline(CLI::App* cmd, Globals& globals, int& exit_code, std::function<int()> run);

// Sets the callback of a command with no offline form: it connects to the
// node (NodeSession::Open, from the options or their environment variables;
// "--node: give the node's HOST:PORT …" when there is none) and runs.
void RunOnNode(CLI::App* cmd, Globals& globals, int& exit_code, std::function<int(NodeSession&)> run);

// The options of a command that runs on either source.
struct EitherSource {
  CLI::Option* data = nullptr;              // --data DIR, added by AddDataOption
  std::vector<const CLI::Option*> node_only;  // options only a node takes (--origin, --per-call)
  bool key_offline = false;                 // offline, --key is the command's too (submit's author)
};

// Adds --data DIR to a command that runs on either source.
CLI::Option* AddDataOption(CLI::App* cmd, std::string& dir);

// Adds --origin ORIGIN, a node-only option: which of the logs the node holds
// (default: its own).
CLI::Option* AddOriginOption(CLI::App* cmd, std::string& origin);

// Sets the callback of a command that runs on either source. It runs against
// the node when --node is on the command line (refused together with --data),
// or when CUSTOS_NODE is set and no --data is given; otherwise offline on
// --data DIR, refusing the node options and `source.node_only` there.
void RunOnEither(CLI::App* cmd, Globals& globals, const EitherSource& source, int& exit_code,
                 std::function<int()> offline, std::function<int(NodeSession&)> on_node);

void RegisterKeyCommands(CLI::App& app, Globals& globals, int& exit_code);
void RegisterLogCommands(CLI::App& app, Globals& globals, int& exit_code);
void RegisterProofCommands(CLI::App& app, Globals& globals, int& exit_code);
void RegisterTrustCommands(CLI::App& app, Globals& globals, int& exit_code);

}  // namespace custos::cli
