// The witness URLs of "outsideWitnesses" (node/witness_asker.h). Asking
// real witnesses is tested end to end in tests/node/http_test.sh, against
// C2SP tlog-witnesses written in Go.
#include <gtest/gtest.h>

#include "node/http_client.h"
#include "node/witness_asker.h"

namespace custos::node {
namespace {

TEST(HttpUrl, TakesHostPortAndPrefix) {
  auto u = ParseHttpUrl("http://127.0.0.1:8080/witness/");
  ASSERT_TRUE(u.ok()) << u.status().ToString();
  EXPECT_FALSE(u->tls);
  EXPECT_EQ(u->host, "127.0.0.1");
  EXPECT_EQ(u->port, "8080");
  EXPECT_EQ(u->path, "/witness");
  auto v = ParseHttpUrl("https://witness.example");
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  EXPECT_TRUE(v->tls);
  EXPECT_EQ(v->host, "witness.example");
  EXPECT_EQ(v->port, "443");
  EXPECT_EQ(v->path, "");
  auto w = ParseHttpUrl("http://[::1]:9000/w");
  ASSERT_TRUE(w.ok()) << w.status().ToString();
  EXPECT_EQ(w->host, "::1");
  EXPECT_EQ(w->port, "9000");
  EXPECT_EQ(w->path, "/w");
  auto x = ParseHttpUrl("https://[2001:db8::1]");
  ASSERT_TRUE(x.ok()) << x.status().ToString();
  EXPECT_EQ(x->host, "2001:db8::1");
  EXPECT_EQ(x->port, "443");
}

TEST(HttpUrl, RefusesWhatItCannotAsk) {
  for (const char* bad : {"ftp://witness.example", "witness.example", "http://", "http://:80", "http://h:0",
                          "http://h:65536", "http://h:8x", "http://h:", "http://h/a?b=1", "http://h/a#f",
                          "http://[::1", "http://[::1]x", "http://[]:80", "http://[::1]:"}) {
    EXPECT_FALSE(ParseHttpUrl(bad).ok()) << bad;
  }
}

}  // namespace
}  // namespace custos::node
