// Shared plumbing of the `custos` command line: exit codes, error output,
// file reading with limits, the data directory, progress bars.
#pragma once

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "crypto/keyfile.h"
#include "crypto/read_file.h"  // ReadFileLimited, for every command's input files
#include "crypto/status.h"
#include "ledger/log/log.h"
#include "schema/canonical.h"

namespace custos::cli {

// Exit codes (docs/cli.md).
inline constexpr int kExitOk = 0;
inline constexpr int kExitVerifyFailed = 1;  // a proof, signature or log did not verify
inline constexpr int kExitBadInput = 2;      // bad usage, or input refused
inline constexpr int kExitIOError = 3;       // the disk or the OS failed

// Prints "custos: <message>" to stderr and returns the exit code for `status`:
// Corruption is kExitVerifyFailed when `verifying`, else kExitBadInput;
// IOError is kExitIOError; everything else kExitBadInput.
int Fail(const Status& status, bool verifying = false);

// For a command line CLI11 could not parse: --help (and the like) prints as
// CLI11 prints it and returns kExitOk; anything else (an unknown or missing
// option, a bad value) is reported as every other error, one line
// "custos: invalid argument: <what CLI11 says> (see --help)", kExitBadInput.
int FailParse(CLI::App& app, const CLI::ParseError& e);

// Writes a file (0644), replacing it.
Status WriteFile(const std::string& path, std::string_view contents);

// A log's data directory: DIR/custos.json names the origin and the node key
// file; DIR/ledger is the LevelDB database (docs/leveldb-layout.md).
struct DataDir {
  std::string dir;
  std::string origin;
  std::string node_key_file;

  std::string ledger_path() const { return dir + "/ledger"; }
  static Result<DataDir> Load(const std::string& dir);
  Status Save() const;
  LogOptions Options() const;
  // Opens the log; with_node_key loads the node key (needed to append).
  Result<std::unique_ptr<Log>> Open(bool with_node_key) const;
};

// One statement to submit and where it came from ("FILE" or "FILE:LINE").
struct StatementLine {
  std::string where;
  std::string json;
};

// Reads --statement FILE.json or --batch FILE.jsonl (exactly one must be
// given); blank batch lines are skipped. InvalidArgument names the file.
Result<std::vector<StatementLine>> ReadStatements(const std::string& statement_file,
                                                  const std::string& batch_file);

// Turns one JSON statement into a signed submission for `origin`, filling in
// origin, time (now) and a random nonce where the JSON leaves them out.
Result<Bytes> PrepareSubmission(std::string_view json, const std::string& origin, const NamedKey& key);

// DataDir::Load(dir) then Open(with_node_key).
Result<std::unique_ptr<Log>> OpenLogAt(const std::string& dir, bool with_node_key);

// Prints a progress bar on stderr when it is a terminal; nothing otherwise.
class Progress {
 public:
  explicit Progress(std::string what);
  ~Progress();
  void Update(uint64_t done, uint64_t total);
  // Update for work in stages: a new `what` ends the previous stage's line.
  void Update(const std::string& what, uint64_t done, uint64_t total);
  // Ends the bar's line (before anything else is printed); idempotent.
  void Finish();

 private:
  std::string what_;
  bool tty_;
  int last_permille_ = -1;
};

void PrintJson(const nlohmann::json& j);

// "1 entry", "2 entries": `n` and the word for one or for many.
std::string Count(uint64_t n, std::string_view one, std::string_view many);
inline std::string Entries(uint64_t n) { return Count(n, "entry", "entries"); }

// Parses an unsigned decimal option value for `flag`.
Result<uint64_t> ParseIndex(const std::string& text, const char* flag);

// Entry `index` as a log stored or a node served it, read whole: the entry
// and the statement it carries. Bytes that do not read are damage: Corruption
// "entry I: <field>: <reason>" (or "entry I statement: …").
Result<schema::CanonicalMessage<schema::LogEntry>> ReadStoredEntry(ByteSpan bytes, uint64_t index);

}  // namespace custos::cli
