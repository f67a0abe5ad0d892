// The custos command line against a running node (docs/node.md):
//   custos --node HOST:PORT --key FILE --node-vkey VKEY <command> ...
// for submit, checkpoint, entry, prove inclusion|consistency and node status.
#pragma once

#include <optional>

#include "cli/common.h"

namespace custos::cli {

// Runs the command line against a node when it is meant to: `--node` is given,
// or the command is `node …`, or CUSTOS_NODE is set and the command is one a
// node can run (submit, checkpoint, entry, prove) and no --data is given.
// Returns the exit code then; nullopt when the command runs offline.
std::optional<int> RunAgainstNode(int argc, char** argv);

// Lists `node status` and the node options in the offline command line's
// help, where reaching them means no node was named.
void RegisterNodeCommands(CLI::App& app, Globals& globals, int& exit_code);

}  // namespace custos::cli
