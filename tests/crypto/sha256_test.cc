#include "crypto/sha256.h"

#include <gtest/gtest.h>

#include <string>

namespace custos {
namespace {

std::string Hex(const Hash& h) { return HexEncode(h.span()); }

// FIPS 180-4 / NIST CAVP example vectors.
TEST(Sha256Test, StandardVectors) {
  EXPECT_EQ(Hex(Sha256::Digest("")), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(Hex(Sha256::Digest("abc")), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(Hex(Sha256::Digest("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

TEST(Sha256Test, MillionAStreamed) {
  Sha256 h;
  const std::string chunk(1000, 'a');
  for (int i = 0; i < 1000; ++i) h.Update(chunk);
  EXPECT_EQ(Hex(h.Finish()), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(Sha256Test, StreamingMatchesOneShotAtEverySplit) {
  const std::string msg = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
  Sha256 h;
  for (size_t split = 0; split <= msg.size(); ++split) {
    h.Update(msg.substr(0, split)).Update(msg.substr(split));
    EXPECT_EQ(h.Finish(), Sha256::Digest(msg)) << "split at " << split;
  }
}

TEST(Sha256Test, ReusableAfterFinish) {
  Sha256 h;
  Hash first = h.Update("abc").Finish();
  Hash empty = h.Finish();  // nothing added since the reset
  Hash again = h.Update("abc").Finish();
  EXPECT_EQ(first, again);
  EXPECT_EQ(empty, Sha256::Digest(""));
}

TEST(Sha256Test, ByteUpdateAndThreadHasher) {
  Sha256 h;
  h.Update(uint8_t{'a'}).Update(uint8_t{'b'}).Update(uint8_t{'c'});
  EXPECT_EQ(h.Finish(), Sha256::Digest("abc"));
  // ThreadSha256 is reset by Digest, so interleaving does not mix messages.
  EXPECT_EQ(ThreadSha256().Update("abc").Finish(), Sha256::Digest("abc"));
  EXPECT_EQ(&ThreadSha256(), &ThreadSha256());
}

}  // namespace
}  // namespace custos
