#include "ledger/storage/signed_mark.h"

#include <fcntl.h>
#include <unistd.h>

#include "crypto/binary.h"
#include "crypto/bytes.h"
#include "crypto/sha256.h"

namespace custos {

namespace {
constexpr size_t kMaxNoteBytes = 64 * 1024;
// Past this the file is rewritten with its latest record: ~4,000 batches of
// ~250-byte notes.
constexpr uint64_t kRewriteAtBytes = 1 << 20;

constexpr size_t kCheckBytes = 8;

std::string Check(uint64_t size, std::string_view note) {
  BinaryWriter covered;
  covered.PutU64(size);
  covered.PutBytes(note);
  const Hash digest = Sha256::Digest(covered.Take());
  return std::string(AsString(digest.span().first(kCheckBytes)));
}

std::string EncodeRecord(uint64_t size, std::string_view note) {
  BinaryWriter record;
  record.PutU32(static_cast<uint32_t>(note.size()));
  record.PutU64(size);
  record.PutBytes(Check(size, note));
  record.PutBytes(note);
  return record.Take();
}

Status FromLevelDbIo(const leveldb::Status& s, const std::string& what) {
  if (s.ok()) return Status::OK();
  return Status::IOError(what + ": " + s.ToString());
}

// A renamed file survives a power loss only once its directory is synced.
// LevelDB's Env has no call for it; the store's directory is a real one.
Status SyncDirectoryOf(const std::string& path) {
  const size_t slash = path.rfind('/');
  const std::string dir = slash == std::string::npos ? "." : path.substr(0, slash);
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY);
  if (fd < 0) return Status::IOError("opening " + dir + " to sync it");
  const int rc = ::fsync(fd);
  ::close(fd);
  return rc == 0 ? Status::OK() : Status::IOError("syncing the directory " + dir);
}
}  // namespace

Result<std::unique_ptr<SignedMark>> SignedMark::Open(leveldb::Env* env, std::string path, bool read_only) {
  std::unique_ptr<SignedMark> mark(new SignedMark(env, std::move(path), read_only));
  CUSTOS_RETURN_IF_ERROR(mark->Load());
  return mark;
}

// Reads every whole record; keeps the one of the largest size. A record whose
// digest fails is skipped, so that a damaged byte in an old record does not
// hide the newer ones behind it; bytes that cannot be a record (a length past
// the end: the write a crash cut) end the reading. A writer then rewrites the
// file with its latest record.
Status SignedMark::Load() {
  if (!env_->FileExists(path_)) return Status::OK();
  std::string bytes;
  CUSTOS_RETURN_IF_ERROR(FromLevelDbIo(leveldb::ReadFileToString(env_, path_, &bytes), "reading " + path_));
  BinaryReader whole(bytes);  // after the last whole record read
  bool skipped = false;
  while (whole.remaining() > 0) {
    BinaryReader r = whole;
    const uint32_t length = r.GetU32();
    const uint64_t size = r.GetU64();
    const std::string_view check = r.GetBytes(kCheckBytes);
    if (length > kMaxNoteBytes) break;
    const std::string_view note = r.GetBytes(length);
    if (!r.ok()) break;
    if (Check(size, note) == check) {
      if (!latest_ || size >= latest_->size) latest_ = Mark{size, std::string(note)};
    } else {
      skipped = true;
    }
    whole = r;
  }
  file_bytes_ = bytes.size();
  if ((whole.AtEnd() && !skipped) || read_only_) return Status::OK();
  return Rewrite();
}

std::optional<SignedMark::Mark> SignedMark::latest() const {
  std::lock_guard<std::mutex> lock(mu_);
  return latest_;
}

Status SignedMark::Record(uint64_t size, std::string_view note) {
  if (read_only_) return Status::FailedPrecondition("the signed checkpoint mark was opened read-only");
  std::lock_guard<std::mutex> lock(mu_);
  const Mark previous = latest_.value_or(Mark{});
  latest_ = Mark{std::max(size, previous.size), size >= previous.size ? std::string(note) : previous.note};
  if (file_bytes_ >= kRewriteAtBytes) return Rewrite();
  if (!out_) {
    leveldb::WritableFile* file = nullptr;
    CUSTOS_RETURN_IF_ERROR(FromLevelDbIo(env_->NewAppendableFile(path_, &file), "opening " + path_));
    out_.reset(file);
    if (file_bytes_ == 0) CUSTOS_RETURN_IF_ERROR(SyncDirectoryOf(path_));
  }
  const std::string record = EncodeRecord(size, note);
  CUSTOS_RETURN_IF_ERROR(FromLevelDbIo(out_->Append(record), "writing " + path_));
  CUSTOS_RETURN_IF_ERROR(FromLevelDbIo(out_->Sync(), "syncing " + path_));
  file_bytes_ += record.size();
  return Status::OK();
}

Status SignedMark::Rewrite() {
  out_.reset();
  const std::string aside = path_ + ".new";
  leveldb::WritableFile* file = nullptr;
  CUSTOS_RETURN_IF_ERROR(FromLevelDbIo(env_->NewWritableFile(aside, &file), "creating " + aside));
  std::unique_ptr<leveldb::WritableFile> out(file);
  const std::string record = latest_ ? EncodeRecord(latest_->size, latest_->note) : std::string();
  CUSTOS_RETURN_IF_ERROR(FromLevelDbIo(out->Append(record), "writing " + aside));
  CUSTOS_RETURN_IF_ERROR(FromLevelDbIo(out->Sync(), "syncing " + aside));
  CUSTOS_RETURN_IF_ERROR(FromLevelDbIo(env_->RenameFile(aside, path_), "renaming " + aside));
  CUSTOS_RETURN_IF_ERROR(SyncDirectoryOf(path_));
  file_bytes_ = record.size();
  out_ = std::move(out);  // later records follow, in the file renamed
  return Status::OK();
}

}  // namespace custos
