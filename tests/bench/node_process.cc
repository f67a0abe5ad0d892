#include "tests/bench/node_process.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <cstring>
#include <deque>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include <kj/exception.h>

#include <iostream>

#include "crypto/note.h"
#include "tests/bench/bench_util.h"

namespace custos::bench {

namespace {

constexpr auto kPollInterval = std::chrono::milliseconds(20);

Status WriteText(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  out.close();
  if (!out) return Status::IOError("writing " + path + " failed");
  return Status::OK();
}

std::string ReadText(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// In the child between fork and exec: only async-signal-safe calls. The
// child dies with the benchmark (PR_SET_PDEATHSIG), has the default signal
// mask and SIGPIPE disposition, and writes both output streams to `log_fd`.
[[noreturn]] void ExecChild(char* const argv[], int log_fd, pid_t parent) {
  prctl(PR_SET_PDEATHSIG, SIGTERM);
  if (getppid() != parent) _exit(127);
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
  signal(SIGPIPE, SIG_DFL);
  int null_fd = open("/dev/null", O_RDONLY);
  if (null_fd >= 0) dup2(null_fd, STDIN_FILENO);
  dup2(log_fd, STDOUT_FILENO);
  dup2(log_fd, STDERR_FILENO);
  execv(argv[0], argv);
  static constexpr char kMessage[] = "custos_rpc_bench: exec of custosd failed\n";
  (void)!write(STDERR_FILENO, kMessage, sizeof kMessage - 1);
  _exit(127);
}

std::string DescribeExit(int wait_status) {
  if (WIFEXITED(wait_status)) return "exited with status " + std::to_string(WEXITSTATUS(wait_status));
  if (WIFSIGNALED(wait_status)) return "was killed by signal " + std::to_string(WTERMSIG(wait_status));
  return "ended (wait status " + std::to_string(wait_status) + ")";
}

}  // namespace

FederationPeer PeerOf(const NamedKey& node_key, const std::string& address, const std::string& agency_kind) {
  std::string vkey = NoteVerifier::ForKey(node_key.name, node_key.key.public_key()).ToString();
  return FederationPeer{node_key.name, vkey, address, agency_kind};
}

Result<NodeDir> PrepareNodeDir(const std::string& dir, const NamedKey& node_key) {
  NodeDir node{dir, node_key.name};
  std::error_code ec;
  std::filesystem::create_directories(node.data_dir(), ec);
  if (ec) return Status::IOError("cannot make " + node.data_dir() + ": " + ec.message());
  CUSTOS_RETURN_IF_ERROR(WriteKeyFile(node.key_file(), node_key));
  // The form `custos log init` writes (cli/common.cc DataDir::Save).
  nlohmann::json info = {{"format", 1}, {"origin", node.origin}, {"nodeKeyFile", node.key_file()}};
  CUSTOS_RETURN_IF_ERROR(WriteText(node.data_dir() + "/custos.json", info.dump(2) + "\n"));
  return node;
}

Status WriteNodeConfig(const NodeDir& node, const std::string& listen, const std::vector<FederationPeer>& peers) {
  nlohmann::json list = nlohmann::json::array();
  for (const FederationPeer& p : peers) {
    list.push_back({{"origin", p.origin},
                    {"verifierKey", p.verifier_key},
                    {"address", p.address},
                    {"agencyKind", p.agency_kind}});
  }
  nlohmann::json federation = {{"peers", list}};
  CUSTOS_RETURN_IF_ERROR(WriteText(node.federation_file(), federation.dump(2) + "\n"));
  // "info" logs start, stop and refused connections only; "debug" would log
  // every batch and connection, which the figures must not pay for.
  nlohmann::json config = {{"dataDir", "data"},
                           {"listen", listen},
                           {"federationFile", "federation.json"},
                           {"logLevel", "info"}};
  return WriteText(node.config_file(), config.dump(2) + "\n");
}

Result<uint16_t> FreeLocalPort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return Status::IOError(std::string("socket: ") + std::strerror(errno));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  bool ok = bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
            getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0;
  std::string error = ok ? "" : std::strerror(errno);
  close(fd);
  if (!ok) return Status::IOError("finding a free port on 127.0.0.1: " + error);
  return static_cast<uint16_t>(ntohs(addr.sin_port));
}

Result<std::unique_ptr<NodeProcess>> NodeProcess::Start(const std::string& custosd, const NodeDir& node,
                                                        double timeout_s) {
  std::filesystem::remove(node.address_file());
  std::vector<std::string> args = {custosd, "--config", node.config_file(), "--address-file", node.address_file()};
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  int log_fd = open(node.log_file().c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (log_fd < 0) return Status::IOError("opening " + node.log_file() + ": " + std::strerror(errno));
  pid_t parent = getpid();
  pid_t pid = fork();
  if (pid == 0) ExecChild(argv.data(), log_fd, parent);
  int fork_errno = errno;
  close(log_fd);
  if (pid < 0) return Status::IOError(std::string("fork: ") + std::strerror(fork_errno));
  std::unique_ptr<NodeProcess> process(new NodeProcess(pid, node.log_file()));
  CUSTOS_RETURN_IF_ERROR(process->WaitForAddress(node.address_file(), timeout_s));
  return process;
}

Status NodeProcess::WaitForAddress(const std::string& address_file, double timeout_s) {
  auto start = SteadyClock::now();
  while (SecondsSince(start) < timeout_s) {
    std::string text = ReadText(address_file);
    if (!text.empty()) {
      while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
      auto address = node::ParseHostPort(text, "address file");
      if (!address.ok()) return address.status();
      address_ = *address;
      return Status::OK();
    }
    if (!Running()) return Status::IOError("custosd stopped before it listened; " + log_file_ + ":\n" + LogTail());
    std::this_thread::sleep_for(kPollInterval);
  }
  return Status::IOError("custosd did not listen within " + std::to_string(timeout_s) + " s; " + log_file_ +
                         ":\n" + LogTail());
}

NodeProcess::~NodeProcess() {
  if (pid_ == 0) return;
  kill(pid_, SIGKILL);
  int ignored = 0;
  waitpid(pid_, &ignored, 0);
}

bool NodeProcess::Running() {
  if (pid_ == 0) return false;
  int status = 0;
  if (waitpid(pid_, &status, WNOHANG) == 0) return true;
  pid_ = 0;
  return false;
}

double NodeProcess::CpuSeconds() const {
  if (pid_ == 0) return 0;
  std::string stat = ReadText("/proc/" + std::to_string(pid_) + "/stat");
  // Fields after the command, which is in parentheses and may hold spaces:
  // state is field 3, utime 14, stime 15 (proc(5)).
  size_t close_paren = stat.rfind(')');
  if (close_paren == std::string::npos) return 0;
  std::istringstream fields(stat.substr(close_paren + 2));
  std::string skip;
  for (int field = 3; field < 14; ++field) fields >> skip;
  unsigned long long utime = 0, stime = 0;
  fields >> utime >> stime;
  return static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

std::string NodeProcess::LogTail(size_t lines) const {
  std::ifstream in(log_file_);
  std::deque<std::string> tail;
  for (std::string line; std::getline(in, line);) {
    tail.push_back(line);
    if (tail.size() > lines) tail.pop_front();
  }
  std::string out;
  for (const std::string& line : tail) out += "  " + line + "\n";
  return out;
}

bool NodeProcess::WaitExit(double timeout_s, int& wait_status) {
  auto start = SteadyClock::now();
  do {
    if (waitpid(pid_, &wait_status, WNOHANG) == pid_) {
      pid_ = 0;
      return true;
    }
    std::this_thread::sleep_for(kPollInterval);
  } while (SecondsSince(start) < timeout_s);
  return false;
}

Status NodeProcess::Stop(double timeout_s) {
  if (pid_ == 0) return Status::IOError("custosd had already stopped; " + log_file_ + ":\n" + LogTail());
  kill(pid_, SIGTERM);
  int wait_status = 0;
  if (!WaitExit(timeout_s, wait_status)) {
    kill(pid_, SIGKILL);
    waitpid(pid_, &wait_status, 0);
    pid_ = 0;
    return Status::IOError("custosd did not stop within " + std::to_string(timeout_s) + " s of SIGTERM (killed)");
  }
  if (WIFEXITED(wait_status) && WEXITSTATUS(wait_status) == 0) return Status::OK();
  return Status::IOError("custosd " + DescribeExit(wait_status) + " on SIGTERM; " + log_file_ + ":\n" + LogTail());
}

void Must(const Status& status, const std::string& what) {
  if (!status.ok()) throw BenchError(what + ": " + status.ToString());
}

int RunBenchmark(const char* program, bool keep, const std::string& json, const std::function<void(Report&)>& run) {
  const auto start = SteadyClock::now();
  Report report;
  try {
    run(report);
  } catch (const BenchError& e) {
    std::cerr << program << ": " << e.what() << "\n";
    if (!keep) std::cerr << program << ": (the scratch directory is removed; --keep keeps it)\n";
    return 1;
  } catch (const kj::Exception& e) {
    std::cerr << program << ": " << e.getDescription().cStr() << "\n";
    return 1;
  }
  report.AddFact("load at end", LoadAverage());
  report.AddFact("run time", std::to_string(static_cast<int>(SecondsSince(start))) + " s");
  if (!report.Finish(std::cout, json)) {
    std::cerr << program << ": writing " << json << " failed\n";
    return 1;
  }
  return 0;
}

}  // namespace custos::bench
