// custos — the command line of a Custos log (docs/cli.md).
#include <iostream>

#include "cli/bundle_commands.h"
#include "cli/common.h"
#include "cli/node_commands.h"
#include "crypto/ed25519.h"

int main(int argc, char** argv) {
  custos::InitCrypto();
  if (auto rc = custos::cli::RunAgainstNode(argc, argv)) return *rc;  // --node: against a running node
  CLI::App app{
      "custos: signed, hash-chained, Merkle-proved logs for evidence custody, case referrals\n"
      "and dishonesty listings. Every command takes --help; outputs are stable for scripts.\n"
      "Exit codes: 0 success, 1 a verification failed, 2 bad usage or bad input, 3 I/O error."};
  app.require_subcommand(1);
  custos::cli::Globals globals;
  int exit_code = custos::cli::kExitOk;
  custos::cli::RegisterKeyCommands(app, globals, exit_code);
  custos::cli::RegisterLogCommands(app, globals, exit_code);
  custos::cli::RegisterProofCommands(app, globals, exit_code);
  custos::cli::RegisterNodeCommands(app, globals, exit_code);
  custos::cli::RegisterEvidenceCommands(app, globals, exit_code);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return custos::cli::FailParse(app, e);
  }
  return exit_code;
}
