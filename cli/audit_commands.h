// custos --node HOST:PORT … case trail CASE-ID | audit referrals (docs/cli.md,
// docs/audit.md): the queries across every log a node holds. Every entry an
// answer cites is checked against its log's checkpoint, and the checkpoints
// against --trust (origin keys and witness policy) or, without it, the own
// log's against --node-vkey, before anything is printed.
#pragma once

#include "cli/command_line.h"

namespace custos::cli {

// Adds `case trail` and `audit referrals`, which run against a node only.
void RegisterAuditCommands(CLI::App& app, Globals& globals, int& exit_code);

}  // namespace custos::cli
