#include "tests/tools/test_tsa.h"

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/ts.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <atomic>

#include "crypto/timestamp.h"

namespace custos::testing {

struct TestTsa::State {
  EVP_PKEY* key = nullptr;
  X509* cert = nullptr;
  mutable std::atomic<long> serial{1};
  ~State() {
    EVP_PKEY_free(key);
    X509_free(cert);
  }
};

namespace {

Status Fail(const std::string& what) {
  unsigned long e = ERR_get_error();
  char buf[256] = "no reason";
  if (e != 0) ERR_error_string_n(e, buf, sizeof buf);
  ERR_clear_error();
  return Status::FailedPrecondition("test TSA: " + what + ": " + buf);
}

bool AddExtension(X509* cert, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, cert, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
  if (ext == nullptr) return false;
  const bool ok = X509_add_ext(cert, ext, -1) == 1;
  X509_EXTENSION_free(ext);
  return ok;
}

ASN1_INTEGER* NextSerial(TS_RESP_CTX*, void* data) {
  auto* counter = static_cast<std::atomic<long>*>(data);
  ASN1_INTEGER* n = ASN1_INTEGER_new();
  if (n != nullptr) ASN1_INTEGER_set(n, counter->fetch_add(1));
  return n;
}

}  // namespace

Result<TestTsa> TestTsa::Create(const std::string& common_name, long valid_from_hours, long valid_to_hours) {
  auto state = std::make_shared<State>();
  state->key = EVP_EC_gen("P-256");
  if (state->key == nullptr) return Fail("key");
  state->cert = X509_new();
  X509* c = state->cert;
  X509_set_version(c, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(c), 1);
  X509_gmtime_adj(X509_getm_notBefore(c), valid_from_hours * 3600);
  X509_gmtime_adj(X509_getm_notAfter(c), valid_to_hours * 3600);
  X509_NAME* name = X509_get_subject_name(c);
  X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8, reinterpret_cast<const unsigned char*>("Custos test TSA"), -1, -1, 0);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, reinterpret_cast<const unsigned char*>(common_name.c_str()), -1,
                             -1, 0);
  X509_set_issuer_name(c, name);
  X509_set_pubkey(c, state->key);
  if (!AddExtension(c, NID_basic_constraints, "critical,CA:FALSE") ||
      !AddExtension(c, NID_key_usage, "critical,digitalSignature") ||
      !AddExtension(c, NID_ext_key_usage, "critical,timeStamping") ||
      !AddExtension(c, NID_subject_key_identifier, "hash")) {
    return Fail("extensions");
  }
  if (X509_sign(c, state->key, EVP_sha256()) == 0) return Fail("signing the certificate");
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_X509(bio, c);
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio, &data);
  TestTsa tsa;
  tsa.cert_pem_ = std::string(data, static_cast<size_t>(n));
  BIO_free(bio);
  tsa.state_ = std::move(state);
  return tsa;
}

Result<Bytes> TestTsa::Answer(ByteSpan request) const {
  TS_RESP_CTX* ctx = TS_RESP_CTX_new();
  if (ctx == nullptr) return Fail("context");
  ASN1_OBJECT* policy = OBJ_txt2obj("1.3.6.1.4.1.59999.1.1", 1);
  const bool set = TS_RESP_CTX_set_signer_cert(ctx, state_->cert) == 1 &&
                   TS_RESP_CTX_set_signer_key(ctx, state_->key) == 1 && policy != nullptr &&
                   TS_RESP_CTX_set_def_policy(ctx, policy) == 1 && TS_RESP_CTX_add_md(ctx, EVP_sha256()) == 1 &&
                   TS_RESP_CTX_set_signer_digest(ctx, EVP_sha256()) == 1;
  ASN1_OBJECT_free(policy);
  if (!set) {
    TS_RESP_CTX_free(ctx);
    return Fail("setting up the response");
  }
  TS_RESP_CTX_set_serial_cb(ctx, NextSerial, &state_->serial);
  BIO* in = BIO_new_mem_buf(request.data(), static_cast<int>(request.size()));
  TS_RESP* resp = TS_RESP_create_response(ctx, in);
  BIO_free(in);
  TS_RESP_CTX_free(ctx);
  if (resp == nullptr) return Fail("answering");
  unsigned char* der = nullptr;
  const int len = i2d_TS_RESP(resp, &der);
  TS_RESP_free(resp);
  if (len <= 0) return Fail("encoding the answer");
  Bytes out(der, der + len);
  OPENSSL_free(der);
  ERR_clear_error();
  return out;
}

Result<Bytes> TestTsa::Token(std::string_view text) const {
  auto request = MakeTimestampRequest(text);
  if (!request.ok()) return request.status();
  auto answer = Answer(request->der);
  if (!answer.ok()) return answer.status();
  const unsigned char* p = answer->data();
  TS_RESP* resp = d2i_TS_RESP(nullptr, &p, static_cast<long>(answer->size()));
  PKCS7* token = resp != nullptr ? TS_RESP_get_token(resp) : nullptr;
  unsigned char* der = nullptr;
  const int len = token != nullptr ? i2d_PKCS7(token, &der) : 0;
  TS_RESP_free(resp);
  if (len <= 0) return Fail("no token in the answer");
  Bytes out(der, der + len);
  OPENSSL_free(der);
  return out;
}

}  // namespace custos::testing
