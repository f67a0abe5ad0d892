#include "crypto/sha256.h"

#include <openssl/evp.h>

#include <cstdlib>

namespace custos {

namespace {
const EVP_MD* FetchedSha256() {
  // Fetched once: EVP_MD_fetch is the slow part of small digests.
  static EVP_MD* md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  if (md == nullptr) std::abort();  // OpenSSL without SHA-256 is a broken install
  return md;
}
}  // namespace

Sha256::Sha256() : ctx_(EVP_MD_CTX_new()) {
  if (ctx_ == nullptr || EVP_DigestInit_ex2(ctx_, FetchedSha256(), nullptr) != 1) std::abort();
}

Sha256::~Sha256() { EVP_MD_CTX_free(ctx_); }

Sha256& Sha256::Update(ByteSpan data) {
  EVP_DigestUpdate(ctx_, data.data(), data.size());
  return *this;
}

Hash Sha256::Finish() {
  Hash h;
  unsigned int len = 0;
  EVP_DigestFinal_ex(ctx_, h.bytes.data(), &len);
  EVP_DigestInit_ex2(ctx_, nullptr, nullptr);
  return h;
}

Hash Sha256::Digest(ByteSpan data) { return ThreadSha256().Update(data).Finish(); }

Sha256& ThreadSha256() {
  thread_local Sha256 hasher;
  return hasher;
}

}  // namespace custos
