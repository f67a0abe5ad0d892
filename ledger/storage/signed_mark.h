// The signed high-water mark of a node's own log (docs/leveldb-layout.md,
// "The signed high-water mark").
//
// Every checkpoint the node signs is recorded here, in a file of its own
// beside the LevelDB databases, and synced before the checkpoint is handed
// out. A damaged or truncated LevelDB file can make the databases come back
// with fewer entries than the node acknowledged; this file cannot lose them
// with it. A log whose head is behind the mark is damaged: appending or
// signing at a size the node signed before would be an equivocation.
//
// File format: a sequence of records, each
//   length of note (u32) | size (u64) | first 8 bytes of SHA-256(size | note) | note
// (integers big-endian), where note is the signed checkpoint of that size (a
// C2SP signed note) verbatim. Only
// the record with the largest checkpoint size counts. A record that is cut
// short is ignored: a write the node was making when it stopped, whose
// checkpoint was never handed out. One that does not match its digest is
// skipped, and the records after it still count. The file is
// rewritten with its latest record alone when it grows past a bound.
#pragma once

#include <leveldb/env.h>

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "crypto/status.h"

namespace custos {

class SignedMark final {
 public:
  struct Mark {
    uint64_t size = 0;
    std::string note;  // the signed checkpoint of that size, verbatim
  };

  // The file's name in the store's directory.
  static constexpr char kFileName[] = "signed-checkpoint";

  // Reads the mark at `path` (the file need not exist). `read_only`: never
  // writes (Record refuses). A writer whose file holds damaged bytes rewrites
  // it with the latest good record, so that later records stay readable.
  // IOError if the file cannot be read or rewritten.
  static Result<std::unique_ptr<SignedMark>> Open(leveldb::Env* env, std::string path, bool read_only);

  // The checkpoint of the largest size recorded; nullopt if none is (a log
  // created before this file existed, or not created yet).
  std::optional<Mark> latest() const;

  // Appends `note`, a checkpoint of `size` the node has just signed, and
  // syncs it. Call after the batch the checkpoint covers is durable and
  // before the checkpoint is handed out. IOError if the write or sync fails;
  // FailedPrecondition if read-only. Thread-safe.
  Status Record(uint64_t size, std::string_view note);

 private:
  SignedMark(leveldb::Env* env, std::string path, bool read_only)
      : env_(env), path_(std::move(path)), read_only_(read_only) {}
  Status Load();
  Status Rewrite();  // the file with latest_ alone, written aside and renamed

  leveldb::Env* const env_;
  const std::string path_;
  const bool read_only_;
  mutable std::mutex mu_;
  std::optional<Mark> latest_;                 // guarded by mu_
  std::unique_ptr<leveldb::WritableFile> out_;  // guarded by mu_; opened at the first Record
  uint64_t file_bytes_ = 0;                    // guarded by mu_
};

}  // namespace custos
