#include "node/maintenance.h"

#include <kj/debug.h>

#include <filesystem>
#include <mutex>
#include <system_error>

#include "ledger/storage/store.h"
#include "node/rpc_errors.h"

namespace custos::node {

namespace {

constexpr auto kReportEvery = 500 * kj::MILLISECONDS;

// The scratch copy of a verification, inside the backup directory: on the
// same file system as the backups, never taken for one (a leading '.' is not
// a backup name).
constexpr const char* kScratch = ".verify-scratch";

Status CheckBackupName(const std::string& name) {
  if (name.empty() || name.size() > 128) return Status::InvalidArgument("backup name: must be 1 to 128 characters");
  if (name[0] == '.') return Status::InvalidArgument("backup name \"" + name + "\" starts with '.'");
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
              c == '-';
    if (!ok) {
      return Status::InvalidArgument("backup name \"" + name +
                                     "\" is not a plain directory name (letters, digits, '.', '_' and '-')");
    }
  }
  return Status::OK();
}

Status MakeDirectories(const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return Status::IOError("cannot create " + dir + ": " + ec.message());
  return Status::OK();
}

}  // namespace

// The progress a job leaves for the event loop to report.
struct Maintenance::Shared {
  std::mutex mu;
  JobProgress progress;  // guarded by mu
  uint64_t version = 0;  // guarded by mu; counts updates
};

Maintenance::Maintenance(const Store& store, const NodeConfig& config, kj::Timer& timer)
    : store_(store),
      backup_dir_(std::filesystem::absolute(config.backup_dir).lexically_normal().string()),
      info_{config.origin, std::filesystem::absolute(config.node_key_file).string()},
      timer_(timer) {
  for (const auto& peer : config.federation.peers) replicas_.push_back(peer.verifier);
}

Maintenance::~Maintenance() {
  stopping_ = true;
  worker_.Stop();
}

kj::Promise<MaintenanceResult> Maintenance::Verify(ReportFn report) {
  const std::string scratch = backup_dir_ + "/" + kScratch;
  Job job = [this, scratch](const LogProgressFn& progress) -> Result<MaintenanceResult> {
    std::error_code ec;
    std::filesystem::remove_all(scratch, ec);  // left by a verification cut short
    CUSTOS_RETURN_IF_ERROR(MakeDirectories(scratch));
    auto checked = BackupAndVerify(store_, scratch + "/ledger", replicas_, progress);
    std::filesystem::remove_all(scratch, ec);
    if (!checked.ok()) return checked.status();
    return MaintenanceResult{"", std::move(checked).value()};
  };
  return Run(std::move(job), std::move(report));
}

kj::Promise<MaintenanceResult> Maintenance::Backup(const std::string& name, ReportFn report) {
  if (Status st = CheckBackupName(name); !st.ok()) return ToException(st);
  const std::string path = BackupPath(name);
  Job job = [this, path](const LogProgressFn& progress) -> Result<MaintenanceResult> {
    std::error_code ec;
    if (std::filesystem::exists(path, ec)) return Status::AlreadyExists("backup name: " + path + " exists");
    CUSTOS_RETURN_IF_ERROR(MakeDirectories(path));
    CUSTOS_ASSIGN_OR_RETURN(auto checked, BackupAndVerify(store_, path + "/ledger", replicas_, progress));
    CUSTOS_RETURN_IF_ERROR(SaveDataDirInfo(path, info_));
    return MaintenanceResult{path, std::move(checked)};
  };
  return Run(std::move(job), std::move(report));
}

kj::Promise<MaintenanceResult> Maintenance::Run(Job job, ReportFn report) {
  if (busy_) {
    return KJ_EXCEPTION(OVERLOADED, "the node is already verifying or backing up its store; retry when it ends");
  }
  busy_ = true;
  auto shared = std::make_shared<Shared>();
  std::atomic<bool>* stopping = &stopping_;
  auto work = worker_.Run([job = std::move(job), shared, stopping]() {
    auto result = job([&](const std::string& stage, uint64_t done, uint64_t total) {
      if (*stopping) kj::throwFatalException(KJ_EXCEPTION(DISCONNECTED, "the node is shutting down"));
      std::lock_guard lock(shared->mu);
      shared->progress = {stage, done, total};
      ++shared->version;
    });
    if (!result.ok()) kj::throwFatalException(ToException(result.status()));
    return kj::heap<MaintenanceResult>(std::move(result).value());
  });
  auto relay = report ? Relay(shared, std::move(report), 0) : kj::Promise<void>(kj::NEVER_DONE);
  return work.exclusiveJoin(relay.then([]() -> kj::Own<MaintenanceResult> { KJ_UNREACHABLE; }))
      .then([](kj::Own<MaintenanceResult>&& result) { return kj::mv(*result); })
      .attach(kj::defer([this] { busy_ = false; }));
}

kj::Promise<void> Maintenance::Relay(std::shared_ptr<Shared> shared, ReportFn report, uint64_t seen) {
  return timer_.afterDelay(kReportEvery).then([this, shared, report, seen]() mutable -> kj::Promise<void> {
    JobProgress now;
    uint64_t version;
    {
      std::lock_guard lock(shared->mu);
      now = shared->progress;
      version = shared->version;
    }
    kj::Promise<void> sent = version != seen ? report(now) : kj::Promise<void>(kj::READY_NOW);
    return sent.then([this, shared, report, version]() mutable { return Relay(shared, report, version); },
                     [](kj::Exception&&) -> kj::Promise<void> { return kj::NEVER_DONE; });
  });
}

}  // namespace custos::node
