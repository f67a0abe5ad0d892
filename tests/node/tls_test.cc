// TLS with Ed25519 keys (node/tls.h): handshakes, refusals, data, half-close,
// hostile and vanishing peers, cancellation, and Cap'n Proto RPC on top.
//
// Deterministic tests run both ends in one event loop over kj::newTwoWayPipe();
// the others use real sockets on 127.0.0.1. Tests that need a client our
// TlsContext cannot be (no certificate, TLS 1.2) run a blocking OpenSSL client
// on a thread, with socket timeouts so that a bug cannot hang the test.
#include "node/tls.h"

#include <arpa/inet.h>
#include <capnp/rpc-twoparty.h>
#include <gtest/gtest.h>
#include <kj/async-io.h>
#include <kj/timer.h>
#include <kj/vector.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "crypto/bytes.h"
#include "tests/node/tls_test.capnp.h"

namespace custos::node {
namespace {

using kj::byte;
using kj::Exception;

NamedKey KeyFromSeed(const std::string& name, uint8_t fill) {
  std::array<uint8_t, 32> seed;
  seed.fill(fill);
  return NamedKey{name, SigningKey::FromSeed(seed).value()};
}

TlsIdentity IdentityOf(const NamedKey& key) {
  auto id = TlsIdentity::FromKey(key);
  if (!id.ok()) ADD_FAILURE() << id.status().ToString();
  return std::move(id).value();
}

AllowPeerFn AllowOnly(std::set<PublicKey> keys) {
  return [keys = std::move(keys)](const PublicKey& k) { return keys.count(k) > 0; };
}

std::string Prefix(const PublicKey& key) { return HexEncode(key.span().first(8)) + "\u2026"; }

kj::Array<byte> Pattern(size_t size, uint8_t salt) {
  auto out = kj::heapArray<byte>(size);
  for (size_t i = 0; i < size; ++i) out[i] = static_cast<byte>((i * 131 + (i >> 9) + salt) & 0xff);
  return out;
}

bool SameBytes(kj::ArrayPtr<const byte> a, kj::ArrayPtr<const byte> b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin());
}

// The result of one end's handshake, whichever way it went.
struct Outcome {
  std::optional<AuthenticatedTlsStream> tls;
  std::string error;  // the exception's description; empty on success
  Exception::Type type = Exception::Type::FAILED;
  bool ok() const { return tls.has_value(); }
  kj::AsyncIoStream& stream() { return *tls->stream; }
};

// Drives a handshake in the background and records how it ended.
kj::Promise<Outcome> Settle(kj::Promise<AuthenticatedTlsStream> handshake) {
  return handshake
      .then(
          [](AuthenticatedTlsStream&& s) {
            Outcome o;
            o.tls = kj::mv(s);
            return o;
          },
          [](Exception&& e) {
            Outcome o;
            o.error = e.getDescription().cStr();
            o.type = e.getType();
            return o;
          })
      .eagerlyEvaluate(nullptr);
}

class TlsTest : public ::testing::Test {
 protected:
  TlsTest()
      : io_(kj::setupAsyncIo()),
        ws_(io_.waitScope),
        server_key_(KeyFromSeed("node-a.example", 1)),
        client_key_(KeyFromSeed("officer-1", 2)),
        stranger_key_(KeyFromSeed("stranger", 3)),
        server_id_(IdentityOf(server_key_)),
        client_id_(IdentityOf(client_key_)),
        stranger_id_(IdentityOf(stranger_key_)) {}
  // KJ's members may throw from their destructors; gtest's may not.
  ~TlsTest() noexcept override {}

  const PublicKey& ServerPub() const { return server_key_.key.public_key(); }
  const PublicKey& ClientPub() const { return client_key_.key.public_key(); }
  const PublicKey& StrangerPub() const { return stranger_key_.key.public_key(); }

  // The server knows the client; the client knows the server.
  std::unique_ptr<TlsContext> ServerContext() {
    return std::make_unique<TlsContext>(server_id_, AllowOnly({ClientPub()}));
  }
  std::unique_ptr<TlsContext> ClientContext(const TlsIdentity& id) {
    return std::make_unique<TlsContext>(id, AllowOnly({ServerPub()}));
  }

  std::pair<Outcome, Outcome> HandshakeOverPipe(TlsContext& server, TlsContext& client) {
    auto pipe = kj::newTwoWayPipe();
    auto s = Settle(server.WrapServer(kj::mv(pipe.ends[0])));
    auto c = Settle(client.WrapClient(kj::mv(pipe.ends[1])));
    Outcome so = s.wait(ws_);
    Outcome co = c.wait(ws_);
    return {std::move(so), std::move(co)};
  }

  kj::Own<kj::ConnectionReceiver> Listen() {
    return io_.provider->getNetwork().parseAddress("127.0.0.1:0").wait(ws_)->listen();
  }

  kj::Promise<kj::Own<kj::AsyncIoStream>> Connect(kj::uint port) {
    return io_.provider->getNetwork().parseAddress("127.0.0.1", port).then(
        [](kj::Own<kj::NetworkAddress> addr) { return addr->connect().attach(kj::mv(addr)); });
  }

  std::pair<Outcome, Outcome> HandshakeOverSockets(kj::ConnectionReceiver& listener,
                                                   TlsContext& server, TlsContext& client) {
    auto s = Settle(listener.accept().then(
        [&server](kj::Own<kj::AsyncIoStream> raw) { return server.WrapServer(kj::mv(raw)); }));
    auto c = Settle(Connect(listener.getPort()).then(
        [&client](kj::Own<kj::AsyncIoStream> raw) { return client.WrapClient(kj::mv(raw)); }));
    Outcome so = s.wait(ws_);
    Outcome co = c.wait(ws_);
    return {std::move(so), std::move(co)};
  }

  // Sends `data` from one end and checks that the other receives exactly it.
  void ExpectTransfer(kj::AsyncIoStream& from, kj::AsyncIoStream& to, kj::ArrayPtr<const byte> data) {
    auto got = kj::heapArray<byte>(data.size());
    auto read = to.read(got.begin(), got.size()).eagerlyEvaluate(nullptr);
    from.write(data.begin(), data.size()).wait(ws_);
    read.wait(ws_);
    EXPECT_TRUE(SameBytes(data, got));
  }

  kj::AsyncIoContext io_;
  kj::WaitScope& ws_;
  NamedKey server_key_, client_key_, stranger_key_;
  TlsIdentity server_id_, client_id_, stranger_id_;
};

// --- identities ---------------------------------------------------------------

TEST_F(TlsTest, IdentityCertificateCarriesTheEd25519KeyAndIsDeterministic) {
  EXPECT_EQ(server_id_.public_key(), ServerPub());
  EXPECT_EQ(server_id_.name(), "node-a.example");
  std::string pem = server_id_.CertificatePem();
  ASSERT_EQ(pem.rfind("-----BEGIN CERTIFICATE-----", 0), 0u) << pem;
  EXPECT_EQ(pem, IdentityOf(server_key_).CertificatePem());
  EXPECT_NE(pem, client_id_.CertificatePem());

  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())),
                                                &BIO_free);
  std::unique_ptr<X509, decltype(&X509_free)> cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr),
                                                   &X509_free);
  ASSERT_NE(cert, nullptr);
  EVP_PKEY* key = X509_get0_pubkey(cert.get());
  ASSERT_EQ(EVP_PKEY_get_id(key), EVP_PKEY_ED25519);
  PublicKey raw;
  size_t len = raw.bytes.size();
  ASSERT_EQ(EVP_PKEY_get_raw_public_key(key, raw.bytes.data(), &len), 1);
  EXPECT_EQ(raw, ServerPub());
  EXPECT_EQ(X509_verify(cert.get(), key), 1);  // self-signed
  char cn[128] = {};
  X509_NAME_get_text_by_NID(X509_get_subject_name(cert.get()), NID_commonName, cn, sizeof cn);
  EXPECT_STREQ(cn, "node-a.example");
}

TEST_F(TlsTest, IdentityWithANameTooLongForACommonNameStillWorks) {
  auto id = TlsIdentity::FromKey(KeyFromSeed(std::string(100, 'n'), 4));
  ASSERT_TRUE(id.ok()) << id.status().ToString();
  EXPECT_EQ(id->name(), std::string(100, 'n'));
}

// --- handshakes -----------------------------------------------------------------

TEST_F(TlsTest, BothEndsAllowedEachSeesTheOthersKey) {
  auto server = ServerContext();
  auto client = ClientContext(client_id_);
  auto [s, c] = HandshakeOverPipe(*server, *client);
  ASSERT_TRUE(s.ok()) << s.error;
  ASSERT_TRUE(c.ok()) << c.error;
  EXPECT_EQ(s.tls->peer, ClientPub());
  EXPECT_EQ(c.tls->peer, ServerPub());
  EXPECT_EQ(server->self(), ServerPub());
}

TEST_F(TlsTest, DataFlowsBothWaysOverSocketsSmallAndOneMebibyte) {
  auto listener = Listen();
  auto server = ServerContext();
  auto client = ClientContext(client_id_);
  auto [s, c] = HandshakeOverSockets(*listener, *server, *client);
  ASSERT_TRUE(s.ok()) << s.error;
  ASSERT_TRUE(c.ok()) << c.error;
  EXPECT_EQ(s.tls->peer, ClientPub());
  EXPECT_EQ(c.tls->peer, ServerPub());

  ExpectTransfer(c.stream(), s.stream(), Pattern(5, 1));
  ExpectTransfer(s.stream(), c.stream(), Pattern(7, 2));

  // 1 MiB each way at the same time: each side writes while its read is pending.
  constexpr size_t kMiB = 1 << 20;
  auto up = Pattern(kMiB, 3), down = Pattern(kMiB, 4);
  auto up_in = kj::heapArray<byte>(kMiB), down_in = kj::heapArray<byte>(kMiB);
  auto read_up = s.stream().read(up_in.begin(), kMiB).eagerlyEvaluate(nullptr);
  auto read_down = c.stream().read(down_in.begin(), kMiB).eagerlyEvaluate(nullptr);
  auto write_up = c.stream().write(up.begin(), kMiB).eagerlyEvaluate(nullptr);
  auto write_down = s.stream().write(down.begin(), kMiB).eagerlyEvaluate(nullptr);
  write_up.wait(ws_);
  write_down.wait(ws_);
  read_up.wait(ws_);
  read_down.wait(ws_);
  EXPECT_TRUE(SameBytes(up, up_in));
  EXPECT_TRUE(SameBytes(down, down_in));
}

TEST_F(TlsTest, MultiPieceWritesAndTryReadMinBytes) {
  auto server = ServerContext();
  auto client = ClientContext(client_id_);
  auto [s, c] = HandshakeOverPipe(*server, *client);
  ASSERT_TRUE(s.ok() && c.ok()) << s.error << c.error;

  // Pieces of every awkward size: empty, tiny, just under and over a record.
  std::vector<kj::Array<byte>> owned;
  for (size_t size : {size_t{0}, size_t{8}, size_t{1}, kTlsRecordPlaintext - 1, size_t{0},
                      kTlsRecordPlaintext + 1, 3 * kTlsMaxQueuedCiphertext + 5, size_t{2}}) {
    owned.push_back(Pattern(size, static_cast<uint8_t>(owned.size())));
  }
  std::vector<kj::ArrayPtr<const byte>> pieces;
  std::vector<byte> expected;
  for (auto& p : owned) {
    pieces.push_back(p);
    expected.insert(expected.end(), p.begin(), p.end());
  }
  auto got = kj::heapArray<byte>(expected.size());
  auto read = s.stream().read(got.begin(), got.size()).eagerlyEvaluate(nullptr);
  c.stream().write(kj::arrayPtr(pieces.data(), pieces.size())).wait(ws_);
  read.wait(ws_);
  EXPECT_TRUE(SameBytes(kj::arrayPtr(expected.data(), expected.size()), got));

  // tryRead returns once minBytes have arrived, even if more were asked for.
  byte buf[64];
  auto partial = s.stream().tryRead(buf, 3, sizeof buf).eagerlyEvaluate(nullptr);
  c.stream().write("abc", 3).wait(ws_);
  EXPECT_EQ(partial.wait(ws_), 3u);
  EXPECT_EQ(std::memcmp(buf, "abc", 3), 0);
}

TEST_F(TlsTest, ShutdownWriteGivesEofAndTheOtherDirectionStillFlows) {
  auto server = ServerContext();
  auto client = ClientContext(client_id_);
  auto [s, c] = HandshakeOverPipe(*server, *client);
  ASSERT_TRUE(s.ok() && c.ok()) << s.error << c.error;

  char buf[32];
  auto got_bye = s.stream().tryRead(buf, 3, sizeof buf).eagerlyEvaluate(nullptr);
  c.stream().write("bye", 3).wait(ws_);
  c.stream().shutdownWrite();
  EXPECT_EQ(got_bye.wait(ws_), 3u);
  EXPECT_EQ(s.stream().tryRead(buf, 1, sizeof buf).wait(ws_), 0u);  // close_notify
  EXPECT_EQ(s.stream().tryRead(buf, 1, sizeof buf).wait(ws_), 0u);  // and it stays at EOF

  // Half-close: the server can still talk to the client, then close too.
  ExpectTransfer(s.stream(), c.stream(), Pattern(10, 5));
  s.stream().shutdownWrite();
  EXPECT_EQ(c.stream().tryRead(buf, 1, sizeof buf).wait(ws_), 0u);
}

TEST_F(TlsTest, ServerRefusesAnUnknownClientKeyAndKeepsAccepting) {
  auto listener = Listen();
  auto server = ServerContext();
  auto stranger = ClientContext(stranger_id_);
  auto [s1, c1] = HandshakeOverSockets(*listener, *server, *stranger);
  EXPECT_FALSE(s1.ok());
  EXPECT_EQ(s1.error, "TLS peer key " + Prefix(StrangerPub()) + " is not allowed");
  EXPECT_EQ(s1.type, Exception::Type::FAILED);
  EXPECT_FALSE(c1.ok());
  EXPECT_NE(c1.error.find("the peer refused us"), std::string::npos) << c1.error;

  auto client = ClientContext(client_id_);
  auto [s2, c2] = HandshakeOverSockets(*listener, *server, *client);
  ASSERT_TRUE(s2.ok()) << s2.error;
  ASSERT_TRUE(c2.ok()) << c2.error;
  ExpectTransfer(c2.stream(), s2.stream(), Pattern(100, 6));
}

TEST_F(TlsTest, AllowListIsConsultedOnEveryConnection) {
  bool allowed = true;
  int calls = 0;
  TlsContext server(server_id_, [&](const PublicKey& k) {
    ++calls;
    return allowed && k == ClientPub();
  });
  auto client = ClientContext(client_id_);
  EXPECT_TRUE(HandshakeOverPipe(server, *client).first.ok());
  allowed = false;  // the key is revoked: the next connection is refused
  auto [s, c] = HandshakeOverPipe(server, *client);
  EXPECT_EQ(s.error, "TLS peer key " + Prefix(ClientPub()) + " is not allowed");
  EXPECT_FALSE(c.ok());
  EXPECT_EQ(calls, 2);
}

TEST_F(TlsTest, ClientRefusesAnUnknownServerKey) {
  auto server = ServerContext();
  TlsContext client(client_id_, AllowOnly({StrangerPub()}));
  auto [s, c] = HandshakeOverPipe(*server, client);
  EXPECT_FALSE(c.ok());
  EXPECT_EQ(c.error, "TLS peer key " + Prefix(ServerPub()) + " is not allowed");
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.error.find("the peer refused us"), std::string::npos) << s.error;
}

TEST_F(TlsTest, AnAllowCallbackThatThrowsRefuses) {
  TlsContext server(server_id_, [](const PublicKey&) -> bool { throw std::runtime_error("db down"); });
  auto client = ClientContext(client_id_);
  auto [s, c] = HandshakeOverPipe(server, *client);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.error.find("TLS peer key " + Prefix(ClientPub()) + " is not allowed"), std::string::npos)
      << s.error;
  EXPECT_NE(s.error.find("db down"), std::string::npos) << s.error;
  EXPECT_FALSE(c.ok());
}

TEST_F(TlsTest, ContextMayBeDestroyedWhileItsStreamsLive) {
  auto server = ServerContext();
  auto client = ClientContext(client_id_);
  auto [s, c] = HandshakeOverPipe(*server, *client);
  ASSERT_TRUE(s.ok() && c.ok()) << s.error << c.error;
  server.reset();
  client.reset();
  ExpectTransfer(c.stream(), s.stream(), Pattern(1000, 7));
}

// --- clients that our TlsContext cannot be --------------------------------------

// A blocking OpenSSL client on its own thread: no certificate, any server
// certificate accepted, TLS versions up to `max_version`. Reports how its
// handshake and first read ended.
class RawOpenSslClient {
 public:
  RawOpenSslClient(kj::uint port, int max_version)
      : thread_([this, port, max_version] { result_ = Run(port, max_version); }) {}
  ~RawOpenSslClient() {
    if (thread_.joinable()) thread_.join();
  }
  std::string Join() {
    thread_.join();
    return result_;
  }

 private:
  static std::string Run(kj::uint port, int max_version) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return "socket failed";
    timeval timeout{10, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      close(fd);
      return "connect failed";
    }
    SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
    SSL_CTX_set_max_proto_version(ctx, max_version);
    SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, nullptr);
    SSL* ssl = SSL_new(ctx);
    SSL_set_fd(ssl, fd);
    std::string result;
    char byte_in = 0;
    if (SSL_connect(ssl) != 1) {
      result = "handshake failed";
    } else if (SSL_read(ssl, &byte_in, 1) != 1) {
      result = "read failed";  // TLS 1.3: the server's refusal comes after our Finished
    } else {
      result = "accepted";
    }
    ERR_clear_error();
    SSL_free(ssl);
    SSL_CTX_free(ctx);
    close(fd);
    return result;
  }

  std::string result_;
  std::thread thread_;
};

TEST_F(TlsTest, AClientThatPresentsNoCertificateIsRefused) {
  auto listener = Listen();
  auto server = ServerContext();
  auto s = Settle(listener->accept().then(
      [&](kj::Own<kj::AsyncIoStream> raw) { return server->WrapServer(kj::mv(raw)); }));
  RawOpenSslClient client(listener->getPort(), TLS1_3_VERSION);
  Outcome so = s.wait(ws_);
  EXPECT_FALSE(so.ok());
  EXPECT_EQ(so.error, "TLS peer presented no certificate");
  EXPECT_NE(client.Join(), "accepted");
}

TEST_F(TlsTest, AClientOfferingOnlyTls12IsRefused) {
  auto listener = Listen();
  auto server = ServerContext();
  auto s = Settle(listener->accept().then(
      [&](kj::Own<kj::AsyncIoStream> raw) { return server->WrapServer(kj::mv(raw)); }));
  RawOpenSslClient client(listener->getPort(), TLS1_2_VERSION);
  Outcome so = s.wait(ws_);
  EXPECT_FALSE(so.ok());
  EXPECT_NE(so.error.find("TLS handshake failed: "), std::string::npos) << so.error;
  EXPECT_NE(so.error.find("protocol"), std::string::npos) << so.error;
  EXPECT_EQ(client.Join(), "handshake failed");
}

// --- hostile and vanishing peers -------------------------------------------------

TEST_F(TlsTest, GarbageInsteadOfAClientHelloIsACleanError) {
  auto server = ServerContext();
  const std::vector<std::string> garbage = {
      "GET / HTTP/1.1\r\nHost: x\r\n\r\n",
      std::string(64, '\0'),
      std::string("\x16\x03\x01\xff\xff", 5) + std::string(100, 'x'),  // record too long
      std::string("\x16\x03\x01\x00\x04\x01\x00\x00\x00", 9),          // empty ClientHello
  };
  for (const auto& bytes : garbage) {
    auto pipe = kj::newTwoWayPipe();
    auto s = Settle(server->WrapServer(kj::mv(pipe.ends[0])));
    auto& raw = *pipe.ends[1];
    auto answer = raw.readAllBytes().eagerlyEvaluate(nullptr);  // the alert, if any, then EOF
    raw.write(bytes.data(), bytes.size()).then([&raw] { raw.shutdownWrite(); }).wait(ws_);
    Outcome so = s.wait(ws_);
    EXPECT_FALSE(so.ok());
    EXPECT_EQ(so.error.rfind("TLS ", 0), 0u) << so.error;
    so.tls.reset();
    answer.wait(ws_);
  }
}

TEST_F(TlsTest, PeerThatDisconnectsMidHandshakeIsACleanError) {
  auto server = ServerContext();
  auto client = ClientContext(client_id_);

  // The server vanishes after reading the ClientHello.
  auto pipe = kj::newTwoWayPipe();
  auto c = Settle(client->WrapClient(kj::mv(pipe.ends[1])));
  auto hello = kj::heapArray<byte>(4096);
  size_t hello_size = pipe.ends[0]->tryRead(hello.begin(), 1, hello.size()).wait(ws_);
  ASSERT_GT(hello_size, 5u);
  pipe.ends[0] = nullptr;
  Outcome co = c.wait(ws_);
  EXPECT_FALSE(co.ok());
  EXPECT_EQ(co.type, Exception::Type::DISCONNECTED);
  EXPECT_EQ(co.error, "TLS peer closed the connection during the handshake");

  // The client vanishes halfway through its ClientHello.
  auto pipe2 = kj::newTwoWayPipe();
  auto s = Settle(server->WrapServer(kj::mv(pipe2.ends[0])));
  pipe2.ends[1]->write(hello.begin(), hello_size / 2).wait(ws_);
  pipe2.ends[1] = nullptr;
  Outcome so = s.wait(ws_);
  EXPECT_FALSE(so.ok());
  EXPECT_EQ(so.type, Exception::Type::DISCONNECTED);
  EXPECT_EQ(so.error, "TLS peer closed the connection during the handshake");
}

TEST_F(TlsTest, PeerThatVanishesWithoutCloseNotifyIsDisconnectedNotEof) {
  auto server = ServerContext();
  auto client = ClientContext(client_id_);
  auto [s, c] = HandshakeOverPipe(*server, *client);
  ASSERT_TRUE(s.ok() && c.ok()) << s.error << c.error;
  byte buf[8];
  auto read = c.stream().tryRead(buf, 1, sizeof buf).eagerlyEvaluate(nullptr);
  s.tls.reset();  // drops the underlying pipe end without close_notify
  auto error = read.then([](size_t) { return std::string("no error"); },
                         [](Exception&& e) { return std::string(e.getDescription().cStr()); })
                   .wait(ws_);
  EXPECT_EQ(error, "TLS peer closed the connection without close_notify");
  // The failure sticks.
  EXPECT_ANY_THROW(c.stream().write("x", 1).wait(ws_));
}

// A ClientHello may announce up to 128 KB, and OpenSSL would buffer it all;
// a Custos handshake is 1-2 KB, so a peer is cut off once it has sent 32 KB
// without completing one.
TEST_F(TlsTest, APeerThatSendsMoreThan32KbWithoutCompletingTheHandshakeIsCutOff) {
  auto server = ServerContext();
  auto pipe = kj::newTwoWayPipe();
  auto s = io_.provider->getTimer()
               .timeoutAfter(5 * kj::SECONDS, server->WrapServer(kj::mv(pipe.ends[0])))
               .then([](AuthenticatedTlsStream&&) { return std::string("completed"); },
                     [](Exception&& e) { return std::string(e.getDescription().cStr()); })
               .eagerlyEvaluate(nullptr);
  // Handshake records of 16 KB: a ClientHello header announcing 131071
  // bytes, then zeros, three records' worth (48 KB).
  std::string flood;
  for (int record = 0; record < 3; ++record) {
    flood += std::string("\x16\x03\x01\x40\x00", 5);
    std::string body(0x4000, '\0');
    if (record == 0) body.replace(0, 4, std::string("\x01\x01\xff\xff", 4));
    flood += body;
  }
  auto sent = pipe.ends[1]->write(flood.data(), flood.size()).then([] {}, [](Exception&&) {}).eagerlyEvaluate(nullptr);
  EXPECT_EQ(s.wait(ws_), "TLS handshake failed: the peer sent more than 32768 bytes without completing it");
}

TEST_F(TlsTest, AStalledPeerBlocksNothingElseAndTimesOutUnderATimer) {
  auto server = ServerContext();
  auto client = ClientContext(client_id_);
  auto stalled_pipe = kj::newTwoWayPipe();  // its other end never says a word
  auto stalled = io_.provider->getTimer()
                     .timeoutAfter(200 * kj::MILLISECONDS,
                                   server->WrapServer(kj::mv(stalled_pipe.ends[0])))
                     .then([](AuthenticatedTlsStream&&) { return std::string("completed"); },
                           [](Exception&& e) { return std::string(e.getDescription().cStr()); })
                     .eagerlyEvaluate(nullptr);
  for (int i = 0; i < 3; ++i) {
    auto [s, c] = HandshakeOverPipe(*server, *client);
    EXPECT_TRUE(s.ok() && c.ok()) << s.error << c.error;
  }
  EXPECT_NE(stalled.wait(ws_), "completed");
}

TEST_F(TlsTest, CancellingPendingHandshakesReadsAndWritesIsSafe) {
  auto server = ServerContext();
  auto client = ClientContext(client_id_);
  {
    // A handshake cancelled while it waits for the peer's flight.
    auto pipe = kj::newTwoWayPipe();
    auto s = server->WrapServer(kj::mv(pipe.ends[0])).eagerlyEvaluate(nullptr);
    auto c = client->WrapClient(kj::mv(pipe.ends[1])).eagerlyEvaluate(nullptr);
    ws_.poll();
  }
  auto [s, c] = HandshakeOverPipe(*server, *client);
  ASSERT_TRUE(s.ok() && c.ok()) << s.error << c.error;
  {
    // A read with nothing to read, and a write nobody reads (a pipe write
    // completes only when the other end reads it).
    byte buf[8];
    auto read = c.stream().tryRead(buf, 1, sizeof buf).eagerlyEvaluate(nullptr);
    auto big = Pattern(1 << 20, 8);
    auto write = c.stream().write(big.begin(), big.size()).eagerlyEvaluate(nullptr);
    ws_.poll();
  }
  c.tls.reset();
  s.tls.reset();
  ws_.poll();
}

// --- Cap'n Proto RPC over TLS ----------------------------------------------------

// Cap'n Proto's interfaces have no virtual destructor by design (kj::Own
// deletes the concrete type); GCC warns about it anyway.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnon-virtual-dtor"
class EchoImpl final : public test::TlsTestEcho::Server {
 protected:
  kj::Promise<void> echo(EchoContext context) override {
    auto data = context.getParams().getData();
    // An explicit size hint (one segment for any payload); with the default
    // (none) GCC's -Wmaybe-uninitialized misfires inside KJ under ASan.
    capnp::MessageSize hint{data.size() / sizeof(capnp::word) + 16, 0};
    context.getResults(hint).setData(data);
    return kj::READY_NOW;
  }
};
#pragma GCC diagnostic pop

TEST_F(TlsTest, CapnpRpcRoundTripsWithConcurrentCallsOverSockets) {
  auto listener = Listen();
  auto server = ServerContext();
  auto client = ClientContext(client_id_);
  auto [s, c] = HandshakeOverSockets(*listener, *server, *client);
  ASSERT_TRUE(s.ok() && c.ok()) << s.error << c.error;

  capnp::TwoPartyServer rpc_server(kj::heap<EchoImpl>());
  rpc_server.accept(kj::mv(s.tls->stream));
  auto rpc_client = std::make_unique<capnp::TwoPartyClient>(c.stream());
  auto echo = rpc_client->bootstrap().castAs<test::TlsTestEcho>();

  // Small and large (multi-record, multi-batch) messages, all in flight at once.
  std::vector<kj::Array<byte>> sent;
  kj::Vector<kj::Promise<bool>> replies;
  for (int i = 0; i < 32; ++i) {
    size_t size = i % 4 == 0 ? 300 * 1024 + static_cast<size_t>(i) : 10 + static_cast<size_t>(i);
    sent.push_back(Pattern(size, static_cast<uint8_t>(i)));
    auto request = echo.echoRequest();
    request.setData(capnp::Data::Reader(sent.back().begin(), sent.back().size()));
    replies.add(request.send().then([expected = sent.back().asPtr()](auto response) {
      return SameBytes(expected, response.getData());
    }));
  }
  auto results = kj::joinPromises(replies.releaseAsArray()).wait(ws_);
  ASSERT_EQ(results.size(), 32u);
  for (bool same : results) EXPECT_TRUE(same);

  // The client goes away: the server's side of the connection ends and the
  // server drains (a hang here would time out, not block the suite).
  echo = nullptr;
  rpc_client.reset();
  c.tls.reset();
  io_.provider->getTimer().timeoutAfter(10 * kj::SECONDS, rpc_server.drain()).wait(ws_);
}

}  // namespace
}  // namespace custos::node
