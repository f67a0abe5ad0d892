#include "node/tile_publisher.h"

#include <spdlog/spdlog.h>

#include <filesystem>
#include <fstream>

#include "crypto/note.h"
#include "ledger/query/published.h"
#include "ledger/tlog/checkpoint.h"
#include "ledger/tlog/tile_path.h"

namespace custos::node {

namespace {

namespace fs = std::filesystem;

// Writes `bytes` to `path` through a file beside it and a rename, so that a
// reader sees the whole file or none.
Status WriteAside(const fs::path& path, std::string_view bytes) {
  std::error_code ec;
  fs::create_directories(path.parent_path(), ec);
  if (ec) return Status::IOError("publishing: cannot create " + path.parent_path().string() + ": " + ec.message());
  const fs::path aside = path.string() + ".tmp";
  {
    std::ofstream out(aside, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    out.close();
    if (!out) return Status::IOError("publishing: cannot write " + aside.string());
  }
  fs::rename(aside, path, ec);
  if (ec) return Status::IOError("publishing: cannot rename " + aside.string() + ": " + ec.message());
  return Status::OK();
}

// An origin names a directory under the publishing one, and never one outside it.
bool SafeOrigin(std::string_view origin) {
  if (origin.empty() || origin.front() == '/' || origin.find('\0') != std::string_view::npos) return false;
  for (const auto& part : fs::path(origin)) {
    if (part == ".." || part == ".") return false;
  }
  return true;
}

}  // namespace

TilePublisher::TilePublisher(std::string directory, std::vector<std::shared_ptr<LogView>> logs,
                             std::chrono::milliseconds interval, std::shared_ptr<spdlog::logger> logger)
    : directory_(std::move(directory)), logs_(std::move(logs)), interval_(interval), logger_(std::move(logger)) {}

TilePublisher::~TilePublisher() { Stop(); }

void TilePublisher::Start() {
  thread_ = std::thread([this] {
    std::unique_lock lock(mu_);
    while (!stop_) {
      lock.unlock();
      Status st = PublishOnce();
      if (!st.ok()) logger_->warn("publishing tiles to {}: {}", directory_, st.ToString());
      lock.lock();
      wake_.wait_for(lock, interval_, [this] { return stop_; });
    }
  });
}

void TilePublisher::Stop() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

Status TilePublisher::PublishOnce() {
  Status first;
  for (const auto& log : logs_) {
    Status st = PublishLog(*log, published_[log->origin()]);
    if (!st.ok() && first.ok()) first = st.WithContext(log->origin());
  }
  return first;
}

Status TilePublisher::PublishLog(const LogView& log, Published& published) {
  if (!SafeOrigin(log.origin())) return Status::InvalidArgument("the origin cannot name a directory");
  const std::string note_text = log.checkpoint();
  if (note_text.empty() || note_text == published.checkpoint) return Status::OK();
  CUSTOS_ASSIGN_OR_RETURN(Note note, Note::Parse(note_text));
  CUSTOS_ASSIGN_OR_RETURN(Checkpoint cp, Checkpoint::Parse(note.text));
  const fs::path root = fs::path(directory_) / log.origin();
  // Only growth is published: a smaller checkpoint than the last (which a
  // log never makes) leaves the files as they are.
  const uint64_t from = std::min(published.size, cp.size);
  for (const merkle::TilePath& path : merkle::NewTiles(from, cp.size)) {
    const fs::path file = root / merkle::FormatTilePath(path);
    std::error_code ec;
    if (fs::exists(file, ec)) continue;  // written by an earlier pass or run: never rewritten
    CUSTOS_ASSIGN_OR_RETURN(std::string bytes, query::ReadTileResource(log.stored(), cp.size, path));
    CUSTOS_RETURN_IF_ERROR(WriteAside(file, bytes));
    if (path.full()) fs::remove_all(file.string() + ".p", ec);  // its partial files
  }
  CUSTOS_RETURN_IF_ERROR(WriteAside(root / "checkpoint", note_text));
  published = Published{cp.size, note_text};
  return Status::OK();
}

}  // namespace custos::node
