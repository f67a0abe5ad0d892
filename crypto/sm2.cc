#include "crypto/sm2.h"

#include "crypto/openssl_ptr.h"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>

namespace custos {

namespace {

template <typename T, void (*Free)(T*)>
using Deleter = OpenSslDeleter<T, Free>;
using Bio = std::unique_ptr<BIO, Deleter<BIO, BIO_free_all>>;
using MdCtx = std::unique_ptr<EVP_MD_CTX, Deleter<EVP_MD_CTX, EVP_MD_CTX_free>>;
using PkeyCtx = std::unique_ptr<EVP_PKEY_CTX, Deleter<EVP_PKEY_CTX, EVP_PKEY_CTX_free>>;
using ParamBld = std::unique_ptr<OSSL_PARAM_BLD, Deleter<OSSL_PARAM_BLD, OSSL_PARAM_BLD_free>>;
using Params = std::unique_ptr<OSSL_PARAM, Deleter<OSSL_PARAM, OSSL_PARAM_free>>;
using Bn = std::unique_ptr<BIGNUM, Deleter<BIGNUM, BN_free>>;
using Group = std::unique_ptr<EC_GROUP, Deleter<EC_GROUP, EC_GROUP_free>>;
using Point = std::unique_ptr<EC_POINT, Deleter<EC_POINT, EC_POINT_free>>;

std::shared_ptr<EVP_PKEY> Own(EVP_PKEY* p) { return std::shared_ptr<EVP_PKEY>(p, EVP_PKEY_free); }

// OpenSSL's reason for the last failure, and the error queue cleared.
std::string OpenSslError() {
  unsigned long e = ERR_get_error();
  ERR_clear_error();
  if (e == 0) return "unknown error";
  char buf[256];
  ERR_error_string_n(e, buf, sizeof buf);
  return buf;
}

std::string FromBio(BIO* bio) {
  char* data = nullptr;
  long n = BIO_get_mem_data(bio, &data);
  return n > 0 ? std::string(data, static_cast<size_t>(n)) : std::string();
}

// An SM2 key from OSSL_PARAMs (a public key, or a key pair).
Result<std::shared_ptr<EVP_PKEY>> FromData(const OSSL_PARAM* params, int selection) {
  PkeyCtx ctx(EVP_PKEY_CTX_new_from_name(nullptr, "SM2", nullptr));
  EVP_PKEY* pkey = nullptr;
  if (!ctx || EVP_PKEY_fromdata_init(ctx.get()) <= 0 ||
      EVP_PKEY_fromdata(ctx.get(), &pkey, selection, const_cast<OSSL_PARAM*>(params)) <= 0) {
    return Status::InvalidArgument("SM2 key: " + OpenSslError());
  }
  return Own(pkey);
}

Result<std::shared_ptr<EVP_PKEY>> PublicKeyOf(ByteSpan public_key) {
  if (public_key.size() != kSm2PublicKeyBytes || public_key[0] != 0x04) {
    return Status::InvalidArgument("SM2 public key: " + std::to_string(public_key.size()) +
                                   " bytes; want 65, an uncompressed point (0x04 || x || y)");
  }
  ParamBld bld(OSSL_PARAM_BLD_new());
  if (!bld || !OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, "SM2", 0) ||
      !OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, public_key.data(), public_key.size())) {
    return Status::InvalidArgument("SM2 public key: " + OpenSslError());
  }
  Params params(OSSL_PARAM_BLD_to_param(bld.get()));
  auto pkey = FromData(params.get(), EVP_PKEY_PUBLIC_KEY);
  if (!pkey.ok()) return Status::InvalidArgument("SM2 public key: not a point of the curve");
  return pkey;
}

// A digest-sign or digest-verify context over SM3 with the id set, as
// GB/T 32918.2 and OpenSSL's SM2 page require (the id enters Z_A). The MD
// context borrows the key context (EVP_MD_CTX_set_pkey_ctx does not pass
// ownership): declared first, the key context is freed last.
struct SignatureContext {
  PkeyCtx pctx;
  MdCtx md;
};

Result<std::unique_ptr<SignatureContext>> NewSignatureContext(EVP_PKEY* pkey, std::string_view id, bool sign) {
  auto c = std::make_unique<SignatureContext>();
  c->pctx.reset(EVP_PKEY_CTX_new_from_pkey(nullptr, pkey, nullptr));
  c->md.reset(EVP_MD_CTX_new());
  if (!c->md || !c->pctx || EVP_PKEY_CTX_set1_id(c->pctx.get(), id.data(), id.size()) <= 0) {
    return Status::FailedPrecondition("SM2: " + OpenSslError());
  }
  EVP_MD_CTX_set_pkey_ctx(c->md.get(), c->pctx.get());
  const int ok = sign ? EVP_DigestSignInit(c->md.get(), nullptr, EVP_sm3(), nullptr, pkey)
                      : EVP_DigestVerifyInit(c->md.get(), nullptr, EVP_sm3(), nullptr, pkey);
  if (ok <= 0) return Status::FailedPrecondition("SM2: " + OpenSslError());
  return c;
}

std::string PublicPem(EVP_PKEY* pkey) {
  Bio bio(BIO_new(BIO_s_mem()));
  PEM_write_bio_PUBKEY(bio.get(), pkey);
  return FromBio(bio.get());
}

}  // namespace

Result<Sm2Key> Sm2Key::Generate() {
  EVP_PKEY* pkey = EVP_PKEY_Q_keygen(nullptr, nullptr, "SM2");
  if (pkey == nullptr) return Status::FailedPrecondition("SM2 key generation: " + OpenSslError());
  return Sm2Key(Own(pkey));
}

Result<Sm2Key> Sm2Key::FromPem(std::string_view pem) {
  Bio bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  EVP_PKEY* pkey = bio ? PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr) : nullptr;
  if (pkey == nullptr) {
    ERR_clear_error();
    return Status::InvalidArgument("not a PEM private key (want \"-----BEGIN PRIVATE KEY-----\", as openssl genpkey "
                                   "-algorithm SM2 writes)");
  }
  auto owned = Own(pkey);
  if (!EVP_PKEY_is_a(pkey, "SM2")) return Status::InvalidArgument("not an SM2 key");
  return Sm2Key(std::move(owned));
}

Result<Sm2Key> Sm2Key::FromPrivateScalar(ByteSpan d) {
  if (d.size() != 32) return Status::InvalidArgument("SM2 private key: " + std::to_string(d.size()) + " bytes, not 32");
  Group group(EC_GROUP_new_by_curve_name(NID_sm2));
  Bn priv(BN_bin2bn(d.data(), static_cast<int>(d.size()), nullptr));
  if (!group || !priv) return Status::FailedPrecondition("SM2: " + OpenSslError());
  if (BN_is_zero(priv.get()) || BN_cmp(priv.get(), EC_GROUP_get0_order(group.get())) >= 0) {
    return Status::InvalidArgument("SM2 private key: not in [1, n)");
  }
  Point pub(EC_POINT_new(group.get()));
  unsigned char point[kSm2PublicKeyBytes];
  if (!pub || !EC_POINT_mul(group.get(), pub.get(), priv.get(), nullptr, nullptr, nullptr) ||
      EC_POINT_point2oct(group.get(), pub.get(), POINT_CONVERSION_UNCOMPRESSED, point, sizeof point, nullptr) !=
          sizeof point) {
    return Status::FailedPrecondition("SM2: " + OpenSslError());
  }
  ParamBld bld(OSSL_PARAM_BLD_new());
  if (!bld || !OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, "SM2", 0) ||
      !OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_PRIV_KEY, priv.get()) ||
      !OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, point, sizeof point)) {
    return Status::FailedPrecondition("SM2: " + OpenSslError());
  }
  Params params(OSSL_PARAM_BLD_to_param(bld.get()));
  CUSTOS_ASSIGN_OR_RETURN(auto pkey, FromData(params.get(), EVP_PKEY_KEYPAIR));
  return Sm2Key(std::move(pkey));
}

std::string Sm2Key::ToPem() const {
  Bio bio(BIO_new(BIO_s_mem()));
  PEM_write_bio_PrivateKey(bio.get(), pkey_.get(), nullptr, nullptr, 0, nullptr, nullptr);
  return FromBio(bio.get());
}

std::string Sm2Key::PublicKeyPem() const { return PublicPem(pkey_.get()); }

Bytes Sm2Key::PublicKey() const {
  Bytes out(kSm2PublicKeyBytes);
  size_t n = 0;
  if (EVP_PKEY_get_octet_string_param(pkey_.get(), OSSL_PKEY_PARAM_PUB_KEY, out.data(), out.size(), &n) <= 0) {
    ERR_clear_error();
    return {};
  }
  out.resize(n);
  return out;
}

Result<Bytes> Sm2Key::Sign(ByteSpan message, std::string_view id) const {
  CUSTOS_ASSIGN_OR_RETURN(auto c, NewSignatureContext(pkey_.get(), id, /*sign=*/true));
  size_t n = 0;
  if (EVP_DigestSign(c->md.get(), nullptr, &n, message.data(), message.size()) <= 0) {
    return Status::FailedPrecondition("SM2 sign: " + OpenSslError());
  }
  Bytes sig(n);
  if (EVP_DigestSign(c->md.get(), sig.data(), &n, message.data(), message.size()) <= 0) {
    return Status::FailedPrecondition("SM2 sign: " + OpenSslError());
  }
  sig.resize(n);
  return sig;
}

Status Sm2Verify(ByteSpan public_key, ByteSpan message, ByteSpan signature, std::string_view id) {
  CUSTOS_ASSIGN_OR_RETURN(auto pkey, PublicKeyOf(public_key));
  CUSTOS_ASSIGN_OR_RETURN(auto c, NewSignatureContext(pkey.get(), id, /*sign=*/false));
  const int ok = EVP_DigestVerify(c->md.get(), signature.data(), signature.size(), message.data(), message.size());
  ERR_clear_error();
  return ok == 1 ? Status::OK() : Status::Corruption("SM2 signature does not verify");
}

Result<std::string> Sm2PublicKeyPem(ByteSpan public_key) {
  CUSTOS_ASSIGN_OR_RETURN(auto pkey, PublicKeyOf(public_key));
  return PublicPem(pkey.get());
}

}  // namespace custos
