// What the HTTP read plane answers (docs/http-api.md), apart from sockets:
// a request's method and target in, a response's status, headers and body
// out. node/http_server.h carries them over HTTP/1.1.
//
//   GET /healthz                        "ok", or 503 when the store is damaged
//   GET /v1/logs                        the logs the node holds (JSON)
//   GET /v1/listings/<kind>/<id>        is a subject listed, with proof (node/http_queries.h)
//   POST /v1/listings/<kind>            the same for {"ids": [...]}
//   POST /add-checkpoint                C2SP tlog-witness, if configured (node/tlog_witness.h)
//   with a read token (Authorization: Bearer):
//   GET /v1/status                      the logs held, their sizes and checkpoints
//   GET /v1/logs/<origin>/entries/<i>[?size=N]     an entry, its inclusion proof, the checkpoint
//   GET /v1/logs/<origin>/consistency?old=M[&size=N]   a consistency proof
//   GET /v1/evidence/<alg>/<hex>        the evidence bundle of a content digest
//   GET /metrics                        Prometheus text: requests by status, log sizes
//   GET /tlog/<origin>/checkpoint       C2SP tlog-tiles, for the node's own log
//   GET /tlog/<origin>/tile/<L>/<N>[.p/<W>]         and for every replica it
//   GET /tlog/<origin>/tile/entries/<N>[.p/<W>]     holds
//
// Errors are RFC 9457 problem details (application/problem+json) with a
// stable "code". Thread-safe: the logs are fixed when it is made, and each
// LogView is thread-safe.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "crypto/bytes.h"
#include "node/log_view.h"

namespace custos::node {

struct HttpRequest {
  std::string method;  // "GET", "HEAD", …
  std::string target;  // origin-form: path, then an optional "?query"
  std::string body;
  std::string authorization;  // the Authorization header, if any
};

// Who may read what: the read tokens (by the SHA-256 of each) and whether
// listing checks are public. Checkpoints, tiles, /v1/logs and /healthz are.
struct HttpAccess {
  std::vector<std::pair<std::string, Hash>> read_tokens;  // name, SHA-256 of the token
  bool public_listings = true;
};

struct HttpResponse {
  unsigned status = 200;
  std::string content_type;
  std::string cache_control;  // empty: no Cache-Control header
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // others (Allow, Retry-After)
};

// An RFC 9457 problem: {"type": "urn:custos:problem:<code>", "title", "status",
// "detail", "code"}, not cached.
HttpResponse Problem(unsigned status, std::string_view code, std::string_view detail);

// A failed read as a problem: NotFound 404 not-found, InvalidArgument 400
// bad-request, Corruption 500 damaged-store, FailedPrecondition 500
// cannot-serve, anything else 500 internal.
HttpResponse ProblemFromStatus(const Status& status);

// The URL path prefix of a log's tlog-tiles resources: "/tlog/<origin>/".
std::string TlogPrefix(std::string_view origin);

class TlogWitness;

class HttpRoutes {
 public:
  // `witness` may be null: the node witnesses no outside log.
  explicit HttpRoutes(std::vector<std::shared_ptr<LogView>> logs, std::shared_ptr<TlogWitness> witness = nullptr,
                      HttpAccess access = {});

  // Answers and counts the request (for /metrics).
  HttpResponse Handle(const HttpRequest& request) const;
  // Counts a response the server made itself (429, 431, 413, 400, 503).
  void Count(unsigned status) const;

 private:
  HttpResponse Route(const HttpRequest& request) const;
  // The name of the read token the request carries; nullopt if none is valid.
  std::optional<std::string> Reader(const HttpRequest& request) const;
  HttpResponse LogQuery(std::string_view path, std::string_view query) const;
  HttpResponse Metrics() const;
  HttpResponse Listings(const HttpRequest& request, std::string_view rest) const;
  HttpResponse Tlog(const LogView& log, std::string_view resource) const;
  HttpResponse Logs() const;
  HttpResponse Health() const;

  const LogView* FindLog(std::string_view path, std::string_view root, size_t* prefix_length) const;

  std::vector<std::shared_ptr<LogView>> logs_;
  std::shared_ptr<TlogWitness> witness_;
  HttpAccess access_;
  mutable std::mutex counts_mu_;
  mutable std::map<unsigned, uint64_t> counts_;  // responses by status; guarded by counts_mu_
};

}  // namespace custos::node
