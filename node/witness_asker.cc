#include <utility>  // before Boost (Boost 1.74 in C++20)

#include "node/witness_asker.h"

#include <spdlog/spdlog.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include "crypto/text.h"
#include "ledger/log/log.h"
#include "ledger/tlog/checkpoint.h"
#include "ledger/tlog/witness_request.h"
#include "node/metrics.h"

namespace custos::node {

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

constexpr auto kTimeout = std::chrono::seconds(10);
constexpr size_t kMaxAnswerBytes = 64 * 1024;

struct Reply {
  unsigned status = 0;
  std::string content_type;
  std::string body;
};

// Runs the operation `start` begins on `io` until it completes; its error.
template <typename Start>
beast::error_code Run(asio::io_context& io, Start start) {
  beast::error_code result = asio::error::would_block;
  start([&result](beast::error_code ec, auto&&...) { result = ec; });
  io.restart();
  io.run();
  return result;
}

template <typename Stream>
Result<Reply> Exchange(asio::io_context& io, Stream& stream, const http::request<http::string_body>& request) {
  auto& lowest = beast::get_lowest_layer(stream);
  lowest.expires_after(kTimeout);
  if (auto ec = Run(io, [&](auto done) { http::async_write(stream, request, done); })) {
    return Status::IOError("sending: " + ec.message());
  }
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(kMaxAnswerBytes);
  lowest.expires_after(kTimeout);
  if (auto ec = Run(io, [&](auto done) { http::async_read(stream, buffer, parser, done); })) {
    return Status::IOError("reading the answer: " + ec.message());
  }
  const auto& response = parser.get();
  return Reply{response.result_int(), std::string(response[http::field::content_type]), response.body()};
}

// `ca_file`: the PEM certificates an https:// witness must chain to; "" for the system's.
Result<Reply> Post(const WitnessUrl& url, const std::string& ca_file, std::string body) {
  asio::io_context io;
  http::request<http::string_body> request{http::verb::post, url.path + "/add-checkpoint", 11};
  request.set(http::field::host, url.host);
  request.set(http::field::user_agent, "custosd");
  request.set(http::field::content_type, "text/plain; charset=utf-8");
  request.body() = std::move(body);
  request.prepare_payload();
  beast::error_code ec;
  tcp::resolver resolver(io);
  auto endpoints = resolver.resolve(url.host, url.port, ec);
  if (ec) return Status::IOError("resolving " + url.host + ": " + ec.message());
  if (!url.tls) {
    beast::tcp_stream stream(io);
    stream.expires_after(kTimeout);
    if ((ec = Run(io, [&](auto done) { stream.async_connect(endpoints, done); }))) {
      return Status::IOError("connecting: " + ec.message());
    }
    return Exchange(io, stream, request);
  }
  asio::ssl::context tls(asio::ssl::context::tls_client);
  if (ca_file.empty()) {
    tls.set_default_verify_paths(ec);
  } else {
    tls.load_verify_file(ca_file, ec);
    if (ec) return Status::IOError("caFile " + ca_file + ": " + ec.message());
  }
  tls.set_verify_mode(asio::ssl::verify_peer);
  tls.set_verify_callback(asio::ssl::host_name_verification(url.host));
  beast::ssl_stream<beast::tcp_stream> stream(io, tls);
  // SSL_set_tlsext_host_name, a macro with a C cast in it.
  if (SSL_ctrl(stream.native_handle(), SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
               const_cast<char*>(url.host.c_str())) != 1) {
    return Status::IOError("TLS: cannot set the server name " + url.host);
  }
  beast::get_lowest_layer(stream).expires_after(kTimeout);
  if ((ec = Run(io, [&](auto done) { beast::get_lowest_layer(stream).async_connect(endpoints, done); }))) {
    return Status::IOError("connecting: " + ec.message());
  }
  if ((ec = Run(io, [&](auto done) { stream.async_handshake(asio::ssl::stream_base::client, done); }))) {
    return Status::IOError("TLS handshake: " + ec.message());
  }
  return Exchange(io, stream, request);
}

}  // namespace

Result<WitnessUrl> ParseWitnessUrl(std::string_view url) {
  WitnessUrl out;
  std::string_view rest = url;
  if (rest.starts_with("http://")) {
    rest.remove_prefix(7);
  } else if (rest.starts_with("https://")) {
    rest.remove_prefix(8);
    out.tls = true;
  } else {
    return Status::InvalidArgument("must begin with http:// or https://");
  }
  const size_t slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  out.path = slash == std::string_view::npos ? "" : std::string(rest.substr(slash));
  while (!out.path.empty() && out.path.back() == '/') out.path.pop_back();
  if (out.path.find_first_of("?# ") != std::string::npos) return Status::InvalidArgument("no query or fragment, please");
  // host, host:port, [v6], [v6]:port
  std::string_view port;
  if (authority.starts_with('[')) {
    const size_t close = authority.find(']');
    if (close == std::string_view::npos) return Status::InvalidArgument("an IPv6 address without its ']'");
    std::string_view after = authority.substr(close + 1);
    if (!after.empty() && !after.starts_with(':')) return Status::InvalidArgument("text after the IPv6 address");
    port = after.empty() ? "" : after.substr(1);
    if (!after.empty() && port.empty()) return Status::InvalidArgument("an empty port");
    authority = authority.substr(1, close - 1);
  } else if (const size_t colon = authority.rfind(':'); colon != std::string_view::npos) {
    port = authority.substr(colon + 1);
    if (port.empty()) return Status::InvalidArgument("an empty port");
    authority = authority.substr(0, colon);
  }
  if (port.empty()) {
    out.port = out.tls ? "443" : "80";
  } else {
    uint64_t n = 0;
    if (!ParseDecimal(port, &n) || n == 0 || n > 65535) {
      return Status::InvalidArgument("the port is not a number from 1 to 65535");
    }
    out.port = std::to_string(n);
  }
  if (authority.empty()) return Status::InvalidArgument("no host");
  out.host = std::string(authority);
  return out;
}

struct WitnessAsker::Asked {
  OutsideWitness witness;
  WitnessUrl url;
  uint64_t held = 0;          // the size the witness is believed to hold
  uint64_t cosigned = 0;      // the largest size it cosigned for this node
  std::string last_error;     // logged once until it changes
  bool given_up = false;      // after an alarm
};

WitnessAsker::WitnessAsker(Log& log, std::vector<OutsideWitness> witnesses, std::shared_ptr<spdlog::logger> logger,
                           NodeMetrics* metrics, std::chrono::milliseconds interval)
    : log_(log), logger_(std::move(logger)), metrics_(metrics), interval_(interval) {
  for (auto& w : witnesses) {
    auto url = ParseWitnessUrl(w.url);  // the config checked it
    witnesses_.push_back(std::make_unique<Asked>(Asked{std::move(w), url.ok() ? *url : WitnessUrl{}, 0, 0, "", false}));
  }
}

WitnessAsker::~WitnessAsker() { Stop(); }

void WitnessAsker::Start() {
  thread_ = std::thread([this] { Loop(); });
}

void WitnessAsker::Stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

std::vector<std::string> WitnessAsker::Alarms() const {
  std::lock_guard lock(mu_);
  return alarms_;
}

void WitnessAsker::Loop() {
  for (;;) {
    for (auto& w : witnesses_) {
      for (int again = 0; again < 3 && !w->given_up && Ask(*w); ++again) {
      }
    }
    std::unique_lock lock(mu_);
    if (wake_.wait_for(lock, interval_, [this] { return stopping_; })) return;
  }
}

bool WitnessAsker::Ask(Asked& w) {
  const std::string note = log_.checkpoint();
  auto parsed = Note::Parse(note);
  auto cp = parsed.ok() ? Checkpoint::Parse(parsed->text) : Result<Checkpoint>(parsed.status());
  if (!cp.ok() || cp->size <= w.cosigned) return false;  // nothing new to cosign
  const std::string who = "outside witness " + w.witness.verifier.name + " (" + w.witness.url + ")";
  auto fail = [&](const std::string& what) {
    if (what != w.last_error) logger_->warn("{}: {}", who, what);
    w.last_error = what;
    return false;
  };
  merkle::AddCheckpointRequest request{std::min(w.held, cp->size), {}, note};
  if (request.old_size > 0 && request.old_size < cp->size) {
    auto proof = log_.ConsistencyProof(request.old_size, cp->size);
    if (!proof.ok()) return fail("consistency proof from " + std::to_string(request.old_size) + ": " + proof.status().ToString());
    request.proof = std::move(proof).value();
  }
  auto reply = Post(w.url, w.witness.ca_file, merkle::FormatAddCheckpoint(request));
  if (!reply.ok()) return fail(reply.status().message());
  if (reply->status == 409 && reply->content_type.starts_with("text/x.tlog.size")) {
    std::string_view body = reply->body;
    while (!body.empty() && (body.back() == '\n' || body.back() == '\r')) body.remove_suffix(1);
    uint64_t size = 0;
    if (!ParseDecimal(body, &size)) return fail("409 with a size that is not a number");
    if (size > log_.size()) {
      const std::string alarm = who + " holds size " + std::to_string(size) + " of this log, which has " +
                                std::to_string(log_.size()) + (log_.size() == 1 ? " entry" : " entries") +
                                ": it saw a checkpoint this node never " +
                                "signed, or another history; no longer asked";
      logger_->error("{}", alarm);
      std::lock_guard lock(mu_);
      alarms_.push_back(alarm);
      w.given_up = true;
      return false;
    }
    logger_->info("{} holds size {}; asking from there", who, size);
    w.held = size;
    return size != request.old_size;  // at once, from the size it holds
  }
  if (reply->status != 200) {
    return fail("HTTP " + std::to_string(reply->status) + ": " + reply->body.substr(0, 200));
  }
  // The answer is one or more signature lines; each by the witness's key is checked and kept.
  auto lines = Note::Parse(parsed->text + "\n" + reply->body);
  if (!lines.ok()) return fail("the answer is not cosignature lines: " + lines.status().message());
  bool kept = false;
  for (const auto& sig : lines->signatures) {
    if (sig.name != w.witness.verifier.name || sig.key_id != w.witness.verifier.key_id) continue;
    Status st = log_.AddCosignature(note, sig.ToLine(), w.witness.verifier);
    if (!st.ok()) return fail("its cosignature is refused: " + st.ToString());
    kept = true;
  }
  if (!kept) return fail("200 without a cosignature by its key");
  if (metrics_ != nullptr) metrics_->CosignatureReceived();
  if (!w.last_error.empty()) logger_->info("{}: cosigning again", who);
  w.last_error.clear();
  w.held = w.cosigned = cp->size;
  logger_->debug("{} cosigned size {}", who, cp->size);
  return false;
}

}  // namespace custos::node
