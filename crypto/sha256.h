// SHA-256 through OpenSSL 3.
//
// Merkle hashing is dominated by 33- and 65-byte inputs, where the per-call
// overhead of the EVP interface is as large as the compression itself: on
// this project's machine an interior Merkle hash (65 bytes) costs ~126 ns
// through a reused EVP_MD_CTX and ~101 ns through OpenSSL's
// SHA256_Init/Update/Final, which run the same compression (custos_microbench
// --benchmark_filter=NodeHash). Sha256 therefore
// uses the low-level interface; OpenSSL 3 marks it deprecated but keeps it,
// and only sha256.cc sees it.
//
// A Sha256 object is not thread-safe; use one per thread (ThreadSha256()).
#pragma once

#include "crypto/bytes.h"

#include <string_view>

namespace custos {

class Sha256 final {
 public:
  Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;

  Sha256& Update(ByteSpan data);
  Sha256& Update(std::string_view data) { return Update(AsBytes(data)); }
  Sha256& Update(uint8_t byte) { return Update(ByteSpan(&byte, 1)); }
  // Returns the digest and resets the object for the next message.
  Hash Finish();

  // One-shot digest using this thread's reusable hasher.
  static Hash Digest(ByteSpan data);
  static Hash Digest(std::string_view data) { return Digest(AsBytes(data)); }

 private:
  // OpenSSL's SHA256_CTX (112 bytes), kept opaque so that the deprecated
  // declarations stay in sha256.cc; sha256.cc checks size and alignment.
  alignas(8) unsigned char state_[112];
};

// This thread's hasher, created on first use.
Sha256& ThreadSha256();

}  // namespace custos
