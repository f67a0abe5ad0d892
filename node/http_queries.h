// The JSON queries of the HTTP read plane (docs/http-api.md, "Listing
// checks"): each answer carries what a client needs to check it offline,
// against a cosigned checkpoint, in any language.
#pragma once

#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

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

}  // namespace custos::node
