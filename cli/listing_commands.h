// custos --node HOST:PORT … listing check ID --trust FEDERATION.json
// (docs/cli.md, docs/listings-map.md): asks the node whether a subject is
// listed, verifies every part of the answer against the federation file, and
// prints "listed" / "not listed" per log and overall.
#pragma once

#include "cli/common.h"
#include "cli/node_session.h"

namespace custos::cli {

// Adds `listing check` to the command line against a node; runs with a
// session opened from `flags` and sets `exit_code`.
void AddListingCommands(CLI::App& app, NodeFlags& flags, int& exit_code);

}  // namespace custos::cli
