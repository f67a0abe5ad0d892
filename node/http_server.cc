#include <utility>  // before Boost (Boost 1.74 in C++20)

#include "node/http_server.h"

#include <spdlog/spdlog.h>

#include <array>
#include <atomic>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <mutex>
#include <optional>
#include <thread>
#include <type_traits>
#include <unordered_map>
#include <vector>

namespace custos::node {

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

// A token bucket per client address: `rate` tokens a second, up to `burst`.
class RateLimiter {
 public:
  RateLimiter(uint32_t rate, uint32_t burst) : rate_(rate), burst_(burst) {}

  bool Allow(const std::string& client) {
    if (rate_ == 0) return true;
    std::lock_guard lock(mu_);
    const Clock::time_point now = Clock::now();
    if (buckets_.size() >= kMaxClients) Forget(now);
    auto [it, fresh] = buckets_.try_emplace(client, Bucket{static_cast<double>(burst_), now});
    Bucket& b = it->second;
    if (!fresh) {
      b.tokens = std::min<double>(burst_, b.tokens + rate_ * std::chrono::duration<double>(now - b.at).count());
      b.at = now;
    }
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  }

 private:
  struct Bucket {
    double tokens;
    Clock::time_point at;
  };
  static constexpr size_t kMaxClients = 65536;
  // Drops the buckets that have refilled (their clients are back to a full
  // burst anyway), so that many addresses cannot grow the map without bound.
  void Forget(Clock::time_point now) {
    std::erase_if(buckets_, [&](const auto& kv) {
      return kv.second.tokens + rate_ * std::chrono::duration<double>(now - kv.second.at).count() >= burst_;
    });
    if (buckets_.size() >= kMaxClients) buckets_.clear();
  }

  const uint32_t rate_, burst_;
  std::mutex mu_;
  std::unordered_map<std::string, Bucket> buckets_;  // guarded by mu_
};

// Connections open per client address, at most `cap` each (0: no cap).
class ClientCounts {
 public:
  explicit ClientCounts(uint32_t cap) : cap_(cap) {}
  // Counts a connection of `client`; false (and not counted) at the cap.
  bool Enter(const std::string& client) {
    std::lock_guard lock(mu_);
    auto [it, fresh] = open_.try_emplace(client, 0);
    if (cap_ != 0 && it->second >= cap_) return false;
    ++it->second;
    return true;
  }
  void Leave(const std::string& client) {
    std::lock_guard lock(mu_);
    auto it = open_.find(client);
    if (it != open_.end() && --it->second == 0) open_.erase(it);
  }

 private:
  const uint32_t cap_;
  std::mutex mu_;
  std::unordered_map<std::string, uint32_t> open_;  // guarded by mu_; a count of 0 only for cap_ 0
};

// The server side of TLS 1.2 and 1.3 with the configured certificate chain
// and key; IOError naming the field whose file cannot be used.
Result<std::unique_ptr<asio::ssl::context>> MakeTlsContext(const HttpConfig& config) {
  for (const auto& [field, file] : {std::pair{"http.tls.certificate", &config.tls_certificate_file},
                                    std::pair{"http.tls.key", &config.tls_key_file}}) {
    if (!std::ifstream(*file).good()) {
      return Status::IOError(std::string(field) + " " + *file + ": cannot be read: " + std::strerror(errno));
    }
  }
  auto ctx = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_server);
  boost::system::error_code ec;
  ctx->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                       asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 | asio::ssl::context::no_tlsv1_1,
                   ec);
  ctx->use_certificate_chain_file(config.tls_certificate_file, ec);
  if (ec) {
    return Status::IOError("http.tls.certificate " + config.tls_certificate_file +
                           ": not a PEM certificate chain that can be read: " + ec.message());
  }
  ctx->use_private_key_file(config.tls_key_file, asio::ssl::context::pem, ec);
  if (ec) {
    return Status::IOError("http.tls.key " + config.tls_key_file + ": not a PEM private key that can be read, or not " +
                           "the certificate's: " + ec.message());
  }
  return ctx;
}

}  // namespace

Status CheckHttpTls(const HttpConfig& config) {
  if (config.tls_certificate_file.empty()) return Status::OK();
  return MakeTlsContext(config).status();
}

class HttpServer::Impl {
 public:
  Impl(const HttpConfig& config, std::shared_ptr<const HttpRoutes> routes, std::shared_ptr<spdlog::logger> logger)
      : config_(config),
        routes_(std::move(routes)),
        logger_(std::move(logger)),
        io_(static_cast<int>(config.threads)),
        acceptor_(io_),
        limiter_(config.requests_per_second, config.burst),
        clients_(config.max_connections_per_client) {}

  ~Impl() { Stop(); }

  Status Start() {
    if (!config_.tls_certificate_file.empty()) {
      auto tls = MakeTlsContext(config_);
      if (!tls.ok()) return tls.status();
      tls_ = std::move(tls).value();
    }
    const std::string where = "http.listen " + config_.listen.ToString();
    boost::system::error_code ec;
    tcp::resolver resolver(io_);
    auto endpoints = resolver.resolve(config_.listen.host, std::to_string(config_.listen.port), ec);
    if (ec || endpoints.empty()) return Status::IOError(where + ": cannot resolve: " + ec.message());
    const tcp::endpoint endpoint = endpoints.begin()->endpoint();
    acceptor_.open(endpoint.protocol(), ec);
    if (!ec) acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) acceptor_.bind(endpoint, ec);
    if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) return Status::IOError(where + ": cannot listen: " + ec.message());
    Accept();
    for (uint32_t i = 0; i < config_.threads; ++i) threads_.emplace_back([this] { io_.run(); });
    return Status::OK();
  }

  std::string address() const {
    boost::system::error_code ec;
    const tcp::endpoint bound = acceptor_.local_endpoint(ec);
    return HostPort{config_.listen.host, ec ? uint16_t{0} : bound.port()}.ToString();
  }

  void Stop() {
    io_.stop();
    for (auto& t : threads_) t.join();
    threads_.clear();
  }

  const HttpConfig& config() const { return config_; }
  const HttpRoutes& routes() const { return *routes_; }
  spdlog::logger& logger() const { return *logger_; }
  RateLimiter& limiter() { return limiter_; }
  ClientCounts& clients() { return clients_; }
  std::atomic<uint32_t>& open() { return open_; }
  std::atomic<uint64_t>& refused() { return refused_; }
  asio::ssl::context& tls() { return *tls_; }

 private:
  void Accept();

  const HttpConfig config_;
  std::shared_ptr<const HttpRoutes> routes_;
  std::shared_ptr<spdlog::logger> logger_;
  asio::io_context io_;
  tcp::acceptor acceptor_;
  RateLimiter limiter_;
  ClientCounts clients_;
  std::atomic<uint32_t> open_{0};
  std::atomic<uint64_t> refused_{0};  // connections refused at max_connections
  std::unique_ptr<asio::ssl::context> tls_;  // set: HTTPS only
  std::vector<std::thread> threads_;
};

namespace {

// One connection: reads requests one after another (keep-alive) and answers
// each; counted in the server's open connections while it lives. With kTls,
// over TLS: the handshake first, a TLS close at the end.
template <bool kTls>
class Session : public std::enable_shared_from_this<Session<kTls>> {
 public:
  Session(tcp::socket socket, HttpServer::Impl& server)
      : stream_(MakeStream(std::move(socket), server)),
        server_(server),
        timeout_(std::chrono::seconds(server.config().timeout_s)) {
    boost::system::error_code ec;
    const auto remote = Socket().remote_endpoint(ec);
    client_ = ec ? "?" : remote.address().to_string();
    counted_ = server_.open().fetch_add(1) < server_.config().max_connections;
    admitted_ = server_.clients().Enter(client_);
  }
  ~Session() {
    server_.open().fetch_sub(1);
    if (admitted_) server_.clients().Leave(client_);
  }

  void Start() {
    if constexpr (kTls) {
      Lowest().expires_after(timeout_);
      stream_.async_handshake(asio::ssl::stream_base::server, [self = this->shared_from_this()](beast::error_code ec) {
        if (ec) {
          self->Lowest().close();  // not TLS, or a client that gave up: nothing to answer
          return;
        }
        self->Serve();
      });
    } else {
      Serve();
    }
  }

 private:
  using Stream = std::conditional_t<kTls, beast::ssl_stream<beast::tcp_stream>, beast::tcp_stream>;

  static Stream MakeStream(tcp::socket socket, HttpServer::Impl& server) {
    if constexpr (kTls) {
      return Stream(beast::tcp_stream(std::move(socket)), server.tls());
    } else {
      return Stream(std::move(socket));
    }
  }
  beast::tcp_stream& Lowest() { return beast::get_lowest_layer(stream_); }
  tcp::socket& Socket() { return Lowest().socket(); }

  void Serve() {
    if (!counted_) {
      server_.refused().fetch_add(1);
      HttpResponse busy = Problem(503, "too-many-connections", "the node has as many connections open as it takes; retry");
      busy.headers.emplace_back("Retry-After", "1");
      Refuse(std::move(busy));
      return;
    }
    if (!admitted_) {
      server_.refused().fetch_add(1);
      HttpResponse busy = Problem(503, "too-many-connections-from-client",
                                  client_ + " has " + std::to_string(server_.config().max_connections_per_client) +
                                      " connections open, as many as one client address may; retry");
      busy.headers.emplace_back("Retry-After", "1");
      Refuse(std::move(busy));
      return;
    }
    Read();
  }

  void Read() {
    parser_.emplace();
    parser_->header_limit(server_.config().max_header_bytes);
    parser_->body_limit(server_.config().max_body_bytes);
    Lowest().expires_after(timeout_);
    http::async_read(stream_, buffer_, *parser_,
                     [self = this->shared_from_this()](beast::error_code ec, size_t) { self->OnRead(ec); });
  }

  void OnRead(beast::error_code ec) {
    if (ec == http::error::end_of_stream || ec == asio::error::eof || ec == beast::error::timeout ||
        ec == asio::error::connection_reset || ec == asio::error::operation_aborted) {
      Close();
      return;
    }
    if (ec == http::error::header_limit) {
      Refuse(Problem(431, "headers-too-large",
                     "the request line and headers exceed " + std::to_string(server_.config().max_header_bytes) + " bytes"));
      return;
    }
    if (ec == http::error::body_limit) {
      Refuse(Problem(413, "body-too-large",
                     "the request body exceeds " + std::to_string(server_.config().max_body_bytes) + " bytes"));
      return;
    }
    if (ec) {
      Refuse(Problem(400, "malformed-request", "not an HTTP/1.1 request: " + ec.message()));
      return;
    }
    const auto& request = parser_->get();
    const bool head = request.method() == http::verb::head;
    HttpResponse response;
    if (!server_.limiter().Allow(client_)) {
      response = Problem(429, "rate-limited", "more than " + std::to_string(server_.config().requests_per_second) +
                                                  " requests a second from " + client_ + "; retry");
      response.headers.emplace_back("Retry-After", "1");
      server_.routes().Count(429);
    } else {
      response = server_.routes().Handle(HttpRequest{std::string(request.method_string()),
                                                     std::string(request.target()), request.body(),
                                                     std::string(request[http::field::authorization])});
    }
    server_.logger().debug("http {} {} {} {}", client_, std::string(request.method_string()),
                           std::string(request.target()), response.status);
    Send(std::move(response), !request.keep_alive(), head);
  }

  // Sends a response the routes did not make (they count their own).
  void Refuse(HttpResponse r) {
    server_.routes().Count(r.status);
    Send(std::move(r), /*close=*/true, /*head=*/false);
  }

  void Send(HttpResponse r, bool close, bool head) {
    response_ = {};
    response_.version(11);
    response_.result(r.status);
    response_.set(http::field::server, "custosd");
    if (!r.content_type.empty()) response_.set(http::field::content_type, r.content_type);
    if (!r.cache_control.empty()) response_.set(http::field::cache_control, r.cache_control);
    for (auto& [name, value] : r.headers) response_.set(name, value);
    response_.keep_alive(!close);
    const size_t length = r.body.size();
    if (!head) response_.body() = std::move(r.body);
    response_.content_length(length);
    Lowest().expires_after(timeout_);
    http::async_write(stream_, response_, [self = this->shared_from_this(), close](beast::error_code ec, size_t) {
      if (ec || close) {
        self->Close();
        return;
      }
      self->Read();
    });
  }

  // Ends the connection: no more to send, then what the client still sends
  // is read and dropped (for at most a second) before the socket closes.
  // Closing with unread bytes would reset the connection, and a client still
  // sending an oversized request could lose the 413/431 answer to the reset.
  // Over TLS, the close_notify exchange (a second at most) does the same.
  void Close() {
    Lowest().expires_after(std::chrono::seconds(1));
    if constexpr (kTls) {
      stream_.async_shutdown([self = this->shared_from_this()](beast::error_code) { self->Lowest().close(); });
    } else {
      boost::system::error_code ignored;
      Socket().shutdown(tcp::socket::shutdown_send, ignored);
      Drain();
    }
  }

  void Drain() {
    Lowest().async_read_some(asio::buffer(drain_), [self = this->shared_from_this()](beast::error_code ec, size_t) {
      if (ec) {
        self->Lowest().close();
        return;
      }
      self->Drain();
    });
  }

  Stream stream_;
  HttpServer::Impl& server_;
  const std::chrono::seconds timeout_;
  std::string client_;
  bool counted_ = false;   // within max_connections
  bool admitted_ = false;  // within max_connections_per_client (then counted there)
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::array<char, 4096> drain_;
  http::response<http::string_body> response_;
};

}  // namespace

void HttpServer::Impl::Accept() {
  acceptor_.async_accept(asio::make_strand(io_), [this](boost::system::error_code ec, tcp::socket socket) {
    if (ec == asio::error::operation_aborted) return;
    if (!ec) {
      if (tls_) {
        std::make_shared<Session<true>>(std::move(socket), *this)->Start();
      } else {
        std::make_shared<Session<false>>(std::move(socket), *this)->Start();
      }
    } else {
      logger_->warn("http: accept failed: {}", ec.message());
    }
    Accept();
  });
}

HttpServer::HttpServer(const HttpConfig& config, std::shared_ptr<const HttpRoutes> routes,
                       std::shared_ptr<spdlog::logger> logger)
    : impl_(std::make_unique<Impl>(config, std::move(routes), std::move(logger))) {}

HttpServer::~HttpServer() = default;

Status HttpServer::Start() { return impl_->Start(); }
std::string HttpServer::address() const { return impl_->address(); }
void HttpServer::Stop() { impl_->Stop(); }
size_t HttpServer::open_connections() const { return impl_->open().load(); }
uint64_t HttpServer::refused_connections() const { return impl_->refused().load(); }

}  // namespace custos::node
