// What the HTTP read plane answers (docs/http-api.md), apart from sockets:
// a request's method and target in, a response's status, headers and body
// out. node/http_server.h carries them over HTTP/1.1.
//
//   GET /                               the status page (node/status_page.h)
//   GET /healthz                        "ok", or 503 when the store is damaged
//   GET /readyz                         "ready", or 503 with the reason
//   GET /v1/logs                        the logs the node holds (JSON)
//   GET /v1/listings/<kind>/<id>        is a subject listed, with proof (node/http_queries.h)
//   POST /v1/listings/<kind>            the same for {"ids": [...]}
//   POST /add-checkpoint                C2SP tlog-witness, if configured (node/tlog_witness.h)
//   with a read token (Authorization: Bearer):
//   GET /v1/status                      the logs held, their sizes and checkpoints
//   GET /v1/logs/<origin>/entries/<i>[?size=N]     an entry, its inclusion proof, the checkpoint
//   GET /v1/logs/<origin>/consistency?old=M[&size=N]   a consistency proof
//   GET /v1/evidence/<alg>/<hex>        the evidence bundle of a content digest
//   GET /v1/cases/<case id>             the case trail, with proofs
//   GET /v1/audit/referrals[?at=T][&format=csv]   the referral audit, with proofs
//   GET /metrics                        Prometheus text (node/metrics.h)
//   GET /tlog/<origin>/checkpoint       C2SP tlog-tiles, for the node's own log
//   GET /tlog/<origin>/tile/<L>/<N>[.p/<W>]         and for every replica it
//   GET /tlog/<origin>/tile/entries/<N>[.p/<W>]     holds
//
// Errors are RFC 9457 problem details (application/problem+json) with a
// stable "code". Thread-safe: what it reads (HttpSources) is fixed when it is
// made, and each part is thread-safe.
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "crypto/bytes.h"
#include "ledger/storage/store.h"
#include "node/log_view.h"
#include "trust/federation_config.h"

namespace custos::node {

struct HttpRequest {
  std::string method;  // "GET", "HEAD", …
  std::string target;  // origin-form: path, then an optional "?query"
  std::string body;
  std::string authorization;  // the Authorization header, if any
};

// Who may read what: the read tokens (by the SHA-256 of each) and whether
// listing checks and the status page are public. Checkpoints, tiles,
// /v1/logs, /healthz and /readyz are.
struct HttpAccess {
  std::vector<std::pair<std::string, Hash>> read_tokens;  // name, SHA-256 of the token
  bool public_listings = true;
  bool public_status = true;
};

class TlogWitness;
class NodeMetrics;

// What the routes read, all of it shared with the rest of the node.
struct HttpSources {
  std::string origin;                          // the node's own log
  std::vector<std::shared_ptr<LogView>> logs;  // the own log and every replica
  std::shared_ptr<TlogWitness> witness;        // null: the node witnesses no outside log
  HttpAccess access;
  // Null: /metrics and the status page without the event loop's figures,
  // and /readyz never ready.
  std::shared_ptr<const NodeMetrics> metrics;
  // For the case trail and the referral audit; null: those answer 404.
  const Store* store = nullptr;
  trust::FederationConfig federation;  // which origins are bureaus; agency kinds
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

class HttpRoutes {
 public:
  explicit HttpRoutes(HttpSources sources);

  // Answers and counts the request (for /metrics).
  HttpResponse Handle(const HttpRequest& request) const;
  // Counts a response the server made itself (429, 431, 413, 400, 503).
  void Count(unsigned status) const;
  // Replaces the read tokens (any thread; SIGHUP reloads them from the config).
  void SetReadTokens(std::vector<std::pair<std::string, Hash>> tokens);

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
  HttpResponse Ready() const;
  HttpResponse StatusPage(std::string_view query) const;
  HttpResponse Audit(std::string_view query) const;
  // The store's damage, OK if none (or no log).
  Status Damage() const;

  const LogView* FindLog(std::string_view path, std::string_view root, size_t* prefix_length) const;

  const HttpSources s_;
  const std::vector<std::shared_ptr<LogView>>& logs_ = s_.logs;
  mutable std::atomic<bool> auditing_{false};  // one referral audit at a time
  mutable std::mutex tokens_mu_;
  std::vector<std::pair<std::string, Hash>> tokens_;  // guarded by tokens_mu_; s_.access's are the first
  mutable std::mutex counts_mu_;
  mutable std::map<unsigned, uint64_t> counts_;  // responses by status; guarded by counts_mu_
};

}  // namespace custos::node
