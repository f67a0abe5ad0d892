// Static publishing (node/tile_publisher.h) of a real log into a directory:
// the files are the log's tiles, bundles and checkpoint; growth adds only what
// is new, a full tile replaces its partial files, and nothing is rewritten.
#include "node/tile_publisher.h"

#include <gtest/gtest.h>
#include <spdlog/sinks/null_sink.h>
#include <spdlog/spdlog.h>

#include <filesystem>

#include "ledger/log/log.h"
#include "ledger/query/published.h"
#include "ledger/tlog/tile_path.h"
#include "tests/ledger/log_test_util.h"

namespace custos::node {
namespace {

namespace fs = std::filesystem;

class TilePublisherTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::FreshTempDir(::testing::TempDir(), "tile_publisher");
    fs::create_directories(dir_ + "/log");
    log_ = std::make_unique<testing::TestLog>(dir_ + "/log");
    log_->GrantOfficer();
  }
  void Grow(uint64_t to) {
    while (log_->log().size() < to) {
      std::vector<Bytes> batch;
      for (uint64_t i = log_->log().size(); i < to && batch.size() < 100; ++i) {
        batch.push_back(log_->SignedCase(testing::OfficerKey(), "T-" + std::to_string(i)));
      }
      log_->AppendOk(batch);
    }
  }
  fs::path Root() const { return fs::path(dir_) / "tiles" / log_->log().origin(); }
  static std::string ReadFile(const fs::path& path) { return testing::ReadTextFile(path.string()); }
  // Every resource of the tree of the log's size is a file with its bytes,
  // and the checkpoint file is the log's.
  void ExpectPublished(const LogView& view) {
    const uint64_t size = log_->log().size();
    EXPECT_EQ(ReadFile(Root() / "checkpoint"), view.checkpoint());
    for (const merkle::TilePath& p : merkle::NewTiles(0, size)) {
      EXPECT_EQ(ReadFile(Root() / merkle::FormatTilePath(p)), *query::ReadTileResource(view.stored(), size, p))
          << merkle::FormatTilePath(p);
    }
  }

  std::string dir_;
  std::unique_ptr<testing::TestLog> log_;
};

TEST_F(TilePublisherTest, PublishesTheLogAsTilesAndGrowsWithIt) {
  Grow(300);
  std::shared_ptr<LogView> view = NewOwnLogView(log_->log());
  TilePublisher publisher(dir_ + "/tiles", {view}, std::chrono::milliseconds(10),
                          std::make_shared<spdlog::logger>("test", std::make_shared<spdlog::sinks::null_sink_mt>()));
  ASSERT_TRUE(publisher.PublishOnce().ok());
  const uint64_t size = log_->log().size();
  ExpectPublished(*view);
  const fs::path partial = Root() / merkle::FormatTilePath({false, 0, 1, static_cast<uint32_t>(size - 256)});
  ASSERT_TRUE(fs::exists(partial));
  const auto written = fs::last_write_time(Root() / "tile/0/000");

  Grow(600);
  ASSERT_TRUE(publisher.PublishOnce().ok());
  ExpectPublished(*view);
  EXPECT_FALSE(fs::exists(partial)) << "tile 1 is full now: its partial files go";
  EXPECT_FALSE(fs::exists(Root() / "tile/0/001.p"));
  EXPECT_EQ(fs::last_write_time(Root() / "tile/0/000"), written) << "a full tile is never rewritten";
  // No file is left half written.
  for (const auto& f : fs::recursive_directory_iterator(dir_ + "/tiles")) {
    EXPECT_NE(f.path().extension(), ".tmp") << f.path();
  }
}

}  // namespace
}  // namespace custos::node
