// The C2SP tlog-tiles resources (ledger/tlog/tile_path.h): paths as the spec
// writes them, which resources a tree has, entry bundles; and the bytes a
// log publishes for them (ledger/query/published.h), checked against the
// log's own proofs and entries.
#include "ledger/tlog/tile_path.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "ledger/log/log.h"
#include "ledger/query/published.h"
#include "ledger/tlog/merkle.h"
#include "ledger/tlog/witness_request.h"
#include "tests/ledger/log_test_util.h"

namespace custos::merkle {
namespace {

TEST(TilePath, FormatsAsTheSpecWrites) {
  EXPECT_EQ(FormatTilePath({false, 0, 1234067, 256}), "tile/0/x001/x234/067");
  EXPECT_EQ(FormatTilePath({false, 1, 0, 17}), "tile/1/000.p/17");
  EXPECT_EQ(FormatTilePath({true, 0, 273, 112}), "tile/entries/273.p/112");
  EXPECT_EQ(FormatTilePath({true, 0, 1000, 256}), "tile/entries/x001/000");
  EXPECT_EQ(FormatTilePath({false, 63, UINT64_MAX, 256}), "tile/63/x018/x446/x744/x073/x709/x551/615");
}

TEST(TilePath, ParsesExactlyWhatFormatWrites) {
  for (const TilePath& p : {TilePath{false, 0, 1234067, 256}, TilePath{false, 2, 0, 1}, TilePath{true, 0, 5, 255},
                            TilePath{false, 63, UINT64_MAX, 256}, TilePath{true, 0, 999, 256}}) {
    auto parsed = ParseTilePath(FormatTilePath(p));
    ASSERT_TRUE(parsed.ok()) << FormatTilePath(p) << ": " << parsed.status().ToString();
    EXPECT_EQ(*parsed, p) << FormatTilePath(p);
  }
  const std::pair<const char*, const char*> refused[] = {
      {"tile/0/1234", "three digits"},           {"tile/0/x1/234", "three digits"},
      {"tile/00/000", "level"},                  {"tile/64/000", "level"},
      {"tile/0/x001", "missing"},                {"tile/0/001/002", "must not begin with x"},
      {"tile/0/000.p/0", "1..255"},              {"tile/0/000.p/256", "1..255"},
      {"tile/0/000.p/05", "leading zero"},       {"tile/0/x000/067", "leading x000"},
      {"tile/0/x018/x446/x744/x073/x709/x551/616", "2^64"},
      {"tiles/0/000", "tile/"},                  {"tile/data/000", "level"},
      {"tile/0/000.q/5", "only .p/<W>"},         {"tile/0/000/", "ends with /"},
      {"tile/0/-01", "three digits"},            {"tile/entries/000.p/1/x", "1..255"},
  };
  for (const auto& [path, why] : refused) {
    Status st = ParseTilePath(path).status();
    EXPECT_EQ(st.code(), Status::Code::kInvalidArgument) << path;
    EXPECT_NE(st.message().find(why), std::string::npos) << path << ": " << st.ToString();
  }
}

// The spec's example: a tree of 70,000 leaves has 273 full level-0 tiles, a
// partial one of width 112, one full level-1 tile, a partial one of width
// 17 and a partial level-2 tile of width 1.
TEST(TilePath, TheTreeOf70000HasTheSpecsTiles) {
  const uint64_t size = 70000;
  EXPECT_TRUE(TreeHasTile(size, {false, 0, 272, 256}));
  EXPECT_FALSE(TreeHasTile(size, {false, 0, 273, 256}));
  EXPECT_TRUE(TreeHasTile(size, {false, 0, 273, 112}));
  EXPECT_TRUE(TreeHasTile(size, {false, 0, 273, 5}));  // outgrown, still the same hashes
  EXPECT_FALSE(TreeHasTile(size, {false, 0, 273, 113}));
  EXPECT_TRUE(TreeHasTile(size, {false, 1, 0, 256}));
  EXPECT_TRUE(TreeHasTile(size, {false, 1, 1, 17}));
  EXPECT_FALSE(TreeHasTile(size, {false, 1, 1, 18}));
  EXPECT_TRUE(TreeHasTile(size, {false, 2, 0, 1}));
  EXPECT_FALSE(TreeHasTile(size, {false, 2, 0, 2}));
  EXPECT_FALSE(TreeHasTile(size, {false, 3, 0, 1}));
  EXPECT_TRUE(TreeHasTile(size, {true, 0, 273, 112}));
  EXPECT_FALSE(TreeHasTile(size, {true, 0, UINT64_MAX, 256}));
  EXPECT_FALSE(TreeHasTile(0, {false, 0, 0, 1}));

  std::vector<TilePath> tiles = NewTiles(0, size);
  auto count = [&](bool entries, uint8_t level, bool full) {
    return std::count_if(tiles.begin(), tiles.end(), [&](const TilePath& p) {
      return p.entries == entries && p.level == level && p.full() == full;
    });
  };
  EXPECT_EQ(count(false, 0, true), 273);
  EXPECT_EQ(count(false, 0, false), 1);
  EXPECT_EQ(count(false, 1, true), 1);
  EXPECT_EQ(count(false, 1, false), 1);
  EXPECT_EQ(count(false, 2, false), 1);
  EXPECT_EQ(count(true, 0, true), 273);
  EXPECT_EQ(count(true, 0, false), 1);
  EXPECT_EQ(tiles.size(), 273u + 1 + 1 + 1 + 1 + 273 + 1);
  for (const TilePath& p : tiles) EXPECT_TRUE(TreeHasTile(size, p)) << FormatTilePath(p);
  // A tree of 256 leaves: a full level-0 tile and a level-1 tile of width 1.
  EXPECT_EQ(NewTiles(0, 256).size(), 3u);
  EXPECT_TRUE(TreeHasTile(256, {false, 1, 0, 1}));
}

// Growing from 70,000 to 70,300 completes level-0 tile 273 and bundle 273,
// makes new partial ones at 274 (width 156) and a level-1 partial of width
// 18; the level-2 tile (width 1) does not change.
TEST(TilePath, NewTilesAreWhatGrowthAdds) {
  std::vector<TilePath> added = NewTiles(70000, 70300);
  const std::vector<TilePath> want = {{false, 0, 273, 256}, {false, 0, 274, 156}, {false, 1, 1, 18},
                                      {true, 0, 273, 256},  {true, 0, 274, 156}};
  EXPECT_EQ(added, want);
  EXPECT_TRUE(NewTiles(70000, 70000).empty());
  for (uint64_t size : {1u, 255u, 256u, 257u, 65536u, 65537u}) {
    for (const TilePath& p : NewTiles(size - 1, size)) EXPECT_TRUE(TreeHasTile(size, p)) << size;
  }
}

// The body of a tlog-witness add-checkpoint request, as the spec writes it.
TEST(AddCheckpointBody, ParsesTheSpecsFormAndRefusesTheRest) {
  const std::string note = "example.com/log\n20\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n\n— example.com/log Az3g\n";
  const std::string hash = "PlRNCrwHpqhGrupue0L7gxbjbMiKA9temvuZZDDpkaw=";
  auto parsed = ParseAddCheckpoint("old 12\n" + hash + "\n" + hash + "\n\n" + note);
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(parsed->old_size, 12u);
  EXPECT_EQ(parsed->proof.size(), 2u);
  EXPECT_EQ(parsed->checkpoint, note);
  EXPECT_EQ(FormatAddCheckpoint(*parsed), "old 12\n" + hash + "\n" + hash + "\n\n" + note);
  EXPECT_TRUE(ParseAddCheckpoint("old 0\n\n" + note).ok());
  std::string many = "old 1\n";
  for (int i = 0; i < 64; ++i) many += hash + "\n";
  const std::pair<std::string, const char*> refused[] = {
      {"old 012\n\n" + note, "leading zeros"},
      {"new 1\n\n" + note, "\"old <size>\""},
      {"old 1\n" + hash, "no empty line"},
      {"old 1\nAAAA\n\n" + note, "proof line 1"},
      {many + "\n" + note, "more than 63"},
  };
  for (const auto& [body, why] : refused) {
    Status st = ParseAddCheckpoint(body).status();
    EXPECT_EQ(st.code(), Status::Code::kInvalidArgument) << body;
    EXPECT_NE(st.message().find(why), std::string::npos) << st.ToString();
  }
}

TEST(EntryBundle, LengthPrefixesEachEntryAndRefusesWhatItCannotHold) {
  const std::vector<Bytes> entries = {Bytes{1, 2, 3}, Bytes{}, Bytes(300, 7)};
  auto bundle = EncodeEntryBundle(entries);
  ASSERT_TRUE(bundle.ok());
  EXPECT_EQ(bundle->size(), 2 + 3 + 2 + 2 + 300u);
  EXPECT_EQ(bundle->substr(0, 5), std::string("\x00\x03\x01\x02\x03", 5));
  EXPECT_EQ(bundle->substr(7, 2), std::string("\x01\x2c", 2));
  auto back = DecodeEntryBundle(AsBytes(*bundle));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, entries);
  EXPECT_EQ(DecodeEntryBundle(AsBytes(bundle->substr(0, bundle->size() - 1))).status().code(),
            Status::Code::kInvalidArgument);
  EXPECT_EQ(DecodeEntryBundle(AsBytes(std::string("\x00", 1))).status().code(), Status::Code::kInvalidArgument);
  const std::vector<Bytes> too_long = {Bytes(65535, 1), Bytes(65536, 1)};
  Status st = EncodeEntryBundle(too_long).status();
  EXPECT_NE(st.message().find("entry 1 is 65536 bytes"), std::string::npos) << st.ToString();
}

// Every resource of a real log of 600 entries (two full tiles, a partial
// one, and a partial level-1 tile) reads back as the log says: tile hashes
// are the log's own complete-subtree hashes, bundles hold its entries.
TEST(PublishedTiles, ALogsTilesAndBundlesAreItsHashesAndEntries) {
  const std::string dir = testing::FreshTempDir(::testing::TempDir(), "published_tiles");
  testing::TestLog t(dir);
  t.GrantOfficer();
  while (t.log().size() < 600) {
    std::vector<Bytes> batch;
    for (int i = 0; i < 100; ++i) batch.push_back(t.SignedCase(testing::OfficerKey(), "P-" + std::to_string(t.log().size() + i)));
    t.AppendOk(batch);
  }
  const StoredLog& log = t.log().stored();
  const uint64_t size = log.size();
  ASSERT_GE(size, 600u);
  for (const TilePath& p : NewTiles(0, size)) {
    auto bytes = query::ReadTileResource(log, size, p);
    ASSERT_TRUE(bytes.ok()) << FormatTilePath(p) << ": " << bytes.status().ToString();
    if (p.entries) {
      auto entries = DecodeEntryBundle(AsBytes(*bytes));
      ASSERT_TRUE(entries.ok());
      ASSERT_EQ(entries->size(), p.width);
      for (uint32_t i = 0; i < p.width; ++i) EXPECT_EQ((*entries)[i], *log.Entry(TileStart(p) + i));
      continue;
    }
    ASSERT_EQ(bytes->size(), size_t{p.width} * 32) << FormatTilePath(p);
    for (uint32_t i = 0; i < p.width; ++i) {
      auto want = ReadStoredHash(log.tiles(), 8 * p.level, TileStart(p) + i);
      ASSERT_TRUE(want.ok());
      EXPECT_EQ(bytes->substr(size_t{i} * 32, 32), std::string(AsString(want->span()))) << FormatTilePath(p) << " hash " << i;
    }
  }
  // The level-0 hashes are the leaf hashes of the entries.
  auto first = query::ReadTileResource(log, size, {false, 0, 0, 256});
  EXPECT_EQ(first->substr(32, 32), std::string(AsString(LeafHash(*log.Entry(1)).span())));
  // A smaller tree has fewer resources; a narrower partial tile is the prefix.
  auto narrow = query::ReadTileResource(log, 300, {false, 0, 1, 44});
  ASSERT_TRUE(narrow.ok());
  EXPECT_EQ(*narrow, query::ReadTileResource(log, size, {false, 0, 1, 256})->substr(0, 44 * 32));
  EXPECT_EQ(query::ReadTileResource(log, 300, {false, 0, 1, 45}).status().code(), Status::Code::kNotFound);
  EXPECT_EQ(query::ReadTileResource(log, size + 1, {false, 0, 0, 1}).status().code(), Status::Code::kNotFound);
  EXPECT_EQ(query::ReadTileResource(log, size, {true, 0, 9, 256}).status().code(), Status::Code::kNotFound);
}

}  // namespace
}  // namespace custos::merkle
