// The HTTP/1.1 listener of the read plane (docs/http-api.md), on Boost.Asio
// and Boost.Beast: its own io_context and threads, beside the node's KJ event
// loop; what it answers is node/http_routes.h.
//
// Limits (node/config.h, HttpConfig): at most max_connections open at once,
// and max_connections_per_client from one client address (one more is
// answered 503 and closed); a request line and headers over
// max_header_bytes get 431, a body over max_body_bytes 413, a malformed
// request 400 (each closes the connection); a request not read, or a
// response not written, within timeout_s closes the connection; a client
// address that sends more than requests_per_second (bursts of `burst`) gets
// 429 with Retry-After. With http.tls, only HTTPS (TLS 1.2 or 1.3) is
// spoken; a client that does not complete the handshake within timeout_s is
// closed without an answer.
#pragma once

#include <memory>
#include <string>

#include "crypto/status.h"
#include "node/config.h"
#include "node/http_routes.h"

namespace spdlog {
class logger;
}  // namespace spdlog

namespace custos::node {

// OK if `config` asks for no TLS, or its certificate and key files can be
// used; IOError naming http.tls.certificate or http.tls.key otherwise (what
// Start would fail with; for --check-config).
Status CheckHttpTls(const HttpConfig& config);

class HttpServer {
 public:
  HttpServer(const HttpConfig& config, std::shared_ptr<const HttpRoutes> routes, std::shared_ptr<spdlog::logger> logger);
  // Stop().
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds config.listen and starts serving on config.threads threads.
  // IOError naming http.listen if the address cannot be resolved or bound.
  Status Start();
  // "host:port" bound (after Start; the real port when the config says 0).
  std::string address() const;
  // Connections open now, and refused at max_connections so far (any thread).
  size_t open_connections() const;
  uint64_t refused_connections() const;
  // Stops accepting, drops every connection, joins the threads. Idempotent.
  void Stop();

  class Impl;  // node/http_server.cc: the acceptor, the threads and what sessions share

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace custos::node
