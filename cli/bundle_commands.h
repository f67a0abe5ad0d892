// custos evidence bundle (against a node) and custos verify --bundle
// (offline): evidence bundles, docs/evidence-bundle.md and docs/cli.md.
#pragma once

#include <string>

#include "cli/command_line.h"

namespace custos::cli {

// Adds `evidence bundle`, which runs against a node only.
void RegisterEvidenceCommands(CLI::App& app, Globals& globals, int& exit_code);

// custos verify --bundle FILE [--file FILE] --trust FEDERATION.json [--json]:
// exit 0 when the bundle verifies, 1 with the reason when it does not, 2 for
// bad usage or input (an unreadable file, a bad federation file, not a bundle).
int VerifyBundle(const std::string& bundle_file, const std::string& file, const std::string& trust_file, bool json);

}  // namespace custos::cli
