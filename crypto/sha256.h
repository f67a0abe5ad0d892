// SHA-256 through OpenSSL 3.
//
// OpenSSL's one-shot EVP_Digest fetches the algorithm on every call, which
// dominates for the 33- and 65-byte inputs of Merkle hashing. Sha256 fetches
// EVP_MD once per process and keeps one EVP_MD_CTX per object, so a hasher
// reused in a loop costs only the compression function.
//
// A Sha256 object is not thread-safe; use one per thread (ThreadSha256()).
#pragma once

#include "crypto/bytes.h"

#include <string_view>

struct evp_md_ctx_st;

namespace custos {

class Sha256 final {
 public:
  Sha256();
  ~Sha256();
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
  evp_md_ctx_st* ctx_;
};

// This thread's hasher, created on first use.
Sha256& ThreadSha256();

}  // namespace custos
