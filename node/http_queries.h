// The JSON queries of the HTTP read plane (docs/http-api.md, "Listing
// checks"): each answer carries what a client needs to check it offline,
// against a cosigned checkpoint, in any language.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>
#include <vector>

#include "ledger/storage/store.h"
#include "node/config.h"
#include "node/http_routes.h"
#include "node/log_view.h"

namespace custos::node {

// Most ids one batch of listing checks may name.
inline constexpr size_t kMaxListingBatch = 1000;

// GET /v1/listings/<kind>/<id>: is the subject listed in any of `logs`, at
// `now_ms`? With, per log, its cosigned checkpoint, the map proof, and each
// live listing's fields, entry and inclusion proof; and the whole answer as
// the canonical ListingAnswer (schema/listing.capnp) that `custos listing
// verify` checks. 400 invalid-kind / invalid-id (with the reason) for a
// query that names nobody: never "not listed".
HttpResponse ListingLookup(const std::vector<std::shared_ptr<LogView>>& logs, std::string_view kind,
                           std::string_view id, int64_t now_ms);

// POST /v1/listings/<kind> with {"ids": [...]} (at most kMaxListingBatch):
// {"results": [...]}, one per id in order, each a ListingLookup answer or
// {"id", "problem": {…}} for an id that names nobody. 400 for a body that is
// not such an object.
HttpResponse ListingBatch(const std::vector<std::shared_ptr<LogView>>& logs, std::string_view kind,
                          std::string_view body, int64_t now_ms);

// GET /v1/logs/<origin>/entries/<index>[?size=N]: the entry (canonical bytes
// and as JSON), its leaf hash, its RFC 9162 inclusion proof to the tree of
// size N (default: the latest checkpoint's) and that checkpoint with the
// cosignatures the node holds. 404 if the entry or a checkpoint of that size
// is not there.
HttpResponse EntryAnswer(const LogView& log, uint64_t index, std::optional<uint64_t> size);

// GET /v1/logs/<origin>/consistency?old=M[&size=N]: the RFC 9162 consistency
// proof from M to N (default: the latest checkpoint's size) and the
// checkpoint of size N. 400 if M > N.
HttpResponse ConsistencyAnswer(const LogView& log, uint64_t old_size, std::optional<uint64_t> size);

// GET /v1/evidence/<algorithm>/<hex digest>: the evidence bundle of a
// content digest (ledger/query/bundle.h) from every log held, as the
// canonical EvidenceBundle bytes that `custos verify --bundle` checks
// offline (application/octet-stream). 404 if no log registered the digest;
// 400 for an unknown algorithm or a digest that is not 64 hex digits.
HttpResponse EvidenceAnswer(const std::vector<std::shared_ptr<LogView>>& logs, std::string_view algorithm,
                            std::string_view hex_digest);

// GET /v1/cases/<case id>: the case trail (ledger/query/audit.h) as JSON:
// every entry about the case in every log held, in trail order, each with
// its canonical bytes, decoded statement, leaf hash and inclusion proof
// against its log's checkpoint, which the answer carries with the
// cosignatures the node holds. 400 for an empty or over-long id; an unknown
// case gives no entries.
HttpResponse CaseTrailResponse(const Store& store, std::string_view case_id);

// GET /v1/audit/referrals[?at=T][&format=csv]: the referral audit at `at_ms`
// (0: now) over every bureau log held: JSON with the findings, the entries
// each rests on (proved as in the case trail) and the checkpoints audited;
// or, with `csv`, one row per finding under a header (text/csv).
HttpResponse ReferralAuditResponse(const Store& store, const FederationConfig& federation, int64_t at_ms, bool csv);

// GET /v1/status: every log held, with its size and latest checkpoint.
HttpResponse StatusAnswer(const std::vector<std::shared_ptr<LogView>>& logs);

}  // namespace custos::node
