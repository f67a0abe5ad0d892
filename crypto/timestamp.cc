#include "crypto/timestamp.h"

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/pkcs7.h>
#include <openssl/ts.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sodium.h>

#include <cstring>
#include <ctime>

#include "crypto/openssl_ptr.h"
#include "crypto/sha256.h"

namespace custos {

namespace {

template <typename T, void (*Free)(T*)>
using Owned = OpenSslPtr<T, Free>;

// OpenSSL's queued errors as one line (and the queue emptied).
std::string OpenSslErrors() {
  std::string out;
  const char* data = nullptr;
  int flags = 0;
  while (unsigned long e = ERR_get_error_all(nullptr, nullptr, nullptr, &data, &flags)) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    const char* reason = ERR_reason_error_string(e);
    if (!out.empty()) out += "; ";
    out += reason != nullptr ? reason : buf;
    // The certificate check's own words ("certificate has expired") come as data.
    if (data != nullptr && (flags & ERR_TXT_STRING) != 0 && *data != '\0') out += std::string(": ") + data;
  }
  return out.empty() ? "no reason given" : out;
}

std::string Hex(const ASN1_INTEGER* n) {
  Owned<BIGNUM, BN_free> bn(ASN1_INTEGER_to_BN(n, nullptr));
  if (!bn) return "?";
  char* hex = BN_bn2hex(bn.get());
  std::string out = hex != nullptr ? hex : "?";
  OPENSSL_free(hex);
  return out;
}

Result<int64_t> TimeMs(const ASN1_GENERALIZEDTIME* t) {
  struct tm tm {};
  if (t == nullptr || ASN1_TIME_to_tm(t, &tm) != 1) return Status::Corruption("time-stamp token: genTime is not a time");
  return static_cast<int64_t>(timegm(&tm)) * 1000;
}

// What a DER TimeStampToken says, and whether its signature verifies
// against `cert` for `imprint`.
Result<TimestampAttestation> CheckToken(ByteSpan token, const Hash& imprint, X509* cert) {
  ERR_clear_error();
  const unsigned char* p = token.data();
  Owned<PKCS7, PKCS7_free> p7(d2i_PKCS7(nullptr, &p, static_cast<long>(token.size())));
  if (!p7 || p != token.data() + token.size()) {
    ERR_clear_error();
    return Status::InvalidArgument("time-stamp token: not a DER CMS SignedData");
  }
  Owned<TS_TST_INFO, TS_TST_INFO_free> info(PKCS7_to_TS_TST_INFO(p7.get()));
  if (!info) {
    ERR_clear_error();
    return Status::InvalidArgument("time-stamp token: carries no TSTInfo (not an RFC 3161 token)");
  }
  TS_MSG_IMPRINT* mi = TS_TST_INFO_get_msg_imprint(info.get());
  const ASN1_OBJECT* algorithm = nullptr;
  X509_ALGOR_get0(&algorithm, nullptr, nullptr, TS_MSG_IMPRINT_get_algo(mi));
  if (OBJ_obj2nid(algorithm) != NID_sha256) {
    return Status::Corruption("time-stamp token: its imprint is not a SHA-256 digest");
  }
  const ASN1_OCTET_STRING* msg = TS_MSG_IMPRINT_get_msg(mi);
  if (ASN1_STRING_length(msg) != static_cast<int>(imprint.bytes.size()) ||
      std::memcmp(ASN1_STRING_get0_data(msg), imprint.bytes.data(), imprint.bytes.size()) != 0) {
    return Status::Corruption("time-stamp token: it is for another text (its imprint is not SHA-256 of this checkpoint)");
  }
  TimestampAttestation a;
  CUSTOS_ASSIGN_OR_RETURN(a.time_ms, TimeMs(TS_TST_INFO_get_time(info.get())));
  a.serial = Hex(TS_TST_INFO_get_serial(info.get()));

  Owned<TS_VERIFY_CTX, TS_VERIFY_CTX_free> ctx(TS_VERIFY_CTX_new());
  X509_STORE* store = X509_STORE_new();
  if (!ctx || store == nullptr || X509_STORE_add_cert(store, cert) != 1) {
    X509_STORE_free(store);
    return Status::FailedPrecondition("time-stamp token: " + OpenSslErrors());
  }
  // The trust file's certificate is the anchor, whoever issued it.
  X509_STORE_set_flags(store, X509_V_FLAG_PARTIAL_CHAIN);
  TS_VERIFY_CTX_set_store(ctx.get(), store);  // the context owns it now
  STACK_OF(X509)* certs = sk_X509_new_null();
  X509_up_ref(cert);
  sk_X509_push(certs, cert);
  TS_VERIFY_CTS_set_certs(ctx.get(), certs);  // and these
  TS_VERIFY_CTX_set_flags(ctx.get(), TS_VFY_VERSION | TS_VFY_SIGNATURE);
  if (TS_RESP_verify_token(ctx.get(), p7.get()) != 1) {
    return Status::Corruption("time-stamp token: not signed by the TSA's certificate in the trust file (" +
                              OpenSslErrors() + ")");
  }
  // The signer must be that very certificate, not another one it would chain to.
  STACK_OF(PKCS7_SIGNER_INFO)* signers = PKCS7_get_signer_info(p7.get());
  PKCS7_ISSUER_AND_SERIAL* ias = signers != nullptr && sk_PKCS7_SIGNER_INFO_num(signers) == 1
                                     ? sk_PKCS7_SIGNER_INFO_value(signers, 0)->issuer_and_serial
                                     : nullptr;
  if (ias == nullptr || X509_NAME_cmp(ias->issuer, X509_get_issuer_name(cert)) != 0 ||
      ASN1_INTEGER_cmp(ias->serial, X509_get0_serialNumber(cert)) != 0) {
    return Status::Corruption("time-stamp token: signed by another certificate than the TSA's in the trust file");
  }
  return a;
}

std::string SubjectOf(X509* cert) {
  Owned<BIO, BIO_free_all> bio(BIO_new(BIO_s_mem()));
  X509_NAME_print_ex(bio.get(), X509_get_subject_name(cert), 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB);
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(n));
}

}  // namespace

Result<TsaCertificate> TsaCertificate::FromPem(std::string_view pem) {
  ERR_clear_error();
  Owned<BIO, BIO_free_all> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  X509* raw = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr);
  if (raw == nullptr) {
    ERR_clear_error();
    return Status::InvalidArgument("TSA certificate: not a PEM certificate (\"-----BEGIN CERTIFICATE-----\")");
  }
  TsaCertificate c;
  c.cert_ = std::shared_ptr<X509>(raw, X509_free);
  const int ext = X509_get_ext_by_NID(raw, NID_ext_key_usage, -1);
  const bool critical = ext >= 0 && X509_EXTENSION_get_critical(X509_get_ext(raw, ext)) == 1;
  if (!critical || (X509_get_extension_flags(raw) & EXFLAG_XKUSAGE) == 0 ||
      (X509_get_extended_key_usage(raw) & XKU_TIMESTAMP) == 0) {
    return Status::InvalidArgument(
        "TSA certificate: not for time stamping (RFC 3161 wants a critical extendedKeyUsage of timeStamping)");
  }
  unsigned char* der = nullptr;
  const int len = i2d_X509(raw, &der);
  if (len <= 0) return Status::InvalidArgument("TSA certificate: cannot encode it as DER");
  c.fingerprint_ = Sha256::Digest(ByteSpan(der, static_cast<size_t>(len)));
  OPENSSL_free(der);
  c.subject_ = SubjectOf(raw);
  return c;
}

uint32_t TimestampKeyId(std::string_view name, const Hash& cert_fingerprint) {
  Sha256& h = ThreadSha256();
  const Hash d = h.Update(name).Update(uint8_t{'\n'}).Update(kTimestampNoteType).Update(cert_fingerprint.span()).Finish();
  return static_cast<uint32_t>(d.bytes[0]) << 24 | static_cast<uint32_t>(d.bytes[1]) << 16 |
         static_cast<uint32_t>(d.bytes[2]) << 8 | d.bytes[3];
}

Result<TimestampVerifier> TimestampVerifier::For(std::string_view name, TsaCertificate cert) {
  if (!IsValidKeyName(name)) return Status::InvalidArgument("TSA name \"" + std::string(name) + "\": not a valid note key name");
  TimestampVerifier v;
  v.name = std::string(name);
  v.key_id = TimestampKeyId(name, cert.fingerprint());
  v.cert = std::move(cert);
  return v;
}

Result<TimestampRequest> MakeTimestampRequest(std::string_view text) {
  TimestampRequest r;
  r.imprint = Sha256::Digest(text);
  r.nonce.resize(8);
  randombytes_buf(r.nonce.data(), r.nonce.size());
  r.nonce[0] = static_cast<uint8_t>((r.nonce[0] & 0x7f) | 0x01);  // positive, 8 bytes long
  Owned<TS_REQ, TS_REQ_free> req(TS_REQ_new());
  Owned<TS_MSG_IMPRINT, TS_MSG_IMPRINT_free> mi(TS_MSG_IMPRINT_new());
  Owned<X509_ALGOR, X509_ALGOR_free> algo(X509_ALGOR_new());
  Owned<BIGNUM, BN_free> bn(BN_bin2bn(r.nonce.data(), static_cast<int>(r.nonce.size()), nullptr));
  Owned<ASN1_INTEGER, ASN1_INTEGER_free> nonce(bn ? BN_to_ASN1_INTEGER(bn.get(), nullptr) : nullptr);
  if (!req || !mi || !algo || !nonce ||
      X509_ALGOR_set0(algo.get(), OBJ_nid2obj(NID_sha256), V_ASN1_NULL, nullptr) != 1 ||
      TS_MSG_IMPRINT_set_algo(mi.get(), algo.get()) != 1 ||
      TS_MSG_IMPRINT_set_msg(mi.get(), r.imprint.bytes.data(), static_cast<int>(r.imprint.bytes.size())) != 1 ||
      TS_REQ_set_version(req.get(), 1) != 1 || TS_REQ_set_msg_imprint(req.get(), mi.get()) != 1 ||
      TS_REQ_set_nonce(req.get(), nonce.get()) != 1 || TS_REQ_set_cert_req(req.get(), 1) != 1) {
    return Status::FailedPrecondition("time-stamp request: " + OpenSslErrors());
  }
  unsigned char* der = nullptr;
  const int len = i2d_TS_REQ(req.get(), &der);
  if (len <= 0) return Status::FailedPrecondition("time-stamp request: " + OpenSslErrors());
  r.der.assign(der, der + len);
  OPENSSL_free(der);
  return r;
}

Result<Bytes> TokenFromResponse(ByteSpan response, const TimestampRequest& request, const TsaCertificate& cert) {
  ERR_clear_error();
  const unsigned char* p = response.data();
  Owned<TS_RESP, TS_RESP_free> resp(d2i_TS_RESP(nullptr, &p, static_cast<long>(response.size())));
  if (!resp || p != response.data() + response.size()) {
    ERR_clear_error();
    return Status::InvalidArgument("time-stamp response: not a DER TimeStampResp (" + std::to_string(response.size()) +
                                   " bytes)");
  }
  const long status = ASN1_INTEGER_get(TS_STATUS_INFO_get0_status(TS_RESP_get_status_info(resp.get())));
  if (status != 0 && status != 1) {  // granted, grantedWithMods
    return Status::Corruption("time-stamp response: the TSA did not grant the request (PKIStatus " +
                              std::to_string(status) + ")");
  }
  PKCS7* token = TS_RESP_get_token(resp.get());
  TS_TST_INFO* info = TS_RESP_get_tst_info(resp.get());
  if (token == nullptr || info == nullptr) return Status::Corruption("time-stamp response: granted, but no token");
  Owned<BIGNUM, BN_free> bn(BN_bin2bn(request.nonce.data(), static_cast<int>(request.nonce.size()), nullptr));
  Owned<ASN1_INTEGER, ASN1_INTEGER_free> nonce(bn ? BN_to_ASN1_INTEGER(bn.get(), nullptr) : nullptr);
  const ASN1_INTEGER* got = TS_TST_INFO_get_nonce(info);
  if (!nonce || got == nullptr || ASN1_INTEGER_cmp(got, nonce.get()) != 0) {
    return Status::Corruption("time-stamp response: its nonce is not the request's (a replayed answer?)");
  }
  unsigned char* der = nullptr;
  const int len = i2d_PKCS7(token, &der);
  if (len <= 0) return Status::Corruption("time-stamp response: cannot encode its token");
  Bytes out(der, der + len);
  OPENSSL_free(der);
  CUSTOS_RETURN_IF_ERROR(CheckToken(out, request.imprint, cert.x509()).status());
  return out;
}

Result<TimestampAttestation> VerifyTimestampToken(ByteSpan token, std::string_view text, const TimestampVerifier& tsa) {
  CUSTOS_ASSIGN_OR_RETURN(TimestampAttestation a, CheckToken(token, Sha256::Digest(text), tsa.cert.x509()));
  a.tsa = tsa.name;
  a.subject = tsa.cert.subject();
  return a;
}

std::string TimestampLine(const TimestampVerifier& tsa, ByteSpan token) {
  NoteSignature sig{tsa.name, tsa.key_id, Bytes(token.begin(), token.end())};
  return sig.ToLine();
}

Result<std::vector<TimestampAttestation>> VerifyNoteTimestamps(const Note& note, const TimestampVerifier& tsa) {
  std::vector<TimestampAttestation> out;
  for (const NoteSignature& sig : note.signatures) {
    if (sig.name != tsa.name || sig.key_id != tsa.key_id) continue;
    auto a = VerifyTimestampToken(sig.sig, note.text, tsa);
    if (!a.ok()) return Status::Corruption("time stamp by " + tsa.name + ": " + a.status().message());
    out.push_back(std::move(*a));
  }
  return out;
}

}  // namespace custos
