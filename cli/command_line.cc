#include "cli/command_line.h"

#include <cstdlib>

namespace custos::cli {

namespace {

constexpr char kNodeHelp[] =
    "Against a node: --node HOST:PORT --key FILE --node-vkey VKEY, before or after\n"
    "the command (defaults: CUSTOS_NODE, CUSTOS_KEY, CUSTOS_NODE_VKEY). docs/node.md";

constexpr char kEitherHelp[] =
    "The log: --data DIR, or a node: --node HOST:PORT --key FILE --node-vkey VKEY,\n"
    "before or after the command (defaults: CUSTOS_NODE, CUSTOS_KEY, CUSTOS_NODE_VKEY;\n"
    "with CUSTOS_NODE set, a command without --data runs against the node). docs/node.md";

std::string Environment(const char* name) {
  const char* value = std::getenv(name);
  return value == nullptr ? "" : value;
}

// The command as the user typed it, without the program: "prove inclusion".
std::string FullName(const CLI::App* cmd) {
  std::string name = cmd->get_name();
  for (const CLI::App* p = cmd->get_parent(); p != nullptr && p->get_parent() != nullptr; p = p->get_parent()) {
    name = p->get_name() + " " + name;
  }
  return name;
}

// Appends `text` to the command's help footer (after its own examples).
void AddFooter(CLI::App* cmd, const char* text) {
  std::string footer = cmd->get_footer();
  cmd->footer(footer.empty() ? std::string(text) : footer + "\n\n" + text);
}

int RunConnected(const NodeOptions& node, const std::function<int(NodeSession&)>& run) {
  auto session = NodeSession::Open(node.WithEnvironment());
  if (!session.ok()) return Fail(session.status());
  return run(**session);
}

}  // namespace

void NodeOptions::AddTo(CLI::App& app) {
  const char* group = "Node options";
  node_ = app.add_option("--node", flags_.node, "A running node (HOST:PORT) to run the command against (default: CUSTOS_NODE)")
              ->group(group);
  key_ = app.add_option("--key", flags_.key,
                        "Your key file: your TLS identity, and the author of submissions (default: CUSTOS_KEY)")
             ->group(group);
  node_vkey_ = app.add_option("--node-vkey", flags_.node_vkey,
                              "The node's verifier key string; no other node is accepted (default: CUSTOS_NODE_VKEY)")
                   ->group(group);
}

bool NodeOptions::NodeGiven() const { return node_->count() > 0; }

NodeFlags NodeOptions::WithEnvironment() const {
  NodeFlags flags = flags_;
  if (node_->count() == 0) flags.node = Environment("CUSTOS_NODE");
  if (key_->count() == 0) flags.key = Environment("CUSTOS_KEY");
  if (node_vkey_->count() == 0) flags.node_vkey = Environment("CUSTOS_NODE_VKEY");
  return flags;
}

Status RefuseGiven(const std::vector<const CLI::Option*>& options, const std::string& why) {
  for (const CLI::Option* option : options) {
    if (option->count() > 0) {
      const std::string name = option->get_name();
      return Status::InvalidArgument(name + ": " + why + "; leave out " + name);
    }
  }
  return Status::OK();
}

void RunOffline(CLI::App* cmd, Globals& globals, int& exit_code, std::function<int()> run) {
  cmd->callback([cmd, &globals, &exit_code, run] {
    Status refused = RefuseGiven(globals.node.options(), "`" + FullName(cmd) + "` runs offline");
    exit_code = refused.ok() ? run() : Fail(refused);
  });
}

void RunOnNode(CLI::App* cmd, Globals& globals, int& exit_code, std::function<int(NodeSession&)> run) {
  AddFooter(cmd, kNodeHelp);
  cmd->callback([&globals, &exit_code, run] { exit_code = RunConnected(globals.node, run); });
}

CLI::Option* AddDataOption(CLI::App* cmd, std::string& dir) {
  return cmd->add_option("--data", dir, "The log's directory (required unless the log is a node's: see below)");
}

CLI::Option* AddOriginOption(CLI::App* cmd, std::string& origin) {
  return cmd->add_option("--origin", origin, "Against a node: the log (default: the node's own)");
}

void RunOnEither(CLI::App* cmd, Globals& globals, const EitherSource& source, int& exit_code,
                 std::function<int()> offline, std::function<int(NodeSession&)> on_node) {
  AddFooter(cmd, kEitherHelp);
  cmd->callback([cmd, &globals, source, &exit_code, offline, on_node] {
    const bool data_given = source.data->count() > 0;
    const bool node_given = globals.node.NodeGiven();
    if (node_given && data_given) {
      exit_code = Fail(Status::InvalidArgument("--data: give --data (offline) or --node, not both"));
    } else if (node_given || (!data_given && !Environment("CUSTOS_NODE").empty())) {
      exit_code = RunConnected(globals.node, on_node);
    } else if (!data_given) {
      exit_code = Fail(Status::InvalidArgument("--data is required (see --help)"));
    } else {
      std::vector<const CLI::Option*> refused = globals.node.options(/*with_key=*/!source.key_offline);
      refused.insert(refused.end(), source.node_only.begin(), source.node_only.end());
      Status st = RefuseGiven(refused, "`" + FullName(cmd) + " --data DIR` runs offline");
      exit_code = st.ok() ? offline() : Fail(st);
    }
  });
}

}  // namespace custos::cli
