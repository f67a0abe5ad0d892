// The status page (node/status_page.h) and the metrics text
// (node/metrics.h), from their inputs: what a person and Prometheus read.
// The live page, rendered by Chromium, is tested in tests/node/http_test.sh.
#include <gtest/gtest.h>

#include <leveldb/db.h>
#include <unistd.h>

#include <filesystem>
#include <memory>
#include <regex>
#include <string>

#include "crypto/cosignature.h"
#include "crypto/ed25519.h"
#include "crypto/note.h"
#include "node/metrics.h"
#include "node/status_page.h"

namespace custos::node {
namespace {

constexpr int64_t kNow = 1733400000000;  // 2024-12-05T12:00:00Z

StatusPageInput Input() {
  StatusPageInput in;
  in.origin = "suzhou-psb.example/custos";
  in.agency_kind = "public-security-bureau";
  in.now_ms = kNow;
  in.loop.published_ms = kNow - 500;
  PeerState peer;
  peer.origin = "suzhou-ipb.example/custos";
  peer.address = "127.0.0.1:7300";
  peer.agency_kind = "ip-bureau";
  peer.connected = true;
  peer.held_size = 90;
  peer.known_size = 100;
  peer.last_contact_ms = kNow - 3000;
  in.loop.peers.push_back(peer);
  return in;
}

TEST(StatusPage, ChineseByDefaultWithBeijingTimes) {
  const std::string page = RenderStatusPage(Input(), PageLanguage::kChinese);
  EXPECT_NE(page.find("<html lang=\"zh-CN\">"), std::string::npos);
  EXPECT_NE(page.find("知识产权局"), std::string::npos);
  EXPECT_NE(page.find("公安机关"), std::string::npos);
  // 12:00 UTC is 20:00 in Beijing; the peer was heard from 3 s before.
  EXPECT_NE(page.find("2024-12-05 20:00:00 UTC+08:00"), std::string::npos);
  EXPECT_NE(page.find("2024-12-05 19:59:57 UTC+08:00（3 秒前）"), std::string::npos);
  EXPECT_NE(page.find("<td class=\"lag\">10</td>"), std::string::npos);
  EXPECT_NE(page.find("id=\"alarms\" class=\"calm\""), std::string::npos);
  EXPECT_EQ(page.find("<script"), std::string::npos);
}

TEST(StatusPage, EnglishOnRequest) {
  const std::string page = RenderStatusPage(Input(), PageLanguage::kEnglish);
  EXPECT_NE(page.find("<html lang=\"en\">"), std::string::npos);
  EXPECT_NE(page.find("IP bureau"), std::string::npos);
  EXPECT_NE(page.find("(3 s ago)"), std::string::npos);
  EXPECT_EQ(page.find("知识产权局"), std::string::npos);
}

TEST(StatusPage, EscapesWhatPeersAndLogsSay) {
  StatusPageInput in = Input();
  in.loop.peers[0].last_error = "<script>alert(1)</script> & \"quotes\"";
  in.loop.alarms.push_back("log <b> signed two histories");
  const std::string page = RenderStatusPage(in, PageLanguage::kEnglish);
  EXPECT_EQ(page.find("<script>"), std::string::npos);
  EXPECT_NE(page.find("&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;quotes&quot;"), std::string::npos);
  EXPECT_NE(page.find("log &lt;b&gt; signed two histories"), std::string::npos);
  EXPECT_NE(page.find("id=\"alarms\" class=\"alarm\""), std::string::npos);
}

TEST(StatusPage, AlarmsForDamageAndASilentEventLoop) {
  StatusPageInput in = Input();
  in.damage = "entry 7 of log 1: checksum mismatch";
  in.loop.published_ms = kNow - 11000;
  const std::string page = RenderStatusPage(in, PageLanguage::kEnglish);
  EXPECT_NE(page.find("store damaged: entry 7 of log 1: checksum mismatch"), std::string::npos);
  EXPECT_NE(page.find("has not reported for over 10 s"), std::string::npos);
}

TEST(StatusPage, ShowsTheCosignaturesOnACheckpointNewestFirst) {
  const SigningKey origin_key = SigningKey::Generate();
  const SigningKey witness_a = SigningKey::Generate();
  const SigningKey witness_b = SigningKey::Generate();
  const std::string text = "suzhou-psb.example/custos\n5\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n";
  auto signed_note = SignNote(text, "suzhou-psb.example/custos", origin_key);
  ASSERT_TRUE(signed_note.ok()) << signed_note.status().ToString();
  auto note = Note::Parse(*signed_note);
  ASSERT_TRUE(note.ok());
  note->signatures.push_back(Cosign(text, "a.example/w", witness_a, 1733399990));
  note->signatures.push_back(Cosign(text, "b.example/w", witness_b, 1733399995));
  StatusPageInput in = Input();
  in.logs.push_back({"suzhou-psb.example/custos", true, 5, note->Serialize()});
  const std::string page = RenderStatusPage(in, PageLanguage::kEnglish);
  const size_t a = page.find("a.example/w</code> 2024-12-05 19:59:50 UTC+08:00 (10 s ago)");
  const size_t b = page.find("b.example/w</code> 2024-12-05 19:59:55 UTC+08:00 (5 s ago)");
  ASSERT_NE(a, std::string::npos);
  ASSERT_NE(b, std::string::npos);
  EXPECT_LT(b, a);
  EXPECT_NE(page.find("size 5"), std::string::npos);
}

// The value of the sample `name` in Prometheus text; -1 if absent.
double Sample(const std::string& text, const std::string& name) {
  const size_t at = text.find("\n" + name + " ");
  if (at == std::string::npos) return -1;
  return std::stod(text.substr(at + name.size() + 2));
}

TEST(Metrics, HistogramBucketsAreCumulative) {
  Histogram h({0.1, 1});
  h.Observe(0.05);
  h.Observe(0.1);  // le is inclusive
  h.Observe(0.5);
  h.Observe(7);
  std::string out;
  h.Render(out, "x_seconds", "Test.");
  EXPECT_EQ(Sample(out, "x_seconds_bucket{le=\"0.1\"}"), 2);
  EXPECT_EQ(Sample(out, "x_seconds_bucket{le=\"1\"}"), 3);
  EXPECT_EQ(Sample(out, "x_seconds_bucket{le=\"+Inf\"}"), 4);
  EXPECT_EQ(Sample(out, "x_seconds_count"), 4);
  EXPECT_DOUBLE_EQ(Sample(out, "x_seconds_sum"), 7.65);
  EXPECT_NE(out.find("# TYPE x_seconds histogram\n"), std::string::npos);
}

TEST(Metrics, CountsWhatTheNodeReports) {
  NodeMetrics m;
  m.BatchCommitted(10, 9, 0.003);
  m.BatchCommitted(1, 1, 0.001);
  m.SubmissionsRefused(4);
  m.CosignatureGiven("a.example/log");
  m.CosignatureGiven("a.example/log");
  m.CosignatureGiven("b\"x");
  m.CosignatureReceived();
  LoopState loop = Input().loop;
  loop.alarms = {"one"};
  loop.queued_submissions = 3;
  m.Publish(loop);
  std::string out;
  m.Render(out, kNow);
  EXPECT_EQ(Sample(out, "custos_appended_entries_total"), 10);
  EXPECT_EQ(Sample(out, "custos_refused_submissions_total"), 1);
  EXPECT_EQ(Sample(out, "custos_append_batch_submissions_count"), 2);
  EXPECT_EQ(Sample(out, "custos_overload_refusals_total{what=\"submissions\"}"), 4);
  EXPECT_EQ(Sample(out, "custos_cosignatures_given_total{origin=\"a.example/log\"}"), 2);
  EXPECT_EQ(Sample(out, "custos_cosignatures_given_total{origin=\"b\\\"x\"}"), 1);
  EXPECT_EQ(Sample(out, "custos_cosignatures_received_total"), 1);
  EXPECT_EQ(Sample(out, "custos_queue_depth{queue=\"submissions\"}"), 3);
  EXPECT_EQ(Sample(out, "custos_equivocation_alarms"), 1);
  EXPECT_EQ(Sample(out, "custos_replica_lag_entries{origin=\"suzhou-ipb.example/custos\"}"), 10);
  EXPECT_EQ(Sample(out, "custos_peer_last_contact_seconds{origin=\"suzhou-ipb.example/custos\"}"), 3);
}

// The compaction table of a real LevelDB that has flushed and compacted.
TEST(Metrics, LevelDbStatsFromARealDatabase) {
  const auto dir = std::filesystem::temp_directory_path() / ("custos-leveldb-stats-" + std::to_string(getpid()));
  std::filesystem::remove_all(dir);
  leveldb::Options options;
  options.create_if_missing = true;
  options.write_buffer_size = 64 * 1024;  // flush often
  leveldb::DB* raw = nullptr;
  ASSERT_TRUE(leveldb::DB::Open(options, dir.string(), &raw).ok());
  std::unique_ptr<leveldb::DB> db(raw);
  const std::string value(1000, 'v');
  for (int i = 0; i < 3000; ++i) ASSERT_TRUE(db->Put({}, "key" + std::to_string(i), value).ok());
  db->CompactRange(nullptr, nullptr);
  std::string stats;
  ASSERT_TRUE(db->GetProperty("leveldb.stats", &stats));
  std::string out;
  RenderLevelDbStats(out, {{"main", stats}, {"empty", ""}});
  // Three megabytes compacted: some level holds files, and compactions wrote bytes.
  const std::regex files(R"(\ncustos_leveldb_files\{db="main",level="[0-6]"\} ([1-9][0-9]*)\n)");
  EXPECT_TRUE(std::regex_search(out, files)) << stats << out;
  const std::regex written(R"(\ncustos_leveldb_compaction_write_bytes_total\{db="main",level="[0-6]"\} ([1-9][0-9]*)\n)");
  EXPECT_TRUE(std::regex_search(out, written)) << stats << out;
  EXPECT_EQ(out.find("db=\"empty\""), std::string::npos);
  EXPECT_NE(out.find("# TYPE custos_leveldb_compaction_seconds_total counter\n"), std::string::npos);
  db.reset();
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace custos::node
