// custos — the command line of a Custos log (docs/cli.md).
#include <kj/exception.h>

#include <iostream>

#include "cli/audit_commands.h"
#include "cli/bundle_commands.h"
#include "cli/command_line.h"
#include "cli/listing_commands.h"
#include "cli/node_commands.h"
#include "crypto/ed25519.h"
#include "schema/well_formed.h"

// In the sanitizer build (scripts/build.sh san) the command line is not
// leak-checked: the shell tests run it thousands of times, and
// LeakSanitizer's scan at exit was ~30 ms of each ~160 ms run. The library
// code it runs is leak-checked in the unit tests and in custosd. (ASAN_OPTIONS
// in the environment still overrides this.)
#if defined(__has_feature)
#if __has_feature(address_sanitizer)
extern "C" __attribute__((used)) const char* __asan_default_options() { return "detect_leaks=0"; }
#endif
#endif

namespace {

// The one command tree: every command, whichever log it reads, so that
// --help lists all of them at every level (cli/command_line.h).
int Run(int argc, char** argv) {
  CLI::App app{
      "custos: signed, hash-chained, Merkle-proved logs for evidence custody, case referrals\n"
      "and dishonesty listings. Every command takes --help; outputs are stable for scripts.\n"
      "Exit codes: 0 success, 1 a verification failed, 2 bad usage or bad input, 3 I/O error."};
  app.require_subcommand(1);
  app.fallthrough();  // before the commands: the node options may follow any of them
  custos::cli::Globals globals;
  globals.node.AddTo(app);
  int exit_code = custos::cli::kExitOk;
  custos::cli::RegisterKeyCommands(app, globals, exit_code);
  custos::cli::RegisterLogCommands(app, globals, exit_code);
  custos::cli::RegisterProofCommands(app, globals, exit_code);
  custos::cli::RegisterNodeCommands(app, globals, exit_code);
  custos::cli::RegisterAuditCommands(app, globals, exit_code);
  custos::cli::RegisterListingCommands(app, globals, exit_code);
  custos::cli::RegisterEvidenceCommands(app, globals, exit_code);
  custos::cli::RegisterTrustCommands(app, globals, exit_code);
  // After the commands, which would inherit it.
  app.footer(
      "A command reads a log in a data directory (--data DIR) or asks a running node:\n"
      "  custos --node HOST:PORT --key FILE --node-vkey VKEY <command> ...\n"
      "with the node options before or after the command; CUSTOS_NODE, CUSTOS_KEY and\n"
      "CUSTOS_NODE_VKEY are their defaults (docs/cli.md, docs/node.md).");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return custos::cli::FailParse(app, e);
  }
  return exit_code;
}

}  // namespace

int main(int argc, char** argv) {
  custos::InitCrypto();
  // The last line of defence: decoders return errors, but an answer that
  // passed its checks can still run out of the reader's traversal limit when
  // it is read (node/rpc_limits.h). Reported like any damaged input, never
  // as an abort.
  int rc = custos::cli::kExitVerifyFailed;
  KJ_IF_MAYBE(e, kj::runCatchingExceptions([&] { rc = Run(argc, argv); })) {
    return custos::cli::Fail(custos::Status::Corruption("a message could not be read whole: " +
                                                        custos::schema::DescribeReadError(*e)),
                             /*verifying=*/true);
  }
  return rc;
}
