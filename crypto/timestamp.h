// RFC 3161 time-stamp tokens (docs/timestamps.md), through OpenSSL's TS API:
// the request a node sends a time-stamping authority (TSA) for one of its
// checkpoints, the check of the TSA's answer, and the offline check of a
// token against the TSA's certificate from the trust file.
//
// A token rides on the checkpoint it attests as one more signature line of
// the C2SP signed note (signed-note's type 0xff, then "rfc3161"):
//
//   key id = SHA-256(name || 0x0A || 0xff || "rfc3161" || SHA-256(certificate DER))[:4]
//   line   = "— <name> <base64(key id (4) || DER TimeStampToken)>"
//
// and the token's message imprint is SHA-256 of the note's text. Go's
// golang.org/x/mod/sumdb/note ignores the line (it does not know the key), as
// it ignores a cosignature by a witness it was not given.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/bytes.h"
#include "crypto/note.h"
#include "crypto/status.h"

typedef struct x509_st X509;  // NOLINT: OpenSSL's own declaration

namespace custos {

inline constexpr std::string_view kTimestampNoteType = "\xff" "rfc3161";

// A TSA's certificate, as the trust file gives it (PEM).
class TsaCertificate {
 public:
  // InvalidArgument naming what is wrong: not one PEM certificate, or not a
  // time-stamping certificate (RFC 3161 §2.3: extendedKeyUsage timeStamping,
  // critical).
  static Result<TsaCertificate> FromPem(std::string_view pem);

  const std::string& subject() const { return subject_; }  // "CN=…, O=…"
  const Hash& fingerprint() const { return fingerprint_; }  // SHA-256 of the DER
  X509* x509() const { return cert_.get(); }

 private:
  std::shared_ptr<X509> cert_;
  std::string subject_;
  Hash fingerprint_;
};

// The trust file's name for a TSA and its certificate: what checks its lines.
struct TimestampVerifier {
  std::string name;
  uint32_t key_id = 0;
  TsaCertificate cert;

  // InvalidArgument if `name` is not a valid note key name.
  static Result<TimestampVerifier> For(std::string_view name, TsaCertificate cert);
};

uint32_t TimestampKeyId(std::string_view name, const Hash& cert_fingerprint);

// What a token attests: that the TSA saw the imprint at `time_ms`.
struct TimestampAttestation {
  std::string tsa;       // the verifier's name (the trust file's)
  std::string subject;   // the certificate's subject
  int64_t time_ms = 0;   // the token's genTime (milliseconds since the epoch)
  std::string serial;    // the token's serial number, hex
};

// A DER TimeStampReq for SHA-256 of `text`: version 1, certReq true, a
// 64-bit random nonce.
struct TimestampRequest {
  Bytes der;
  Hash imprint;
  Bytes nonce;  // 8 bytes, big-endian
};
Result<TimestampRequest> MakeTimestampRequest(std::string_view text);

// The token in a TSA's DER TimeStampResp to `request`, checked: the status is
// granted, the imprint and nonce are the request's, and the token verifies
// against `cert` (VerifyTimestampToken). InvalidArgument for bytes that are
// not a response; Corruption naming the mismatch otherwise.
Result<Bytes> TokenFromResponse(ByteSpan response, const TimestampRequest& request, const TsaCertificate& cert);

// Checks `token` (a DER TimeStampToken) offline: a CMS signature by `cert`'s
// key (the certificate is trusted as it is, the trust file being the
// anchor), the certificate valid now and for time stamping, a SHA-256
// imprint equal to SHA-256 of `text`. InvalidArgument if the bytes are not a
// token; Corruption naming what failed ("signed by another TSA", "for
// another text", "the TSA's certificate has expired", …).
Result<TimestampAttestation> VerifyTimestampToken(ByteSpan token, std::string_view text, const TimestampVerifier& tsa);

// The note line that carries `token` for `tsa`.
std::string TimestampLine(const TimestampVerifier& tsa, ByteSpan token);

// The attestations of every line of `note` by `tsa` (its name and key id),
// in note order; empty when there is none. Corruption naming the TSA if a
// line does not verify.
Result<std::vector<TimestampAttestation>> VerifyNoteTimestamps(const Note& note, const TimestampVerifier& tsa);

}  // namespace custos
