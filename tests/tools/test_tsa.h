// A time-stamping authority for tests (RFC 3161 through OpenSSL's
// TS_RESP_CTX): a fresh P-256 key and a self-signed time-stamping
// certificate, answering DER TimeStampReqs. Used in-process by the unit tests
// and over HTTP on loopback by custos_test_tsa (tsa_server.cc).
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "crypto/bytes.h"
#include "crypto/status.h"

namespace custos::testing {

class TestTsa {
 public:
  // `valid_from_hours` / `valid_to_hours`: the certificate's validity
  // relative to now (a certificate that has expired: -48, -24).
  static Result<TestTsa> Create(const std::string& common_name, long valid_from_hours = -1, long valid_to_hours = 24 * 365);

  const std::string& certificate_pem() const { return cert_pem_; }
  // The DER TimeStampResp to a DER TimeStampReq (a rejection for a request
  // it cannot read, as a TSA answers).
  Result<Bytes> Answer(ByteSpan request) const;
  // Its DER TimeStampToken for SHA-256 of `text`, taken from its answer
  // without any check (to forge lines with).
  Result<Bytes> Token(std::string_view text) const;

 private:
  struct State;
  std::shared_ptr<State> state_;
  std::string cert_pem_;
};

}  // namespace custos::testing
