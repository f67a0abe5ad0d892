// TLS 1.3 for KJ streams, with both ends authenticated by their Ed25519 keys.
//
// Cap'n Proto 0.9.2's kj-tls can only check a peer against trusted CA
// certificates and shows only its common name. Custos needs to accept a peer
// because of its key (a federation peer's key, an officer's key), from a set
// that changes at run time. So, as libp2p's TLS handshake does:
//
//  - each side presents one self-signed X.509 certificate whose public key IS
//    its Ed25519 signing key (TlsIdentity);
//  - the certificate's signature, names, validity period and extensions are
//    ignored: a peer is accepted iff it sent exactly one certificate, that
//    certificate's key is Ed25519, and the AllowPeerFn says yes to the key;
//  - the TLS 1.3 CertificateVerify message (signed with that key over the
//    handshake transcript, checked by OpenSSL) proves that the peer holds the
//    private key. Only the "ed25519" signature scheme is offered or accepted.
//
// Wire protocol:
//  - TLS 1.3 only; no session tickets, no resumption, no early data, no SNI.
//    Every connection is a full handshake, so a key the AllowPeerFn stops
//    allowing is refused on the next connection (open connections are not
//    re-checked: drop them yourself if you revoke a key).
//  - In TLS 1.3 a client finishes its handshake before the server has checked
//    the client's certificate. So that a refused client learns it during the
//    handshake and not on its first read, the server, once it has accepted the
//    client, sends one application-data byte, kTlsAcceptedByte; WrapClient
//    resolves only when that byte has arrived. It is not part of the stream
//    that the caller sees.
//
// Threading: a TlsContext and every stream it makes belong to the KJ event
// loop of the thread that uses them; none of it is thread-safe.
//
// Timeouts are the caller's business: a peer that stalls mid-handshake keeps
// its own promise pending forever but blocks nothing else (every connection is
// driven by its own promises). Wrap the handshake in a timer, e.g.
//   timer.timeoutAfter(10 * kj::SECONDS, tls.WrapServer(kj::mv(raw)))
// and apply the same to reads of an idle connection if that matters
// (RpcListener does both).
//
// Memory: what a handshake that never completes can hold is bounded. A server
// stream allocates no TLS state until the peer has sent its first bytes (a
// silent connection holds a few hundred bytes); reads before the handshake
// is done go through a 4 KB buffer; a peer that sends more than 32 KB of
// ciphertext without completing the handshake (a Custos handshake takes 1-2
// KB) fails it; idle connections give OpenSSL's record buffers back
// (SSL_MODE_RELEASE_BUFFERS). How many handshakes run at once is the caller's
// to bound (RpcListener).
#pragma once

#include <kj/async-io.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "crypto/ed25519.h"
#include "crypto/keyfile.h"
#include "crypto/status.h"

// OpenSSL types, so that this header does not include OpenSSL's.
typedef struct x509_st X509;
typedef struct evp_pkey_st EVP_PKEY;

namespace custos::node {

namespace internal {
struct TlsShared;  // the SSL_CTX and the AllowPeerFn, shared with every stream
}  // namespace internal

// The byte that a server sends after it has accepted the client's key.
inline constexpr uint8_t kTlsAcceptedByte = 0x01;

// Largest plaintext put into one TLS record, and the largest amount of
// ciphertext that a stream queues for the network before it waits for the
// underlying stream to take it. A stream buffers at most about this much of its
// own (plus OpenSSL's record buffers), whatever its caller writes or its peer
// sends.
inline constexpr size_t kTlsRecordPlaintext = 16 * 1024;
inline constexpr size_t kTlsMaxQueuedCiphertext = 64 * 1024;

// A TLS identity made from an Ed25519 signing key: the key and a self-signed
// X.509 v3 certificate for it, built in memory. The certificate's subject and
// issuer are CN=<key name> (CN=custos if the name is not a valid common name,
// e.g. longer than 64 characters: the name is informational only), its serial
// number is taken from the public key, and it is valid from 2000-01-01 to
// 9999-12-31 (RFC 5280's "no well-defined expiration date"), so the same key
// always gives the same certificate. Movable, not copyable; immutable.
class TlsIdentity final {
 public:
  // Fails with InvalidArgument if OpenSSL refuses the key or the certificate
  // (which a valid SigningKey does not cause).
  static Result<TlsIdentity> FromKey(const NamedKey& key);

  TlsIdentity(TlsIdentity&&) noexcept;
  TlsIdentity& operator=(TlsIdentity&&) noexcept;
  ~TlsIdentity();

  const PublicKey& public_key() const { return public_key_; }
  const std::string& name() const { return name_; }
  // The certificate in PEM form (for logs and debugging tools; no secret).
  std::string CertificatePem() const;

 private:
  friend class TlsContext;
  struct OpenSslDeleter {
    void operator()(X509* x) const;
    void operator()(EVP_PKEY* k) const;
  };
  TlsIdentity(std::string name, const PublicKey& key, std::unique_ptr<EVP_PKEY, OpenSslDeleter> pkey,
              std::unique_ptr<X509, OpenSslDeleter> cert);

  std::string name_;
  PublicKey public_key_;
  std::unique_ptr<EVP_PKEY, OpenSslDeleter> pkey_;
  std::unique_ptr<X509, OpenSslDeleter> cert_;
};

// Decides whether a peer's key may connect. Called synchronously during each
// handshake, once per connection, on the event loop's thread. It must not
// block, must not destroy the stream being wrapped, and should not throw (an
// exception counts as "no", and its description goes into the error).
using AllowPeerFn = std::function<bool(const PublicKey&)>;

// A stream whose TLS handshake has completed and whose peer was allowed.
struct AuthenticatedTlsStream {
  // Reads and writes plaintext. Supports what capnp::TwoPartyVatNetwork uses:
  // one read pending while writes happen, tryRead's minBytes, multi-piece
  // writes, shutdownWrite() (sends close_notify, then shuts the underlying
  // stream's write side; the peer then reads EOF — its writes still flow:
  // TLS 1.3 half-close). An end of the underlying stream without close_notify
  // is a DISCONNECTED exception, not an EOF (truncation is not hidden).
  // Any TLS error is a FAILED exception, and every later call fails the same
  // way; an error of the underlying stream (e.g. a reset) passes through. As for any KJ stream, the promises it returns must not outlive it,
  // and at most one read and one write may be pending at a time; destroying a
  // pending promise cancels it, after which the stream should only be
  // destroyed (the cancelled operation may have consumed part of its data).
  kj::Own<kj::AsyncIoStream> stream;
  // The peer's Ed25519 key, as accepted by the AllowPeerFn.
  PublicKey peer;
};

// TLS configuration of one node or client: its identity and whom it accepts.
// Both WrapServer and WrapClient require the peer to present an allowed key.
// Streams and pending handshakes may outlive the context (each keeps what it
// needs). Not thread-safe; use from one event loop.
class TlsContext final {
 public:
  // Copies what it needs from `self`. Throws a kj::Exception only if OpenSSL
  // fails to set up a context (out of memory, a broken library).
  TlsContext(const TlsIdentity& self, AllowPeerFn allow);
  ~TlsContext();
  TlsContext(const TlsContext&) = delete;
  TlsContext& operator=(const TlsContext&) = delete;

  // Runs the server (accepting) side of the handshake over `raw`, which the
  // result owns. Rejects with a kj::Exception if the handshake fails:
  //   FAILED       "TLS peer key 1a2b3c4d5e6f7081… is not allowed" (refused by
  //                the AllowPeerFn; the first 8 bytes of the key in hex),
  //                "TLS peer presented no certificate", or
  //                "TLS handshake failed: <OpenSSL's reason>" (not TLS 1.3,
  //                garbage, a certificate that is not Ed25519, …);
  //   DISCONNECTED "TLS peer closed the connection during the handshake".
  // The peer is told why by a TLS alert before the promise rejects.
  kj::Promise<AuthenticatedTlsStream> WrapServer(kj::Own<kj::AsyncIoStream> raw);

  // The client (connecting) side; same errors, and in addition FAILED
  // "TLS handshake failed: the peer refused us (<alert>)" when the server
  // refuses this client's key.
  kj::Promise<AuthenticatedTlsStream> WrapClient(kj::Own<kj::AsyncIoStream> raw);

  const PublicKey& self() const { return self_; }

 private:
  PublicKey self_;
  std::shared_ptr<internal::TlsShared> shared_;
};

}  // namespace custos::node
