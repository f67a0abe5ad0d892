#include "node/http_routes.h"

#include <nlohmann/json.hpp>
#include <sodium.h>

#include <leveldb/db.h>

#include <cctype>
#include <chrono>
#include <optional>

#include "crypto/sha256.h"
#include "ledger/query/published.h"
#include "ledger/storage/store.h"
#include "ledger/tlog/checkpoint.h"
#include "ledger/tlog/tile_path.h"
#include "node/http_queries.h"
#include "node/metrics.h"
#include "node/status_page.h"
#include "node/tlog_witness.h"

namespace custos::node {

namespace {

constexpr std::string_view kTlogRoot = "/tlog/";
// Full and partial tiles alike never change (a partial tile of width W is
// the first W hashes for ever); the checkpoint moves with every batch.
constexpr std::string_view kImmutable = "public, max-age=31536000, immutable";
constexpr std::string_view kCheckpointCaching = "public, max-age=5";

constexpr std::string_view kListingsRoot = "/v1/listings/";

HttpResponse NotAllowed(const std::string& method, const char* allow) {
  HttpResponse r = Problem(405, "method-not-allowed", method + " is not served here; use " + allow);
  r.headers.emplace_back("Allow", allow);
  return r;
}

// "%20" and the like to their bytes; nullopt for a '%' without two hex digits.
std::optional<std::string> PercentDecode(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') {
      out.push_back(s[i]);
      continue;
    }
    auto hex = [](char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; };
    if (i + 2 >= s.size() || !hex(s[i + 1]) || !hex(s[i + 2])) return std::nullopt;
    out.push_back(static_cast<char>(std::stoi(std::string(s.substr(i + 1, 2)), nullptr, 16)));
    i += 2;
  }
  return out;
}

// The value of `name` in a query string ("a=1&b=2"); nullopt if absent.
std::optional<std::string_view> QueryParam(std::string_view query, std::string_view name) {
  while (!query.empty()) {
    const size_t amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    if (pair.starts_with(name) && pair.size() > name.size() && pair[name.size()] == '=') {
      return pair.substr(name.size() + 1);
    }
    query.remove_prefix(amp == std::string_view::npos ? query.size() : amp + 1);
  }
  return std::nullopt;
}

int64_t NowMillis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

HttpResponse Problem(unsigned status, std::string_view code, std::string_view detail) {
  static const std::pair<unsigned, const char*> kTitles[] = {
      {400, "Bad Request"}, {401, "Unauthorized"}, {403, "Forbidden"}, {404, "Not Found"}, {405, "Method Not Allowed"},
      {413, "Content Too Large"}, {422, "Unprocessable Content"},
      {429, "Too Many Requests"}, {431, "Request Header Fields Too Large"}, {500, "Internal Server Error"},
      {503, "Service Unavailable"}};
  std::string title = "Error";
  for (const auto& [s, t] : kTitles) {
    if (s == status) title = t;
  }
  nlohmann::json j = {{"type", "urn:custos:problem:" + std::string(code)},
                      {"title", title},
                      {"status", status},
                      {"detail", std::string(detail)},
                      {"code", std::string(code)}};
  return HttpResponse{status, "application/problem+json", "no-store",
                      j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n", {}};
}

HttpResponse ProblemFromStatus(const Status& status) {
  switch (status.code()) {
    case Status::Code::kNotFound: return Problem(404, "not-found", status.message());
    case Status::Code::kInvalidArgument: return Problem(400, "bad-request", status.message());
    case Status::Code::kCorruption: return Problem(500, "damaged-store", status.message());
    case Status::Code::kFailedPrecondition: return Problem(500, "cannot-serve", status.message());
    default: return Problem(500, "internal", status.ToString());
  }
}

std::string TlogPrefix(std::string_view origin) { return std::string(kTlogRoot) + std::string(origin) + "/"; }

HttpRoutes::HttpRoutes(HttpSources sources) : s_(std::move(sources)), tokens_(s_.access.read_tokens) {}

void HttpRoutes::SetReadTokens(std::vector<std::pair<std::string, Hash>> tokens) {
  std::lock_guard lock(tokens_mu_);
  tokens_ = std::move(tokens);
}

void HttpRoutes::Count(unsigned status) const {
  std::lock_guard lock(counts_mu_);
  ++counts_[status];
}

HttpResponse HttpRoutes::Handle(const HttpRequest& request) const {
  HttpResponse response = Route(request);
  Count(response.status);
  return response;
}

std::optional<std::string> HttpRoutes::Reader(const HttpRequest& request) const {
  std::string_view header = request.authorization;
  if (!header.starts_with("Bearer ")) return std::nullopt;
  const Hash presented = Sha256::Digest(header.substr(7));
  std::lock_guard lock(tokens_mu_);
  for (const auto& [name, hash] : tokens_) {
    if (sodium_memcmp(hash.bytes.data(), presented.bytes.data(), Hash::kSize) == 0) return name;
  }
  return std::nullopt;
}

const LogView* HttpRoutes::FindLog(std::string_view path, std::string_view root, size_t* prefix_length) const {
  // The longest origin that prefixes the path (an origin may hold '/').
  const LogView* found = nullptr;
  *prefix_length = 0;
  for (const auto& log : logs_) {
    const std::string prefix = std::string(root) + log->origin() + "/";
    if (path.starts_with(prefix) && prefix.size() > *prefix_length) {
      found = log.get();
      *prefix_length = prefix.size();
    }
  }
  return found;
}

HttpResponse HttpRoutes::Route(const HttpRequest& request) const {
  std::string_view path = request.target;
  const size_t question = path.find('?');
  const std::string_view query = question == std::string_view::npos ? "" : path.substr(question + 1);
  path = path.substr(0, question);
  const bool needs_token = path == "/v1/status" || path == "/metrics" || path.starts_with("/v1/evidence/") ||
                           path.starts_with("/v1/cases/") || path.starts_with("/v1/audit/") ||
                           (path.starts_with("/v1/logs/") && path != "/v1/logs/") ||
                           (path.starts_with(kListingsRoot) && !s_.access.public_listings) ||
                           (path == "/" && !s_.access.public_status);
  if (needs_token && !Reader(request)) {
    bool none = false;
    {
      std::lock_guard lock(tokens_mu_);
      none = tokens_.empty();
    }
    HttpResponse r = Problem(401, "unauthorized",
                             none
                                 ? "this needs a read token, and the node has none configured (http.readTokens)"
                                 : "this needs a read token: Authorization: Bearer <token>");
    r.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"custos\"");
    return r;
  }
  if (path.starts_with(kListingsRoot)) return Listings(request, path.substr(kListingsRoot.size()));
  if (path == "/add-checkpoint") {
    if (s_.witness == nullptr) return Problem(404, "not-a-witness", "this node witnesses no log outside its federation");
    if (request.method != "POST") return NotAllowed(request.method, "POST");
    return s_.witness->AddCheckpoint(request.body);
  }
  if (request.method != "GET" && request.method != "HEAD") return NotAllowed(request.method, "GET, HEAD");
  if (path == "/") return StatusPage(query);
  if (path == "/healthz") return Health();
  if (path == "/readyz") return Ready();
  if (path == "/v1/logs") return Logs();
  if (path.starts_with("/v1/cases/")) {
    if (s_.store == nullptr) return Problem(404, "not-found", "this node answers no case trails");
    auto id = PercentDecode(path.substr(10));
    if (!id) return Problem(400, "bad-request", "case id: a bad percent-encoding");
    return CaseTrailResponse(*s_.store, *id);
  }
  if (path == "/v1/audit/referrals") return Audit(query);
  if (path == "/v1/status") return StatusAnswer(logs_);
  if (path == "/metrics") return Metrics();
  if (path.starts_with("/v1/logs/")) return LogQuery(path, query);
  if (path.starts_with("/v1/evidence/")) {
    const std::string_view rest = path.substr(13);
    const size_t slash = rest.find('/');
    if (slash == std::string_view::npos) return Problem(404, "not-found", "ask /v1/evidence/<algorithm>/<hex digest>");
    return EvidenceAnswer(logs_, rest.substr(0, slash), rest.substr(slash + 1));
  }
  if (path.starts_with(kTlogRoot)) {
    size_t prefix = 0;
    const LogView* found = FindLog(path, kTlogRoot, &prefix);
    if (found == nullptr) return Problem(404, "unknown-log", "this node holds no log whose origin begins the path");
    return Tlog(*found, path.substr(prefix));
  }
  return Problem(404, "not-found", "no resource at " + std::string(path) + " (docs/http-api.md lists them)");
}

HttpResponse HttpRoutes::Listings(const HttpRequest& request, std::string_view rest) const {
  const int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::system_clock::now().time_since_epoch()).count();
  const size_t slash = rest.find('/');
  if (request.method == "POST") {
    if (slash != std::string_view::npos) return NotAllowed(request.method, "GET, HEAD");
    return ListingBatch(logs_, rest, request.body, now);
  }
  if (request.method != "GET" && request.method != "HEAD") return NotAllowed(request.method, "GET, HEAD, POST");
  if (slash == std::string_view::npos) {
    return Problem(404, "not-found", "ask GET /v1/listings/<kind>/<id>, or POST /v1/listings/<kind>");
  }
  auto id = PercentDecode(rest.substr(slash + 1));
  if (!id) return Problem(400, "invalid-id", "id: a bad percent-encoding");
  return ListingLookup(logs_, rest.substr(0, slash), *id, now);
}

HttpResponse HttpRoutes::LogQuery(std::string_view path, std::string_view query) const {
  size_t prefix = 0;
  const LogView* log = FindLog(path, "/v1/logs/", &prefix);
  if (log == nullptr) return Problem(404, "unknown-log", "this node holds no log whose origin begins the path");
  const std::string_view rest = path.substr(prefix);
  auto param = [&](std::string_view name) { return QueryParam(query, name); };
  std::optional<uint64_t> size;
  if (auto s = param("size")) {
    uint64_t n = 0;
    if (!ParseDecimal(*s, &n)) return Problem(400, "bad-request", "size: not a decimal number");
    size = n;
  }
  if (rest.starts_with("entries/")) {
    uint64_t index = 0;
    if (!ParseDecimal(rest.substr(8), &index)) return Problem(400, "bad-request", "the entry index is not a decimal number");
    return EntryAnswer(*log, index, size);
  }
  if (rest == "consistency") {
    uint64_t old = 0;
    auto o = param("old");
    if (!o || !ParseDecimal(*o, &old)) return Problem(400, "bad-request", "old: give ?old=N, a decimal number");
    return ConsistencyAnswer(*log, old, size);
  }
  return Problem(404, "not-found", "a log answers entries/<index> and consistency?old=N");
}

HttpResponse HttpRoutes::Audit(std::string_view query) const {
  if (s_.store == nullptr) return Problem(404, "not-found", "this node answers no referral audit");
  int64_t at = 0;
  if (auto t = QueryParam(query, "at")) {
    auto decoded = PercentDecode(*t);
    auto parsed = decoded ? ParseTime(*decoded, "at") : Result<int64_t>(Status::InvalidArgument("at: a bad percent-encoding"));
    if (!parsed.ok()) return Problem(400, "bad-request", parsed.status().message());
    at = *parsed;
  }
  const std::string_view format = QueryParam(query, "format").value_or("json");
  if (format != "json" && format != "csv") {
    return Problem(400, "bad-request", "format: \"" + std::string(format) + "\" is not json or csv");
  }
  // The audit reads every bureau log in full: one at a time, so that a few
  // clients cannot take every HTTP thread.
  if (auditing_.exchange(true)) {
    HttpResponse busy = Problem(503, "busy", "another referral audit is running; retry shortly");
    busy.headers.emplace_back("Retry-After", "2");
    return busy;
  }
  struct Done {
    std::atomic<bool>& running;
    ~Done() { running.store(false); }
  } done{auditing_};
  return ReferralAuditResponse(*s_.store, s_.federation, at, format == "csv");
}

HttpResponse HttpRoutes::StatusPage(std::string_view query) const {
  const std::string_view lang = QueryParam(query, "lang").value_or("zh");
  if (lang != "zh" && lang != "en") return Problem(400, "bad-request", "lang: \"" + std::string(lang) + "\" is not zh or en");
  StatusPageInput in;
  in.origin = s_.origin;
  if (const auto* peer = s_.federation.FindPeer(s_.origin)) in.agency_kind = peer->agency_kind;
  for (const auto& log : logs_) {
    in.logs.push_back({log->origin(), log->role() == LogRole::kOwn, log->size(), log->checkpoint()});
  }
  if (s_.metrics) in.loop = s_.metrics->loop();
  in.damage = Damage().message();
  in.now_ms = NowMillis();
  return HttpResponse{200, "text/html; charset=utf-8", "no-store",
                      RenderStatusPage(in, lang == "en" ? PageLanguage::kEnglish : PageLanguage::kChinese), {}};
}

Status HttpRoutes::Damage() const {
  if (logs_.empty()) return Status::OK();
  return logs_.front()->stored().store().damage();
}

HttpResponse HttpRoutes::Metrics() const {
  std::string out =
      "# HELP custos_http_responses_total HTTP responses of the read plane, by status code.\n"
      "# TYPE custos_http_responses_total counter\n";
  {
    std::lock_guard lock(counts_mu_);
    for (const auto& [status, n] : counts_) {
      out += "custos_http_responses_total{code=\"" + std::to_string(status) + "\"} " + std::to_string(n) + "\n";
    }
  }
  out += "# HELP custos_log_entries Entries of a log held by this node.\n# TYPE custos_log_entries gauge\n";
  for (const auto& log : logs_) {
    out += "custos_log_entries{origin=\"" + log->origin() + "\",role=\"" +
           RoleName(log->role()) + "\"} " + std::to_string(log->size()) + "\n";
  }
  out += "# HELP custos_store_damaged 1 if the store found damage (docs/operations.md).\n"
         "# TYPE custos_store_damaged gauge\n";
  out += std::string("custos_store_damaged ") + (Damage().ok() ? "0" : "1") + "\n";
  if (s_.metrics) s_.metrics->Render(out, NowMillis());
  if (!logs_.empty()) {
    const Store& store = logs_.front()->stored().store();
    std::string main_stats, entries_stats;
    store.db().GetProperty("leveldb.stats", &main_stats);
    store.entries_db().GetProperty("leveldb.stats", &entries_stats);
    RenderLevelDbStats(out, {{"main", main_stats}, {"entries", entries_stats}});
  }
  return HttpResponse{200, "text/plain; version=0.0.4; charset=utf-8", "no-store", std::move(out), {}};
}

HttpResponse HttpRoutes::Tlog(const LogView& log, std::string_view resource) const {
  if (resource == "checkpoint") {
    std::string note = log.checkpoint();
    if (note.empty()) return Problem(404, "no-checkpoint", "log " + log.origin() + " has no checkpoint yet");
    return HttpResponse{200, "text/plain; charset=utf-8", std::string(kCheckpointCaching), std::move(note), {}};
  }
  auto path = merkle::ParseTilePath(resource);
  if (!path.ok()) {
    if (!resource.starts_with("tile/")) return Problem(404, "not-found", "a log serves checkpoint and tile/…");
    return Problem(400, "bad-tile-path", path.status().message());
  }
  auto bytes = query::ReadTileResource(log.stored(), log.size(), *path);
  if (!bytes.ok()) return ProblemFromStatus(bytes.status());
  return HttpResponse{200, "application/octet-stream", std::string(kImmutable), std::move(bytes).value(), {}};
}

HttpResponse HttpRoutes::Logs() const {
  nlohmann::json logs = nlohmann::json::array();
  for (const auto& log : logs_) {
    logs.push_back({{"origin", log->origin()},
                    {"role", RoleName(log->role())},
                    {"size", log->size()},
                    {"tiles", TlogPrefix(log->origin())}});
  }
  return HttpResponse{200, "application/json", "no-cache", nlohmann::json{{"logs", logs}}.dump(2) + "\n", {}};
}

HttpResponse HttpRoutes::Health() const {
  Status damaged = Damage();
  if (!damaged.ok()) return Problem(503, "damaged-store", damaged.message());
  return HttpResponse{200, "text/plain; charset=utf-8", "no-store", "ok\n", {}};
}

HttpResponse HttpRoutes::Ready() const {
  Status damaged = Damage();
  if (!damaged.ok()) return Problem(503, "damaged-store", damaged.message());
  for (const auto& log : logs_) {
    if (log->role() == LogRole::kOwn && log->checkpoint().empty()) {
      return Problem(503, "not-ready", "the own log " + log->origin() + " has no checkpoint yet");
    }
  }
  // The event loop publishes every second; silence for 10 s means it is stuck.
  const int64_t published = s_.metrics ? s_.metrics->loop().published_ms : 0;
  if (published == 0 || NowMillis() - published > 10000) {
    return Problem(503, "not-ready", "the node's event loop has not reported for over 10 s");
  }
  return HttpResponse{200, "text/plain; charset=utf-8", "no-store", "ready\n", {}};
}

}  // namespace custos::node
