// custos log repair: mends a damaged own log from a peer's replica of it
// (ledger/log/repair.h, docs/operations.md).
#pragma once

#include "cli/command_line.h"

namespace custos::cli {

// Adds `repair` under `log`.
void AddRepairCommand(CLI::App& log, Globals& globals, int& exit_code);

}  // namespace custos::cli
