#include <utility>  // before Boost (Boost 1.74 in C++20)

#include "tests/bench/http_load.h"

#include <atomic>
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <random>
#include <thread>

#include "tests/bench/bench_util.h"

namespace custos::bench {

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

// Largest answer read (a tile is 8 KiB, a listing answer a few).
constexpr uint64_t kMaxBodyBytes = 64 << 20;

class HttpFetcher final : public Fetcher {
 public:
  explicit HttpFetcher(const node::HostPort& address) : address_(address.ToString()), socket_(io_) {
    request_.version(11);
    request_.method(http::verb::get);
    request_.set(http::field::host, address_);
    request_.set(http::field::user_agent, "custos_http_bench");
    request_.keep_alive(true);
  }

  Status Connect(const node::HostPort& address) {
    beast::error_code ec;
    tcp::resolver resolver(io_);
    auto endpoints = resolver.resolve(address.host, std::to_string(address.port), ec);
    if (!ec) asio::connect(socket_, endpoints, ec);
    // The request goes out in one write; without this a client waits for
    // the server's delayed ACK whenever Nagle holds a segment back.
    if (!ec) socket_.set_option(tcp::no_delay(true), ec);
    if (ec) return Status::IOError("connecting to " + address_ + ": " + ec.message());
    return Status::OK();
  }

  Result<Answer> Get(const std::string& target) override {
    request_.target(target);
    beast::error_code ec;
    http::write(socket_, request_, ec);
    if (ec) return Status::IOError("sending GET " + target + " to " + address_ + ": " + ec.message());
    http::response_parser<http::string_body> parser;
    parser.body_limit(kMaxBodyBytes);
    http::read(socket_, buffer_, parser, ec);
    if (ec) return Status::IOError("reading the answer to GET " + target + " from " + address_ + ": " + ec.message());
    auto response = parser.release();
    // The benchmark's connections are kept alive: a node that closes one has
    // refused something (a limit), which the figures must not hide.
    if (!response.keep_alive()) {
      return Status::IOError("GET " + target + ": the node closed the connection (status " +
                             std::to_string(response.result_int()) + ": " + response.body() + ")");
    }
    return Answer{response.result_int(), std::move(response.body())};
  }

 private:
  const std::string address_;
  asio::io_context io_;
  tcp::socket socket_;
  beast::flat_buffer buffer_;
  http::request<http::empty_body> request_;
};

class RoutesFetcher final : public Fetcher {
 public:
  explicit RoutesFetcher(const node::HttpRoutes& routes) : routes_(routes) {}

  Result<Answer> Get(const std::string& target) override {
    node::HttpResponse r = routes_.Handle(node::HttpRequest{"GET", target, "", ""});
    return Answer{r.status, std::move(r.body)};
  }

 private:
  const node::HttpRoutes& routes_;
};

enum Phase : int { kWarmup, kMeasure, kStop };

struct ThreadFigures {
  uint64_t requests = 0;
  uint64_t body_bytes = 0;
  std::vector<double> latency_us;
  Status status;
};

// One thread's closed loop until the phase is kStop; counts the answers
// completed while it is kMeasure.
Status AskLoop(Fetcher& fetcher, const Requests& requests, uint64_t seed, const std::atomic<int>& phase,
               ThreadFigures& out) {
  std::mt19937_64 rng(seed);
  for (uint64_t n = 0; phase.load(std::memory_order_relaxed) != kStop; ++n) {
    const size_t i = rng() % requests.targets.size();
    const auto start = SteadyClock::now();
    CUSTOS_ASSIGN_OR_RETURN(Answer answer, fetcher.Get(requests.targets[i]));
    CUSTOS_RETURN_IF_ERROR(requests.check(i, requests.targets[i], answer, n % kThoroughEvery == 0));
    const auto end = SteadyClock::now();
    if (phase.load(std::memory_order_relaxed) != kMeasure) continue;
    ++out.requests;
    out.body_bytes += answer.body.size();
    out.latency_us.push_back(Seconds(end - start) * 1e6);
  }
  return Status::OK();
}

// Sleeps `seconds`, or less if a thread has stopped the run; false then.
bool SleepUnlessStopped(double seconds, const std::atomic<int>& phase) {
  const auto start = SteadyClock::now();
  while (SecondsSince(start) < seconds) {
    if (phase.load() == kStop) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return phase.load() != kStop;
}

}  // namespace

Result<std::unique_ptr<Fetcher>> ConnectHttp(const node::HostPort& address) {
  auto fetcher = std::make_unique<HttpFetcher>(address);
  CUSTOS_RETURN_IF_ERROR(fetcher->Connect(address));
  return std::unique_ptr<Fetcher>(std::move(fetcher));
}

std::unique_ptr<Fetcher> InProcess(const node::HttpRoutes& routes) { return std::make_unique<RoutesFetcher>(routes); }

Result<LoadRun> RunClosedLoop(std::vector<std::unique_ptr<Fetcher>>& fetchers, const Requests& requests,
                              double warmup_s, double seconds, uint64_t seed,
                              const std::function<double()>& other_cpu) {
  std::atomic<int> phase{kWarmup};
  std::vector<ThreadFigures> per(fetchers.size());
  std::vector<std::thread> threads;
  for (size_t t = 0; t < fetchers.size(); ++t) {
    threads.emplace_back([&, t] {
      per[t].status = AskLoop(*fetchers[t], requests, seed + t, phase, per[t]);
      if (!per[t].status.ok()) phase.store(kStop);
    });
  }
  LoadRun run;
  if (SleepUnlessStopped(warmup_s, phase)) {
    PhaseMeter meter;
    const double other_before = other_cpu ? other_cpu() : 0;
    meter.Resume();
    const auto start = SteadyClock::now();
    int expected = kWarmup;
    phase.compare_exchange_strong(expected, kMeasure);
    SleepUnlessStopped(seconds, phase);
    phase.store(kStop);
    run.seconds = SecondsSince(start);
    meter.Pause();
    run.self = meter.Usage();
    run.other_cpu_s = other_cpu ? other_cpu() - other_before : 0;
  }
  for (auto& t : threads) t.join();
  for (ThreadFigures& f : per) {
    CUSTOS_RETURN_IF_ERROR(f.status);
    run.requests += f.requests;
    run.body_bytes += f.body_bytes;
    run.latency_us.insert(run.latency_us.end(), f.latency_us.begin(), f.latency_us.end());
  }
  if (run.requests == 0) return Status::Aborted("no answer completed in the measured window");
  return run;
}

}  // namespace custos::bench
