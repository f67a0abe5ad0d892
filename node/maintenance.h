// Operators' jobs on the node's store, asked for over RPC (verifyStore and
// backupStore in schema/rpc.capnp; `custos node verify | node backup`,
// docs/operations.md).
//
// Both copy the store as of one moment (ledger/log/backup.h reads under one
// LevelDB snapshot, so appends and replication go on meanwhile) and verify
// the copy in full: the own log and the replica of every federation peer
// the node holds. A verification then deletes its copy; a backup keeps it as
// a data directory a node can start from. The copy is what makes the check
// consistent: the verifier compares rule state and indexes with the entries,
// which a live store changes under it. It costs the disk space of one copy
// in the backup directory while it runs.
//
// Jobs run on a thread of their own, one at a time.
#pragma once

#include <kj/async.h>
#include <kj/timer.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "crypto/note.h"
#include "crypto/status.h"
#include "ledger/log/backup.h"
#include "node/config.h"
#include "node/offload.h"

namespace custos {
class Store;
}  // namespace custos

namespace custos::node {

// How far a job has come: `stage` is "copying" or "verifying ORIGIN".
struct JobProgress {
  std::string stage;
  uint64_t done = 0;
  uint64_t total = 0;
};

struct MaintenanceResult {
  std::string path;  // where the backup is; empty for a verification
  CheckedBackup backup;
};

class Maintenance {
 public:
  // Borrows `store` and `timer`, which must outlive this object. `config`
  // gives the backup directory, the origin and node key file a backup's
  // custos.json names, and the peers whose replicas a check covers.
  Maintenance(const Store& store, const NodeConfig& config, kj::Timer& timer);
  // Stops a running job at its next progress step, and waits for it.
  ~Maintenance();
  Maintenance(const Maintenance&) = delete;
  Maintenance& operator=(const Maintenance&) = delete;

  // Called on the event loop with the progress, about twice a second while it
  // changes; the next report waits for the promise it returns. A report that
  // fails stops the reporting, not the job.
  using ReportFn = std::function<kj::Promise<void>(const JobProgress&)>;

  // Call on the event loop. Rejects with OVERLOADED while another job runs,
  // with Corruption naming the first failed check, IOError for the disk.
  kj::Promise<MaintenanceResult> Verify(ReportFn report);
  // As Verify, keeping the copy as BACKUP_DIR/`name`. InvalidArgument for a
  // name that is not one plain file name (letters, digits, '.', '_', '-',
  // not starting with '.'), AlreadyExists if it is taken.
  kj::Promise<MaintenanceResult> Backup(const std::string& name, ReportFn report);

  // The directory Backup(name) writes.
  std::string BackupPath(const std::string& name) const { return backup_dir_ + "/" + name; }

 private:
  using Job = std::function<Result<MaintenanceResult>(const LogProgressFn&)>;
  struct Shared;
  kj::Promise<MaintenanceResult> Run(Job job, ReportFn report);
  kj::Promise<void> Relay(std::shared_ptr<Shared> shared, ReportFn report, uint64_t seen);

  const Store& store_;
  const std::string backup_dir_;
  const DataDirInfo info_;
  std::vector<NoteVerifier> replicas_;
  kj::Timer& timer_;
  bool busy_ = false;
  std::atomic<bool> stopping_{false};
  Offload worker_;  // last: its thread stops first
};

}  // namespace custos::node
