#include "node/tls.h"

#include <kj/debug.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <algorithm>
#include <cstring>
#include <optional>
#include <utility>

#include "crypto/bytes.h"
#include "node/access.h"

namespace custos::node {

namespace internal {

// What every stream needs from its context. Streams hold it by shared_ptr so
// that a context may be destroyed while its connections live on.
struct TlsShared {
  SSL_CTX* ctx = nullptr;
  AllowPeerFn allow;
  ~TlsShared() { SSL_CTX_free(ctx); }
};

}  // namespace internal

namespace {

using kj::byte;

// Not before 2000-01-01, not after 9999-12-31 23:59:59 (RFC 5280 §4.1.2.5:
// "no well-defined expiration date"). Fixed, so that a key always gives the
// same certificate; nobody checks them anyway (see tls.h).
constexpr char kNotBefore[] = "20000101000000Z";
constexpr char kNotAfter[] = "99991231235959Z";
constexpr char kFallbackCommonName[] = "custos";

// Largest Certificate handshake message we accept from a peer.
constexpr long kMaxCertificateMessage = 16 * 1024;

// Ciphertext a peer may send before the handshake and acceptance are done. A
// Custos handshake takes 1-2 KB each way (one small certificate); the bound
// keeps a peer that never finishes from making OpenSSL buffer a ClientHello
// of up to 128 KB (tls.h, "Memory").
constexpr size_t kMaxHandshakeCiphertext = 32 * 1024;

// Read buffers for ciphertext: small while handshaking (and allocated only
// when the peer has sent something), a whole record once established.
constexpr size_t kHandshakeReadBytes = 4 * 1024;
constexpr size_t kEstablishedReadBytes = kTlsRecordPlaintext + 512;

// How many bytes of a refused key go into the error message.

// OpenSSL's error queue (per thread) as one line of reasons. Draining it also
// keeps one connection's errors from being blamed on the next.
std::string TakeOpenSslErrors() {
  std::string out;
  while (unsigned long e = ERR_get_error()) {
    const char* reason = ERR_reason_error_string(e);
    char fallback[256];
    if (reason == nullptr) {
      ERR_error_string_n(e, fallback, sizeof fallback);
      reason = fallback;
    }
    if (!out.empty()) out += "; ";
    out += reason;
  }
  return out.empty() ? "unknown error" : out;
}

kj::Exception TlsError(kj::Exception::Type type, const std::string& message) {
  return kj::Exception(type, __FILE__, __LINE__, kj::heapString(message.data(), message.size()));
}

// For bugs and out-of-memory only: a valid identity cannot make these fail.
void CheckOpenSsl(bool ok, const char* what) {
  if (!ok) KJ_FAIL_ASSERT("OpenSSL failed", what, TakeOpenSslErrors().c_str());
}

// True if OpenSSL's first queued error is `reason` from libssl.
bool FirstErrorIs(int reason) {
  unsigned long e = ERR_peek_error();
  return ERR_GET_LIB(e) == ERR_LIB_SSL && ERR_GET_REASON(e) == reason;
}

// True if the first queued error is an alert that means "I refuse your
// certificate" (alerts are reported as SSL_AD_REASON_OFFSET + alert number).
bool FirstErrorIsCertificateAlert() {
  unsigned long e = ERR_peek_error();
  if (ERR_GET_LIB(e) != ERR_LIB_SSL) return false;
  int reason = ERR_GET_REASON(e);
  return reason == SSL_AD_REASON_OFFSET + SSL_AD_BAD_CERTIFICATE ||
         reason == SSL_AD_REASON_OFFSET + SSL_AD_CERTIFICATE_UNKNOWN ||
         reason == SSL_AD_REASON_OFFSET + SSL_AD_CERTIFICATE_REQUIRED ||
         reason == SSL_AD_REASON_OFFSET + SSL_AD_UNSUPPORTED_CERTIFICATE;
}

struct SslFree {
  void operator()(SSL* ssl) const { SSL_free(ssl); }
};

// ---------------------------------------------------------------------------
// TlsStream: TLS over another AsyncIoStream, with OpenSSL fed through memory
// BIOs. OpenSSL never touches the network: after every SSL_* call the
// ciphertext it produced is taken out of `wbio` and queued for the underlying
// stream (QueueOutput), and when it wants input we read some from the
// underlying stream into `rbio` (ReadCiphertext) and call it again.
//
// KJ's stream interfaces have no virtual destructor by design: kj::Own
// remembers how to delete the concrete type. GCC warns about it anyway.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnon-virtual-dtor"
class TlsStream final : public kj::AsyncIoStream {
 public:
  enum class Role { kServer, kClient };

  TlsStream(std::shared_ptr<internal::TlsShared> shared, kj::Own<kj::AsyncIoStream> inner,
            Role role);

  // The handshake, then the acceptance byte (see tls.h). Rejects with the
  // errors listed for TlsContext::WrapServer / WrapClient.
  kj::Promise<void> Handshake();
  const PublicKey& peer() const;

  // Called by OpenSSL (VerifyPeerCertificate) during the handshake.
  bool CheckPeer(X509_STORE_CTX* store);

  kj::Promise<size_t> tryRead(void* buffer, size_t minBytes, size_t maxBytes) override;
  kj::Promise<void> write(const void* buffer, size_t size) override;
  kj::Promise<void> write(kj::ArrayPtr<const kj::ArrayPtr<const byte>> pieces) override;
  kj::Promise<void> whenWriteDisconnected() override { return inner_->whenWriteDisconnected(); }
  void shutdownWrite() override;
  void abortRead() override { inner_->abortRead(); }
  void getsockopt(int level, int option, void* value, kj::uint* length) override {
    inner_->getsockopt(level, option, value, length);
  }
  void setsockopt(int level, int option, const void* value, kj::uint length) override {
    inner_->setsockopt(level, option, value, length);
  }
  void getsockname(struct sockaddr* addr, kj::uint* length) override {
    inner_->getsockname(addr, length);
  }
  void getpeername(struct sockaddr* addr, kj::uint* length) override {
    inner_->getpeername(addr, length);
  }

 private:
  // What is left of one write() call.
  struct PendingWrite {
    kj::Array<kj::ArrayPtr<const byte>> pieces;
    size_t piece = 0;
    size_t offset = 0;
    bool done() const { return piece == pieces.size(); }
    size_t Gather(byte* out, size_t max);
    kj::ArrayPtr<const byte> Current() const { return pieces[piece].slice(offset, pieces[piece].size()); }
    void Advance(size_t n);
  };

  void SetUpSsl();
  kj::Promise<void> DriveHandshake();
  kj::Promise<void> SendAccepted();
  kj::Promise<void> AwaitAccepted();
  kj::Promise<size_t> ReadPlain(byte* out, size_t minBytes, size_t maxBytes, size_t done);
  kj::Promise<void> ReadCiphertext();
  void CountHandshakeBytes(size_t n);
  kj::Promise<void> WriteSome(PendingWrite w);
  void SslWrite(const byte* data, size_t size);
  void QueueOutput();
  kj::Promise<void> Flush();
  kj::Exception Fail(int ssl_error, const char* op);
  kj::Exception HandshakeFailure(int ssl_error);
  void Refuse(std::string why) { refusal_ = std::move(why); }

  // Destroyed last: everything below may still refer to it.
  kj::Own<kj::AsyncIoStream> inner_;
  std::shared_ptr<internal::TlsShared> shared_;
  std::unique_ptr<SSL, SslFree> ssl_;
  BIO* rbio_ = nullptr;  // owned by ssl_: ciphertext from the peer
  BIO* wbio_ = nullptr;  // owned by ssl_: ciphertext for the peer
  const Role role_;

  // Every write to `inner_`, chained so that they happen in order. Destroyed
  // before `inner_` (declared after), which cancels a write in progress.
  kj::ForkedPromise<void> write_tail_;
  size_t queued_bytes_ = 0;  // queued on write_tail_, not yet taken by inner_

  kj::Array<byte> cipher_in_;    // sized by ReadCiphertext (kHandshakeReadBytes, kEstablishedReadBytes)
  size_t handshake_bytes_ = 0;  // ciphertext read before established_
  byte accepted_byte_ = 0;
  bool established_ = false;  // the handshake and acceptance are done
  bool eof_ = false;          // the peer's close_notify has been read
  bool shut_down_ = false;
  std::optional<PublicKey> peer_;
  std::string refusal_;  // why CheckPeer said no
  kj::Maybe<kj::Exception> failure_;
};
#pragma GCC diagnostic pop

// The certificate check that replaces OpenSSL's chain verification (see
// tls.h). OpenSSL reaches us through the SSL's app data.
int VerifyPeerCertificate(X509_STORE_CTX* store, void* /*arg*/) {
  auto* ssl = static_cast<SSL*>(X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx()));
  auto* stream = ssl == nullptr ? nullptr : static_cast<TlsStream*>(SSL_get_app_data(ssl));
  bool ok = false;
  try {
    ok = stream != nullptr && stream->CheckPeer(store);
  } catch (...) {
    // Nothing may unwind through OpenSSL's frames (only bad_alloc can get here).
    ok = false;
  }
  // CERT_REJECTED makes OpenSSL send a bad_certificate alert.
  X509_STORE_CTX_set_error(store, ok ? X509_V_OK : X509_V_ERR_CERT_REJECTED);
  return ok ? 1 : 0;
}

TlsStream::TlsStream(std::shared_ptr<internal::TlsShared> shared, kj::Own<kj::AsyncIoStream> inner,
                     Role role)
    : inner_(kj::mv(inner)),
      shared_(std::move(shared)),
      role_(role),
      write_tail_(kj::Promise<void>(kj::READY_NOW).fork()) {
  // A client speaks first. A server waits for the peer's first bytes before
  // it allocates any TLS state: a connection that never speaks costs little.
  if (role == Role::kClient) SetUpSsl();
}

void TlsStream::SetUpSsl() {
  ssl_.reset(SSL_new(shared_->ctx));
  CheckOpenSsl(ssl_ != nullptr, "SSL_new");
  rbio_ = BIO_new(BIO_s_mem());
  wbio_ = BIO_new(BIO_s_mem());
  if (rbio_ == nullptr || wbio_ == nullptr) {
    BIO_free(rbio_);
    BIO_free(wbio_);
    rbio_ = wbio_ = nullptr;
    CheckOpenSsl(false, "BIO_new");
  }
  // An empty memory BIO means "wait for more", never "end of stream": the
  // end of the underlying stream is handled in ReadCiphertext.
  BIO_set_mem_eof_return(rbio_, -1);
  SSL_set_bio(ssl_.get(), rbio_, wbio_);
  SSL_set_app_data(ssl_.get(), this);
  if (role_ == Role::kServer) {
    SSL_set_accept_state(ssl_.get());
  } else {
    SSL_set_connect_state(ssl_.get());
  }
}

const PublicKey& TlsStream::peer() const {
  KJ_ASSERT(peer_.has_value(), "TLS handshake completed without a checked peer key");
  return *peer_;
}

bool TlsStream::CheckPeer(X509_STORE_CTX* store) {
  // The peer's chain as sent, leaf first. libp2p's rule: exactly one certificate.
  STACK_OF(X509)* sent = X509_STORE_CTX_get0_untrusted(store);
  if (sent != nullptr && sk_X509_num(sent) > 1) {
    Refuse("TLS peer sent " + std::to_string(sk_X509_num(sent)) + " certificates; want one");
    return false;
  }
  X509* leaf = X509_STORE_CTX_get0_cert(store);
  EVP_PKEY* key = leaf == nullptr ? nullptr : X509_get0_pubkey(leaf);
  PublicKey pub;
  size_t len = pub.bytes.size();
  if (key == nullptr || EVP_PKEY_get_id(key) != EVP_PKEY_ED25519 ||
      EVP_PKEY_get_raw_public_key(key, pub.bytes.data(), &len) != 1 || len != pub.bytes.size()) {
    ERR_clear_error();
    Refuse("TLS peer certificate key is not Ed25519");
    return false;
  }
  bool allowed = false;
  KJ_IF_MAYBE(e, kj::runCatchingExceptions([&] { allowed = shared_->allow(pub); })) {
    Refuse("TLS peer key " + KeyPrefix(pub) + " is not allowed (the check failed: " +
           std::string(e->getDescription().cStr()) + ")");
    return false;
  }
  if (!allowed) {
    Refuse("TLS peer key " + KeyPrefix(pub) + " is not allowed");
    return false;
  }
  peer_ = pub;
  return true;
}

// --- handshake --------------------------------------------------------------

kj::Promise<void> TlsStream::Handshake() {
  // A server's SSL is set up by the first ReadCiphertext (see the constructor).
  auto ready = ssl_ ? kj::Promise<void>(kj::READY_NOW) : ReadCiphertext();
  return ready.then([this] { return DriveHandshake(); }).then([this] {
    return role_ == Role::kServer ? SendAccepted() : AwaitAccepted();
  });
}

kj::Promise<void> TlsStream::DriveHandshake() {
  ERR_clear_error();
  int r = SSL_do_handshake(ssl_.get());
  int err = r == 1 ? SSL_ERROR_NONE : SSL_get_error(ssl_.get(), r);
  if (err == SSL_ERROR_NONE) {
    QueueOutput();
    return kj::READY_NOW;
  }
  if (err == SSL_ERROR_WANT_READ) {
    QueueOutput();
    return ReadCiphertext().then([this] { return DriveHandshake(); });
  }
  // Let the alert that tells the peer why reach it before we give up.
  kj::Exception e = HandshakeFailure(err);
  return Flush().then([e]() mutable -> kj::Promise<void> { return kj::mv(e); },
                      [e](kj::Exception&&) mutable -> kj::Promise<void> { return kj::mv(e); });
}

kj::Promise<void> TlsStream::SendAccepted() {
  return kj::evalNow([this]() -> kj::Promise<void> {
    SslWrite(&kTlsAcceptedByte, 1);
    // Not waited for: the byte is in order on write_tail_, ahead of anything
    // the caller writes next.
    QueueOutput();
    established_ = true;
    return kj::READY_NOW;
  });
}

kj::Promise<void> TlsStream::AwaitAccepted() {
  return ReadPlain(&accepted_byte_, 1, 1, 0).then([this](size_t n) {
    if (n != 1) {
      kj::throwFatalException(TlsError(kj::Exception::Type::DISCONNECTED,
                                       "TLS peer closed the connection during the handshake"));
    }
    if (accepted_byte_ != kTlsAcceptedByte) {
      kj::throwFatalException(TlsError(kj::Exception::Type::FAILED,
                                       "TLS handshake failed: the peer is not a Custos node "
                                       "(no acceptance byte)"));
    }
    established_ = true;
  });
}

kj::Exception TlsStream::HandshakeFailure(int ssl_error) {
  kj::Exception e = [&] {
    if (!refusal_.empty()) return TlsError(kj::Exception::Type::FAILED, refusal_);
    if (ssl_error == SSL_ERROR_SSL && FirstErrorIs(SSL_R_PEER_DID_NOT_RETURN_A_CERTIFICATE)) {
      return TlsError(kj::Exception::Type::FAILED, "TLS peer presented no certificate");
    }
    if (ssl_error == SSL_ERROR_SSL && FirstErrorIsCertificateAlert()) {
      return TlsError(kj::Exception::Type::FAILED,
                      "TLS handshake failed: the peer refused us (" + TakeOpenSslErrors() + ")");
    }
    return TlsError(kj::Exception::Type::FAILED, "TLS handshake failed: " + TakeOpenSslErrors());
  }();
  ERR_clear_error();
  failure_ = kj::cp(e);
  return e;
}

// --- reading ----------------------------------------------------------------

kj::Promise<size_t> TlsStream::tryRead(void* buffer, size_t minBytes, size_t maxBytes) {
  // minBytes == 0 would make "nothing yet" look like EOF; wait for a byte.
  return ReadPlain(static_cast<byte*>(buffer), std::max<size_t>(minBytes, 1), maxBytes, 0);
}

kj::Promise<size_t> TlsStream::ReadPlain(byte* out, size_t minBytes, size_t maxBytes, size_t done) {
  for (;;) {
    KJ_IF_MAYBE(e, failure_) { return kj::cp(*e); }
    if (eof_ || done >= maxBytes) return done;
    size_t n = 0;
    ERR_clear_error();
    int r = SSL_read_ex(ssl_.get(), out + done, maxBytes - done, &n);
    int err = r == 1 ? SSL_ERROR_NONE : SSL_get_error(ssl_.get(), r);
    QueueOutput();  // reading may produce output (e.g. a KeyUpdate answer)
    if (err == SSL_ERROR_NONE) {
      done += n;
      if (done >= minBytes) return done;
    } else if (err == SSL_ERROR_ZERO_RETURN) {
      eof_ = true;
    } else if (err == SSL_ERROR_WANT_READ) {
      return ReadCiphertext().then(
          [this, out, minBytes, maxBytes, done] { return ReadPlain(out, minBytes, maxBytes, done); });
    } else {
      return established_ ? Fail(err, "read") : HandshakeFailure(err);
    }
  }
}

kj::Promise<void> TlsStream::ReadCiphertext() {
  // OpenSSL only asks for more when it has used up what we gave it, so rbio_
  // holds at most one read's worth. If what reading made us send is stuck
  // (a peer that sends but does not read), wait for it before reading more.
  if (queued_bytes_ > kTlsMaxQueuedCiphertext) {
    return write_tail_.addBranch().then([this] { return ReadCiphertext(); });
  }
  // No read is pending here, so the buffer may be replaced.
  const size_t want = established_ ? kEstablishedReadBytes : kHandshakeReadBytes;
  if (cipher_in_.size() != want) cipher_in_ = kj::heapArray<byte>(want);
  return inner_->tryRead(cipher_in_.begin(), 1, cipher_in_.size()).then([this](size_t n) {
    if (n == 0) {
      kj::Exception e = TlsError(kj::Exception::Type::DISCONNECTED,
                                 established_ ? "TLS peer closed the connection without close_notify"
                                              : "TLS peer closed the connection during the handshake");
      failure_ = kj::cp(e);
      kj::throwFatalException(kj::mv(e));
    }
    if (!established_) CountHandshakeBytes(n);
    if (!ssl_) SetUpSsl();
    int written = BIO_write(rbio_, cipher_in_.begin(), static_cast<int>(n));
    CheckOpenSsl(written == static_cast<int>(n), "BIO_write");
  });
}

void TlsStream::CountHandshakeBytes(size_t n) {
  handshake_bytes_ += n;
  if (handshake_bytes_ <= kMaxHandshakeCiphertext) return;
  kj::Exception e = TlsError(kj::Exception::Type::FAILED,
                             "TLS handshake failed: the peer sent more than " +
                                 std::to_string(kMaxHandshakeCiphertext) + " bytes without completing it");
  failure_ = kj::cp(e);
  kj::throwFatalException(kj::mv(e));
}

// --- writing ----------------------------------------------------------------

kj::Promise<void> TlsStream::write(const void* buffer, size_t size) {
  auto piece = kj::arrayPtr(static_cast<const byte*>(buffer), size);
  return write(kj::arrayPtr(&piece, 1));
}

kj::Promise<void> TlsStream::write(kj::ArrayPtr<const kj::ArrayPtr<const byte>> pieces) {
  // The pieces' bytes stay valid until the promise resolves; the array of
  // pieces itself need not, so it is copied.
  return kj::evalNow([&] { return WriteSome(PendingWrite{kj::heapArray(pieces)}); });
}

size_t TlsStream::PendingWrite::Gather(byte* out, size_t max) {
  size_t n = 0;
  while (!done() && n < max) {
    auto cur = Current();
    size_t take = std::min(cur.size(), max - n);
    if (take > 0) std::memcpy(out + n, cur.begin(), take);
    n += take;
    Advance(take);
  }
  return n;
}

void TlsStream::PendingWrite::Advance(size_t n) {
  offset += n;
  while (!done() && offset == pieces[piece].size()) {
    ++piece;
    offset = 0;
  }
}

// Encrypts up to kTlsMaxQueuedCiphertext of plaintext, queues it, and waits
// for the underlying stream to take it before encrypting more: the caller's
// data is never copied in bulk and a slow peer slows the writer down.
kj::Promise<void> TlsStream::WriteSome(PendingWrite w) {
  KJ_IF_MAYBE(e, failure_) { return kj::cp(*e); }
  KJ_REQUIRE(!shut_down_, "TLS stream: write() after shutdownWrite()");
  w.Advance(0);  // skip empty pieces
  size_t batch = 0;
  while (!w.done() && batch < kTlsMaxQueuedCiphertext) {
    auto cur = w.Current();
    if (cur.size() >= kTlsRecordPlaintext) {
      // A large piece goes to OpenSSL as is, in whole records.
      size_t n = std::min(cur.size(), kTlsMaxQueuedCiphertext - batch);
      n = std::max(n - n % kTlsRecordPlaintext, kTlsRecordPlaintext);
      SslWrite(cur.begin(), n);
      w.Advance(n);
      batch += n;
    } else {
      // Small pieces (a capnp segment table, small segments) share a record.
      byte record[kTlsRecordPlaintext];
      size_t n = w.Gather(record, sizeof record);
      SslWrite(record, n);
      batch += n;
    }
  }
  auto flushed = Flush();
  if (w.done()) return flushed;
  return flushed.then([this, w = kj::mv(w)]() mutable { return WriteSome(kj::mv(w)); });
}

void TlsStream::SslWrite(const byte* data, size_t size) {
  ERR_clear_error();
  size_t written = 0;
  int r = SSL_write_ex(ssl_.get(), data, size, &written);
  // A memory BIO takes everything, so a write is all or an error.
  if (r != 1 || written != size) kj::throwFatalException(Fail(SSL_get_error(ssl_.get(), r), "write"));
}

void TlsStream::QueueOutput() {
  if (wbio_ == nullptr) return;  // a server that has not heard its peer yet
  size_t pending = BIO_ctrl_pending(wbio_);
  if (pending == 0) return;
  auto bytes = kj::heapArray<byte>(pending);
  CheckOpenSsl(BIO_read(wbio_, bytes.begin(), static_cast<int>(pending)) == static_cast<int>(pending),
               "BIO_read");
  queued_bytes_ += pending;
  write_tail_ = write_tail_.addBranch()
                    .then([this, bytes = kj::mv(bytes)]() mutable {
                      auto written = inner_->write(bytes.begin(), bytes.size());
                      return written.attach(kj::mv(bytes));
                    })
                    .then([this, pending] { queued_bytes_ -= pending; })
                    .fork();
}

kj::Promise<void> TlsStream::Flush() {
  QueueOutput();
  return write_tail_.addBranch();
}

void TlsStream::shutdownWrite() {
  KJ_REQUIRE(!shut_down_, "TLS stream: shutdownWrite() called twice");
  shut_down_ = true;
  if (failure_ == nullptr) {
    // Queues close_notify. We do not wait for the peer's (TLS 1.3 half-close).
    ERR_clear_error();
    if (SSL_shutdown(ssl_.get()) < 0) ERR_clear_error();
    QueueOutput();
  }
  write_tail_ = write_tail_.addBranch().then([this] { inner_->shutdownWrite(); }).fork();
}

kj::Exception TlsStream::Fail(int ssl_error, const char* op) {
  std::string why = ssl_error == SSL_ERROR_SSL ? TakeOpenSslErrors()
                                               : "OpenSSL error code " + std::to_string(ssl_error);
  ERR_clear_error();
  kj::Exception e = TlsError(kj::Exception::Type::FAILED, std::string("TLS ") + op + " failed: " + why);
  failure_ = kj::cp(e);
  return e;
}

kj::Promise<AuthenticatedTlsStream> Wrap(std::shared_ptr<internal::TlsShared> shared,
                                         kj::Own<kj::AsyncIoStream> raw, TlsStream::Role role) {
  return kj::evalNow([&] {
    auto stream = kj::heap<TlsStream>(std::move(shared), kj::mv(raw), role);
    TlsStream& ref = *stream;
    // `stream` lives in the continuation, which KJ destroys after the
    // promises that use it: cancelling the handshake is safe.
    return ref.Handshake().then([stream = kj::mv(stream)]() mutable {
      PublicKey peer = stream->peer();
      return AuthenticatedTlsStream{kj::mv(stream), peer};
    });
  });
}

}  // namespace

// --- TlsIdentity --------------------------------------------------------------

void TlsIdentity::OpenSslDeleter::operator()(X509* x) const { X509_free(x); }
void TlsIdentity::OpenSslDeleter::operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }

TlsIdentity::TlsIdentity(std::string name, const PublicKey& key,
                         std::unique_ptr<EVP_PKEY, OpenSslDeleter> pkey,
                         std::unique_ptr<X509, OpenSslDeleter> cert)
    : name_(std::move(name)), public_key_(key), pkey_(std::move(pkey)), cert_(std::move(cert)) {}
TlsIdentity::TlsIdentity(TlsIdentity&&) noexcept = default;
TlsIdentity& TlsIdentity::operator=(TlsIdentity&&) noexcept = default;
TlsIdentity::~TlsIdentity() = default;

namespace {

void SetCommonName(X509_NAME* subject, const std::string& name) {
  auto add = [&](const std::string& cn) {
    return X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_UTF8,
                                      reinterpret_cast<const unsigned char*>(cn.data()),
                                      static_cast<int>(cn.size()), -1, 0) == 1;
  };
  // A name that is not a valid CN (too long, not UTF-8) is only informational.
  if (name.empty() || name.size() > 64 || !add(name)) {
    ERR_clear_error();
    CheckOpenSsl(add(kFallbackCommonName), "X509_NAME_add_entry_by_txt");
  }
}

// Serial number: the first 8 bytes of the key, made positive and non-zero.
uint64_t SerialFor(const PublicKey& key) {
  uint64_t serial = GetBigEndian64(key.bytes.data()) & 0x7fffffffffffffffULL;
  return serial == 0 ? 1 : serial;
}

}  // namespace

Result<TlsIdentity> TlsIdentity::FromKey(const NamedKey& key) {
  ERR_clear_error();
  ByteSpan seed = key.key.seed();
  std::unique_ptr<EVP_PKEY, OpenSslDeleter> pkey(
      EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr, seed.data(), seed.size()));
  if (pkey == nullptr) return Status::InvalidArgument("TLS identity: key: " + TakeOpenSslErrors());
  std::unique_ptr<X509, OpenSslDeleter> cert(X509_new());
  if (cert == nullptr) return Status::InvalidArgument("TLS identity: " + TakeOpenSslErrors());
  X509* x = cert.get();
  SetCommonName(X509_get_subject_name(x), key.name);
  bool ok = X509_set_version(x, X509_VERSION_3) == 1 &&
            ASN1_INTEGER_set_uint64(X509_get_serialNumber(x), SerialFor(key.key.public_key())) == 1 &&
            X509_set_issuer_name(x, X509_get_subject_name(x)) == 1 &&
            ASN1_TIME_set_string_X509(X509_getm_notBefore(x), kNotBefore) == 1 &&
            ASN1_TIME_set_string_X509(X509_getm_notAfter(x), kNotAfter) == 1 &&
            X509_set_pubkey(x, pkey.get()) == 1 &&
            X509_sign(x, pkey.get(), nullptr) > 0;  // Ed25519 takes no digest
  if (!ok) return Status::InvalidArgument("TLS identity: certificate: " + TakeOpenSslErrors());
  return TlsIdentity(key.name, key.key.public_key(), std::move(pkey), std::move(cert));
}

std::string TlsIdentity::CertificatePem() const {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), &BIO_free);
  CheckOpenSsl(bio != nullptr && PEM_write_bio_X509(bio.get(), cert_.get()) == 1,
               "PEM_write_bio_X509");
  char* data = nullptr;
  long size = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(size));
}

// --- TlsContext -----------------------------------------------------------------

TlsContext::TlsContext(const TlsIdentity& self, AllowPeerFn allow)
    : self_(self.public_key()), shared_(std::make_shared<internal::TlsShared>()) {
  KJ_REQUIRE(allow != nullptr, "TlsContext needs an AllowPeerFn");
  shared_->allow = std::move(allow);
  ERR_clear_error();
  SSL_CTX* ctx = SSL_CTX_new(TLS_method());
  CheckOpenSsl(ctx != nullptr, "SSL_CTX_new");
  shared_->ctx = ctx;
  CheckOpenSsl(SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION) == 1 &&
                   SSL_CTX_set_max_proto_version(ctx, TLS1_3_VERSION) == 1,
               "TLS 1.3 only");
  CheckOpenSsl(SSL_CTX_use_certificate(ctx, self.cert_.get()) == 1 &&
                   SSL_CTX_use_PrivateKey(ctx, self.pkey_.get()) == 1 &&
                   SSL_CTX_check_private_key(ctx) == 1,
               "certificate and key");
  // Ed25519 is the only signature scheme we sign with or accept, for the
  // server's and the client's CertificateVerify alike.
  CheckOpenSsl(SSL_CTX_set1_sigalgs_list(ctx, "ed25519") == 1 &&
                   SSL_CTX_set1_client_sigalgs_list(ctx, "ed25519") == 1,
               "signature algorithms");
  SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
  SSL_CTX_set_cert_verify_callback(ctx, &VerifyPeerCertificate, nullptr);
  // No resumption: every connection shows its certificate to the AllowPeerFn.
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
  SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
  CheckOpenSsl(SSL_CTX_set_num_tickets(ctx, 0) == 1, "SSL_CTX_set_num_tickets");
  // One self-signed Ed25519 certificate is a few hundred bytes: refuse a
  // Certificate message larger than this before buffering it.
  SSL_CTX_set_max_cert_list(ctx, kMaxCertificateMessage);
  // Idle connections give their record buffers back.
  SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
}

TlsContext::~TlsContext() = default;

kj::Promise<AuthenticatedTlsStream> TlsContext::WrapServer(kj::Own<kj::AsyncIoStream> raw) {
  return Wrap(shared_, kj::mv(raw), TlsStream::Role::kServer);
}

kj::Promise<AuthenticatedTlsStream> TlsContext::WrapClient(kj::Own<kj::AsyncIoStream> raw) {
  return Wrap(shared_, kj::mv(raw), TlsStream::Role::kClient);
}

}  // namespace custos::node
