#include "ledger/storage/read_only_env.h"

#include <algorithm>
#include <cstring>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

namespace custos {

namespace {

// A file LevelDB wrote through the view: its bytes, shared by the writer and
// the readers opened after it.
struct MemoryFile {
  std::mutex mu;
  std::string bytes;
};

class MemorySequentialFile final : public leveldb::SequentialFile {
 public:
  explicit MemorySequentialFile(std::shared_ptr<MemoryFile> file) : file_(std::move(file)) {}
  leveldb::Status Read(size_t n, leveldb::Slice* result, char* scratch) override {
    std::lock_guard<std::mutex> lock(file_->mu);
    const size_t start = std::min(pos_, file_->bytes.size());
    n = std::min(n, file_->bytes.size() - start);
    std::memcpy(scratch, file_->bytes.data() + start, n);
    pos_ = start + n;
    *result = leveldb::Slice(scratch, n);
    return leveldb::Status::OK();
  }
  leveldb::Status Skip(uint64_t n) override {
    pos_ += n;
    return leveldb::Status::OK();
  }

 private:
  std::shared_ptr<MemoryFile> file_;
  size_t pos_ = 0;
};

class MemoryRandomAccessFile final : public leveldb::RandomAccessFile {
 public:
  explicit MemoryRandomAccessFile(std::shared_ptr<MemoryFile> file) : file_(std::move(file)) {}
  leveldb::Status Read(uint64_t offset, size_t n, leveldb::Slice* result, char* scratch) const override {
    std::lock_guard<std::mutex> lock(file_->mu);
    if (offset > file_->bytes.size()) return leveldb::Status::IOError("read past the end of a file in memory");
    n = std::min<size_t>(n, file_->bytes.size() - offset);
    std::memcpy(scratch, file_->bytes.data() + offset, n);
    *result = leveldb::Slice(scratch, n);
    return leveldb::Status::OK();
  }

 private:
  std::shared_ptr<MemoryFile> file_;
};

class MemoryWritableFile final : public leveldb::WritableFile {
 public:
  explicit MemoryWritableFile(std::shared_ptr<MemoryFile> file) : file_(std::move(file)) {}
  leveldb::Status Append(const leveldb::Slice& data) override {
    std::lock_guard<std::mutex> lock(file_->mu);
    file_->bytes.append(data.data(), data.size());
    return leveldb::Status::OK();
  }
  leveldb::Status Close() override { return leveldb::Status::OK(); }
  leveldb::Status Flush() override { return leveldb::Status::OK(); }
  leveldb::Status Sync() override { return leveldb::Status::OK(); }

 private:
  std::shared_ptr<MemoryFile> file_;
};

class NoLock final : public leveldb::FileLock {};

class ReadOnlyEnv final : public leveldb::EnvWrapper {
 public:
  explicit ReadOnlyEnv(leveldb::Env* base) : EnvWrapper(base) {}

  leveldb::Status NewSequentialFile(const std::string& name, leveldb::SequentialFile** result) override {
    std::lock_guard<std::mutex> lock(mu_);
    if (auto file = InMemory(name)) {
      *result = new MemorySequentialFile(std::move(file));
      return leveldb::Status::OK();
    }
    if (hidden_.count(name)) return NotFound(name);
    return target()->NewSequentialFile(name, result);
  }

  leveldb::Status NewRandomAccessFile(const std::string& name, leveldb::RandomAccessFile** result) override {
    std::lock_guard<std::mutex> lock(mu_);
    if (auto file = InMemory(name)) {
      *result = new MemoryRandomAccessFile(std::move(file));
      return leveldb::Status::OK();
    }
    if (hidden_.count(name)) return NotFound(name);
    return target()->NewRandomAccessFile(name, result);
  }

  leveldb::Status NewWritableFile(const std::string& name, leveldb::WritableFile** result) override {
    std::lock_guard<std::mutex> lock(mu_);
    auto file = std::make_shared<MemoryFile>();
    files_[name] = file;
    *result = new MemoryWritableFile(std::move(file));
    return leveldb::Status::OK();
  }

  // A file appended to starts as a copy of what it holds on disk.
  leveldb::Status NewAppendableFile(const std::string& name, leveldb::WritableFile** result) override {
    std::lock_guard<std::mutex> lock(mu_);
    auto file = InMemory(name);
    if (!file) {
      file = std::make_shared<MemoryFile>();
      if (!hidden_.count(name) && target()->FileExists(name)) {
        leveldb::Status s = leveldb::ReadFileToString(target(), name, &file->bytes);
        if (!s.ok()) return s;
      }
      files_[name] = file;
    }
    *result = new MemoryWritableFile(std::move(file));
    return leveldb::Status::OK();
  }

  bool FileExists(const std::string& name) override {
    std::lock_guard<std::mutex> lock(mu_);
    if (files_.count(name)) return true;
    return !hidden_.count(name) && target()->FileExists(name);
  }

  leveldb::Status GetChildren(const std::string& dir, std::vector<std::string>* result) override {
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<std::string> on_disk;
    leveldb::Status s = target()->GetChildren(dir, &on_disk);
    if (!s.ok()) return s;
    std::set<std::string> names;
    for (const auto& child : on_disk) {
      if (!hidden_.count(dir + "/" + child)) names.insert(child);
    }
    const std::string prefix = dir + "/";
    for (const auto& [path, file] : files_) {
      if (path.starts_with(prefix) && path.find('/', prefix.size()) == std::string::npos) {
        names.insert(path.substr(prefix.size()));
      }
    }
    result->assign(names.begin(), names.end());
    return leveldb::Status::OK();
  }

  leveldb::Status RemoveFile(const std::string& name) override {
    std::lock_guard<std::mutex> lock(mu_);
    const bool in_memory = files_.erase(name) > 0;
    if (hidden_.count(name) || !target()->FileExists(name)) return in_memory ? leveldb::Status::OK() : NotFound(name);
    hidden_.insert(name);
    return leveldb::Status::OK();
  }
  leveldb::Status DeleteFile(const std::string& name) override { return RemoveFile(name); }

  // The database's directory exists (a read-only open never creates one).
  leveldb::Status CreateDir(const std::string&) override { return leveldb::Status::OK(); }
  leveldb::Status RemoveDir(const std::string&) override { return leveldb::Status::OK(); }
  leveldb::Status DeleteDir(const std::string&) override { return leveldb::Status::OK(); }

  leveldb::Status GetFileSize(const std::string& name, uint64_t* size) override {
    std::lock_guard<std::mutex> lock(mu_);
    if (auto file = InMemory(name)) {
      std::lock_guard<std::mutex> file_lock(file->mu);
      *size = file->bytes.size();
      return leveldb::Status::OK();
    }
    if (hidden_.count(name)) return NotFound(name);
    return target()->GetFileSize(name, size);
  }

  // LevelDB renames only files it has just written (CURRENT from a temporary
  // file), which are in memory. A file on disk is never renamed.
  leveldb::Status RenameFile(const std::string& from, const std::string& to) override {
    std::lock_guard<std::mutex> lock(mu_);
    auto file = InMemory(from);
    if (!file) return leveldb::Status::IOError(from, "read-only view: a file on disk is never renamed");
    files_.erase(from);
    files_[to] = std::move(file);
    return leveldb::Status::OK();
  }

  leveldb::Status LockFile(const std::string&, leveldb::FileLock** lock) override {
    *lock = new NoLock();
    return leveldb::Status::OK();
  }
  leveldb::Status UnlockFile(leveldb::FileLock* lock) override {
    delete lock;
    return leveldb::Status::OK();
  }

  leveldb::Status NewLogger(const std::string& name, leveldb::Logger** result) override {
    std::lock_guard<std::mutex> lock(mu_);
    files_[name] = std::make_shared<MemoryFile>();
    *result = new NullLogger();
    return leveldb::Status::OK();
  }

 private:
  class NullLogger final : public leveldb::Logger {
   public:
    void Logv(const char*, std::va_list) override {}
  };

  static leveldb::Status NotFound(const std::string& name) {
    return leveldb::Status::NotFound(name, "removed in the read-only view");
  }
  std::shared_ptr<MemoryFile> InMemory(const std::string& name) const {
    auto it = files_.find(name);
    return it == files_.end() ? nullptr : it->second;
  }

  std::mutex mu_;
  std::map<std::string, std::shared_ptr<MemoryFile>> files_;  // guarded by mu_
  std::set<std::string> hidden_;                              // guarded by mu_
};

}  // namespace

std::unique_ptr<leveldb::Env> NewReadOnlyEnv(leveldb::Env* base) { return std::make_unique<ReadOnlyEnv>(base); }

}  // namespace custos
