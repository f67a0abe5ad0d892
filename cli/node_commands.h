// The commands that a running node serves (docs/node.md): the node forms of
// submit, checkpoint, entry and prove (their offline forms and their place in
// the command tree are in cli/log_commands.cc and cli/proof_commands.cc), and
// `node status | verify | backup`, which have no offline form.
//
// Each prints what its offline form prints, and checks what the node signs for
// its own log (checkpoints, receipts) against --node-vkey before printing it.
// Each returns the exit code (docs/cli.md).
#pragma once

#include <cstddef>
#include <string>

#include "cli/command_line.h"

namespace custos::cli {

// submit against a node: each statement accepted or refused on its own; at
// most `per_call` submissions per call (0: the node's limit).
int SubmitOnNode(NodeSession& session, const std::string& statement_file, const std::string& batch_file,
                 const std::string& private_file, size_t per_call, bool json);
// `origin` empty: the node's own log (the name of --node-vkey).
int ShowCheckpointOnNode(NodeSession& session, const std::string& origin, bool json);
int ShowEntryOnNode(NodeSession& session, const std::string& origin, const std::string& index_text, bool json);
// `size_text` empty: the latest checkpoint's size.
int ProveInclusionOnNode(NodeSession& session, const std::string& origin, const std::string& index_text,
                         const std::string& size_text, bool json);
int ProveConsistencyOnNode(NodeSession& session, const std::string& origin, const std::string& old_text,
                           const std::string& size_text, bool json);

// Adds `node status | verify | backup`.
void RegisterNodeCommands(CLI::App& app, Globals& globals, int& exit_code);

}  // namespace custos::cli
