// custos --node HOST:PORT … listing check ID --trust FEDERATION.json
// (docs/cli.md, docs/listings-map.md): asks the node whether a subject is
// listed, verifies every part of the answer against the federation file, and
// prints "listed" / "not listed" per log and overall.
#pragma once

#include "cli/command_line.h"

namespace custos::cli {

// Adds `listing check`, which runs against a node only.
void RegisterListingCommands(CLI::App& app, Globals& globals, int& exit_code);

}  // namespace custos::cli
