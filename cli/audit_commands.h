// custos --node HOST:PORT … case trail CASE-ID | audit referrals (docs/cli.md,
// docs/audit.md): the queries across every log a node holds. Every entry an
// answer cites is checked against its log's checkpoint, and the checkpoints
// against --trust (origin keys and witness policy) or, without it, the own
// log's against --node-vkey, before anything is printed.
#pragma once

#include "cli/common.h"
#include "cli/node_session.h"

namespace custos::cli {

// Adds `case trail` and `audit referrals` to the command line against a node.
void AddAuditCommands(CLI::App& app, NodeFlags& flags, int& exit_code);

// Lists them in the offline help, where reaching them means no --node was given.
void RegisterAuditHelp(CLI::App& app, int& exit_code);

}  // namespace custos::cli
