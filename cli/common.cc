#include "cli/common.h"

#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "ledger/admission/submission.h"
#include "ledger/tlog/checkpoint.h"
#include "node/config.h"
#include "schema/json.h"

namespace custos::cli {

int Fail(const Status& status, bool verifying) {
  std::cerr << "custos: " << status.ToString() << "\n";
  switch (status.code()) {
    case Status::Code::kOk: return kExitOk;
    case Status::Code::kCorruption: return verifying ? kExitVerifyFailed : kExitBadInput;
    case Status::Code::kIOError: return kExitIOError;
    default: return kExitBadInput;
  }
}

int FailParse(CLI::App& app, const CLI::ParseError& e) {
  if (e.get_exit_code() == 0) return app.exit(e) == 0 ? kExitOk : kExitBadInput;
  // CLI11 reports a missing option or subcommand before an unknown one, but a
  // mistyped option ("--dat") is the likelier cause of both: name it.
  for (const std::string& arg : app.remaining(/*recurse=*/true)) {
    if (arg.size() > 1 && arg[0] == '-') {
      return Fail(Status::InvalidArgument("unknown option " + arg.substr(0, arg.find('=')) + " (see --help)"));
    }
  }
  return Fail(Status::InvalidArgument(std::string(e.what()) + " (see --help)"));
}

Status WriteFile(const std::string& path, std::string_view contents) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(contents.data(), static_cast<std::streamsize>(contents.size()));
  out.close();
  if (!out) return Status::IOError("writing " + path + " failed");
  return Status::OK();
}

Result<DataDir> DataDir::Load(const std::string& dir) {
  // One reader of custos.json for custos and custosd (node/config.h).
  auto info = node::LoadDataDirInfo(dir);
  if (info.status().code() == Status::Code::kNotFound) {
    return Status::InvalidArgument("--data: " + dir + " holds no Custos log (no custos.json); create one with `custos log init`");
  }
  if (!info.ok()) return info.status().WithContext("--data");
  return DataDir{dir, info->origin, info->node_key_file};
}

Status DataDir::Save() const { return node::SaveDataDirInfo(dir, {origin, node_key_file}); }

LogOptions DataDir::Options() const {
  LogOptions o;
  o.path = ledger_path();
  return o;
}

Result<std::unique_ptr<Log>> DataDir::Open(bool with_node_key) const {
  std::optional<NamedKey> key;
  if (with_node_key) {
    auto k = ReadKeyFile(node_key_file);
    if (!k.ok()) return k.status().WithContext("node key " + node_key_file);
    key = std::move(k).value();
  }
  // Without the node key nothing is appended: open read-only, so that the
  // command changes nothing on disk and can read a live node's store.
  LogOptions options = Options();
  options.read_only = !with_node_key;
  return Log::Open(options, std::move(key));
}

namespace {
constexpr size_t kMaxStatementFile = 64 * 1024;
constexpr size_t kMaxBatchFile = 64 << 20;
}  // namespace

Result<std::vector<StatementLine>> ReadStatements(const std::string& statement_file,
                                                  const std::string& batch_file) {
  if (statement_file.empty() == batch_file.empty()) {
    return Status::InvalidArgument("give exactly one of --statement FILE.json or --batch FILE.jsonl");
  }
  bool batch = !batch_file.empty();
  const std::string& path = batch ? batch_file : statement_file;
  CUSTOS_ASSIGN_OR_RETURN(std::string text, ReadFileLimited(path, batch ? kMaxBatchFile : kMaxStatementFile,
                                                            batch ? "--batch" : "--statement"));
  if (!batch) return std::vector<StatementLine>{{path, text}};
  std::vector<StatementLine> lines;
  std::istringstream in(text);
  std::string line;
  for (size_t n = 1; std::getline(in, line); ++n) {
    if (line.find_first_not_of(" \t\r") != std::string::npos) lines.push_back({path + ":" + std::to_string(n), line});
  }
  if (lines.empty()) return Status::InvalidArgument("--batch: " + path + " holds no statements");
  return lines;
}

Result<Bytes> PrepareSubmission(std::string_view json, const std::string& origin, const NamedKey& key) {
  CUSTOS_ASSIGN_OR_RETURN(Bytes statement, schema::StatementFromJson(json));
  uint8_t nonce[16];
  randombytes_buf(nonce, sizeof nonce);
  int64_t now = SystemClock().NowMillis();
  Bytes filled = schema::FillStatementDefaults(statement, origin, now, ByteSpan(nonce, sizeof nonce));
  return SignSubmission(filled, key.key);
}

Result<std::unique_ptr<Log>> OpenLogAt(const std::string& dir, bool with_node_key) {
  CUSTOS_ASSIGN_OR_RETURN(DataDir data, DataDir::Load(dir));
  return data.Open(with_node_key);
}

Progress::Progress(std::string what) : what_(std::move(what)), tty_(isatty(STDERR_FILENO) == 1) {}

Progress::~Progress() { Finish(); }

void Progress::Finish() {
  if (tty_ && last_permille_ >= 0) std::cerr << "\n";
  last_permille_ = -1;
}

void Progress::Update(uint64_t done, uint64_t total) {
  if (!tty_ || total == 0) return;
  int permille = static_cast<int>(done * 1000 / total);
  if (permille == last_permille_) return;
  last_permille_ = permille;
  constexpr int kWidth = 40;
  int filled = permille * kWidth / 1000;
  std::cerr << "\r" << what_ << " [" << std::string(static_cast<size_t>(filled), '#')
            << std::string(static_cast<size_t>(kWidth - filled), ' ') << "] " << permille / 10 << "."
            << permille % 10 << "% " << done << "/" << total << std::flush;
}

void Progress::Update(const std::string& what, uint64_t done, uint64_t total) {
  if (what != what_) {
    Finish();
    what_ = what;
  }
  Update(done, total);
}

std::string Count(uint64_t n, std::string_view one, std::string_view many) {
  return std::to_string(n) + " " + std::string(n == 1 ? one : many);
}

void PrintJson(const nlohmann::json& j) { std::cout << j.dump(2) << "\n"; }

Result<uint64_t> ParseIndex(const std::string& text, const char* flag) {
  uint64_t v = 0;
  if (!ParseDecimal(text, &v)) {
    return Status::InvalidArgument(std::string(flag) + ": \"" + text + "\" is not a non-negative whole number");
  }
  return v;
}

Result<schema::CanonicalMessage<schema::LogEntry>> ReadStoredEntry(ByteSpan bytes, uint64_t index) {
  const std::string what = "entry " + std::to_string(index);
  CUSTOS_ASSIGN_OR_RETURN(auto entry, schema::AsCorruption(schema::ReadCanonical<schema::LogEntry>(
                                          bytes, schema::kMaxEntryBytes, what.c_str())));
  auto statement = entry.get().getSubmission().getStatement();
  CUSTOS_RETURN_IF_ERROR(schema::AsCorruption(schema::ReadCanonical<schema::Statement>(
                                                  ByteSpan(statement.begin(), statement.size()),
                                                  schema::kMaxStatementBytes, (what + " statement").c_str()))
                             .status());
  return entry;
}

}  // namespace custos::cli
