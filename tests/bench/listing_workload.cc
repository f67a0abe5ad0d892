#include "tests/bench/listing_workload.h"

#include <capnp/message.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "ledger/admission/submission.h"
#include "ledger/admission/validate.h"
#include "schema/canonical.h"
#include "schema/json.h"

namespace custos::bench {

std::string Company(uint64_t n, bool listed) {
  char base[18];
  std::snprintf(base, sizeof base, "9132058%c%09llu", listed ? '3' : '4', static_cast<unsigned long long>(n));
  for (char c : std::string_view("0123456789ABCDEFGHJKLMNPQRTUWXY")) {
    std::string id = std::string(base, 17) + c;
    if (ledger::ValidateUnifiedSocialCreditCode(id).ok()) return id;
  }
  std::abort();  // every 17-character prefix has exactly one check character
}

Bytes SignedListing(ByteSpan listing, const Keys& keys, int64_t now_ms, uint64_t n) {
  auto read = schema::ReadCanonical<schema::Statement>(listing, schema::kMaxStatementBytes, "statement");
  capnp::MallocMessageBuilder message;
  message.setRoot(read->get());
  auto l = message.getRoot<schema::Statement>().getBody().getSubjectListed();
  const std::string id = Company(n, true);
  l.setSubjectId(capnp::Text::Reader(id.c_str(), id.size()));
  l.setPublicationEnds(now_ms + 365LL * 24 * 3600 * 1000);
  Bytes statement = schema::Canonicalize(message.getRoot<schema::Statement>().asReader());
  std::array<uint8_t, 16> nonce{'l', 'i', 's', 't', 'i', 'n', 'g', 0};
  for (int i = 0; i < 8; ++i) nonce[15 - i] = static_cast<uint8_t>(n >> (8 * i));
  return SignSubmission(schema::FillStatementDefaults(statement, kOrigin, now_ms, nonce), keys.officer);
}

std::vector<Bytes> SignedListings(ByteSpan listing, const Keys& keys, int64_t now_ms, uint64_t first, size_t count,
                                  WorkerPool& pool) {
  std::vector<Bytes> out(count);
  pool.ForEach(count, [&](size_t i) { out[i] = SignedListing(listing, keys, now_ms, first + i); });
  return out;
}

}  // namespace custos::bench
