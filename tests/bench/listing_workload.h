// The listing workload of the benchmarks that check listings: valid unified
// social credit codes for distinct companies, and the officer's signed
// listing of each (examples/subject-listed.json with the company's code).
// custos_listing_bench and custos_http_bench.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "crypto/bytes.h"
#include "ledger/storage/worker_pool.h"
#include "tests/bench/workload.h"

namespace custos::bench {

// A valid unified social credit code for `n` < 10^9; `listed` picks one of
// two disjoint ranges (subjects the benchmark lists, subjects it never lists).
std::string Company(uint64_t n, bool listed);

// `listing` (canonical examples/subject-listed.json) for Company(n, true),
// published until a year after `now_ms`, at log time `now_ms` with a nonce
// made of `n`, signed by the officer of `keys`.
Bytes SignedListing(ByteSpan listing, const Keys& keys, int64_t now_ms, uint64_t n);

// SignedListing for every n in [first, first + count), on all threads of `pool`.
std::vector<Bytes> SignedListings(ByteSpan listing, const Keys& keys, int64_t now_ms, uint64_t first, size_t count,
                                  WorkerPool& pool);

}  // namespace custos::bench
