#include "node/tlog_witness.h"

#include <fcntl.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "crypto/cosignature.h"
#include "ledger/tlog/checkpoint.h"
#include "ledger/tlog/merkle.h"
#include "ledger/tlog/witness_request.h"
#include "node/metrics.h"

namespace custos::node {

namespace {

using nlohmann::json;
constexpr size_t kMaxStateFileBytes = 16 << 20;

// Syncs a file or directory to disk.
Status SyncPath(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY);
  if (fd < 0) return Status::IOError("cannot open " + path + " to sync it");
  int rc = ::fsync(fd);
  ::close(fd);
  return rc == 0 ? Status::OK() : Status::IOError("cannot sync " + path);
}

HttpResponse SizeConflict(uint64_t size) {
  return HttpResponse{409, "text/x.tlog.size", "no-store", std::to_string(size) + "\n", {}};
}

}  // namespace

Result<std::unique_ptr<TlogWitness>> TlogWitness::Open(std::vector<WitnessedLog> logs, std::string state_file,
                                                       NamedKey witness_key, NodeMetrics* metrics) {
  std::unique_ptr<TlogWitness> w(
      new TlogWitness(std::move(logs), std::move(state_file), std::move(witness_key), metrics));
  std::error_code ec;
  if (!std::filesystem::exists(w->state_file_, ec)) return w;
  const std::string what = "witness state " + w->state_file_;
  if (std::filesystem::file_size(w->state_file_, ec) > kMaxStateFileBytes || ec) {
    return Status::InvalidArgument(what + ": not a file of at most 16 MiB");
  }
  std::ifstream in(w->state_file_, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  json j = json::parse(text.str(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object() || j.value("format", 0) != 1 || !j.contains("logs") || !j["logs"].is_object()) {
    return Status::InvalidArgument(what + ": not a format-1 witness state");
  }
  for (const auto& [origin, held] : j["logs"].items()) {
    if (!held.is_object() || !held.contains("size") || !held["size"].is_number_unsigned() || !held.contains("root") ||
        !held["root"].is_string()) {
      return Status::InvalidArgument(what + ": logs." + origin + ": needs size and root");
    }
    auto root = Base64Decode(held["root"].get<std::string>());
    auto hash = root ? Hash::FromSpan(*root) : std::nullopt;
    if (!hash) return Status::InvalidArgument(what + ": logs." + origin + ".root: not the base64 of 32 bytes");
    w->held_[origin] = Held{held["size"].get<uint64_t>(), *hash};
  }
  return w;
}

Status TlogWitness::Save(const std::map<std::string, Held>& held) const {
  json logs = json::object();
  for (const auto& [origin, h] : held) logs[origin] = {{"size", h.size}, {"root", Base64Encode(h.root.span())}};
  const std::string aside = state_file_ + ".tmp";
  {
    std::ofstream out(aside, std::ios::binary | std::ios::trunc);
    out << json{{"format", 1}, {"logs", logs}}.dump(2) << "\n";
    out.close();
    if (!out) return Status::IOError("cannot write " + aside);
  }
  CUSTOS_RETURN_IF_ERROR(SyncPath(aside));
  std::error_code ec;
  std::filesystem::rename(aside, state_file_, ec);
  if (ec) return Status::IOError("cannot rename " + aside + ": " + ec.message());
  return SyncPath(std::filesystem::path(state_file_).parent_path().string());
}

std::string TlogWitness::VerifierKey() const {
  return NoteVerifier::ForKey(key_.name, key_.key.public_key(), kAlgCosignatureV1).ToString();
}

HttpResponse TlogWitness::AddCheckpoint(std::string_view body) {
  auto request = merkle::ParseAddCheckpoint(body);
  if (!request.ok()) return Problem(400, "bad-request", request.status().message());
  auto note = Note::Parse(request->checkpoint);
  auto cp = note.ok() ? Checkpoint::Parse(note->text) : Result<Checkpoint>(note.status());
  if (!cp.ok()) return Problem(400, "bad-request", "add-checkpoint: checkpoint: " + cp.status().message());
  const WitnessedLog* log = nullptr;
  for (const auto& l : logs_) {
    if (l.origin == cp->origin) log = &l;
  }
  if (log == nullptr) return Problem(404, "unknown-log", "this witness does not witness " + cp->origin);
  auto opened = OpenNote(request->checkpoint, log->key);
  if (!opened.ok()) return Problem(403, "bad-signature", "the checkpoint is not signed by " + cp->origin + "'s key");
  if (request->old_size > cp->size) {
    return Problem(400, "bad-request", "old size " + std::to_string(request->old_size) + " is above the checkpoint's " +
                                           std::to_string(cp->size));
  }
  std::lock_guard lock(mu_);
  const Held held = held_.count(cp->origin) ? held_[cp->origin] : Held{0, merkle::EmptyRoot()};
  if (request->old_size != held.size) return SizeConflict(held.size);
  if (request->old_size == cp->size) {
    if (cp->root != held.root && held.size > 0) return SizeConflict(held.size);
  } else if (request->old_size == 0) {
    if (!request->proof.empty()) return Problem(422, "bad-proof", "the proof from size 0 must be empty");
  } else {
    Status consistent = merkle::VerifyConsistency(held.size, cp->size, held.root, cp->root, request->proof);
    if (!consistent.ok()) return Problem(422, "bad-proof", "consistency proof: " + consistent.message());
  }
  std::map<std::string, Held> next = held_;
  next[cp->origin] = Held{cp->size, cp->root};
  Status saved = Save(next);
  if (!saved.ok()) return Problem(500, "internal", "cannot record the checkpoint: " + saved.message());
  held_ = std::move(next);
  if (metrics_ != nullptr) metrics_->CosignatureGiven(cp->origin);
  const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                       std::chrono::system_clock::now().time_since_epoch()).count();
  return HttpResponse{200, "text/plain; charset=utf-8", "no-store",
                      Cosign(opened->text, key_.name, key_.key, static_cast<uint64_t>(now)).ToLine(), {}};
}

}  // namespace custos::node
