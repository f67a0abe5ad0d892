// custos evidence bundle (against a node) and custos verify --bundle
// (offline): evidence bundles, docs/evidence-bundle.md and docs/cli.md.
#pragma once

#include <string>

#include "cli/command_line.h"

namespace custos::cli {

// Adds `evidence bundle`, which runs against a node only.
void RegisterEvidenceCommands(CLI::App& app, Globals& globals, int& exit_code);

struct VerifyBundleArgs {
  std::string bundle_file;
  std::string file;        // "" when no file is checked
  std::string trust_file;
  std::string report;      // "" or FILE.pdf / FILE.html: also write the report (cli/report.h)
  std::string lang = "zh";
  std::string extract;     // "" or a directory: also write the bundle's parts for standard verifiers
  bool json = false;
};

// custos verify --bundle FILE [--file FILE] --trust FEDERATION.json
// [--report FILE.pdf|.html [--lang zh|en]] [--extract DIR] [--json]: exit 0 when the bundle
// verifies, 1 with the reason when it does not (a report is written either
// way), 2 for bad usage or input (an unreadable file, a bad federation file,
// not a bundle, a report that cannot be written).
int VerifyBundle(const VerifyBundleArgs& args);

}  // namespace custos::cli
