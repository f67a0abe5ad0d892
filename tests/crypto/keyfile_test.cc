#include "crypto/keyfile.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "crypto/note.h"

namespace custos {
namespace {

// Go's golang.org/x/mod/sumdb/note test key (note_test.go).
constexpr char kPeterSkey[] = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";
constexpr char kPeterVkey[] = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";

bool Contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

class KeyFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = ::testing::TempDir() + "custos_keyfile_XXXXXX";
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string Path(const std::string& name) const { return dir_ + "/" + name; }

  // Writes `contents` to a new file with `mode`, bypassing WriteKeyFile.
  std::string WriteRaw(const std::string& name, const std::string& contents, mode_t mode = 0600) {
    std::string path = Path(name);
    std::ofstream(path, std::ios::binary) << contents;
    EXPECT_EQ(::chmod(path.c_str(), mode), 0);
    return path;
  }

  static NamedKey Key(const std::string& name, uint8_t fill) {
    return NamedKey{name, SigningKey::FromSeed(Bytes(32, fill)).value()};
  }

  std::string dir_;
};

TEST_F(KeyFileTest, ParsesGoSignerKey) {
  Result<NamedKey> key = ParseSignerKey(kPeterSkey);
  ASSERT_TRUE(key.ok()) << key.status().ToString();
  EXPECT_EQ(key->name, "PeterNeumann");
  EXPECT_EQ(NoteVerifier::ForKey(key->name, key->key.public_key()).ToString(), kPeterVkey);
  EXPECT_EQ(FormatSignerKey(*key), kPeterSkey);
}

TEST_F(KeyFileTest, RoundTripWithMode0600) {
  NamedKey key = Key("custos.example/bureau-1", 5);
  std::string path = Path("node.key");
  ASSERT_TRUE(WriteKeyFile(path, key).ok());

  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  std::ifstream in(path);
  std::string contents((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(contents, FormatSignerKey(key) + "\n");

  Result<NamedKey> read = ReadKeyFile(path);
  ASSERT_TRUE(read.ok()) << read.status().ToString();
  EXPECT_EQ(read->name, key.name);
  EXPECT_EQ(read->key.public_key(), key.key.public_key());
}

TEST_F(KeyFileTest, NewlineIsOptionalOnRead) {
  ASSERT_TRUE(ReadKeyFile(WriteRaw("bare.key", kPeterSkey)).ok());
}

TEST_F(KeyFileTest, RefusesToOverwrite) {
  std::string path = Path("node.key");
  ASSERT_TRUE(WriteKeyFile(path, Key("first", 1)).ok());
  Status s = WriteKeyFile(path, Key("second", 2));
  EXPECT_EQ(s.code(), Status::Code::kAlreadyExists) << s.ToString();
  EXPECT_EQ(ReadKeyFile(path)->name, "first");
}

TEST_F(KeyFileTest, RefusesGroupOrWorldAccess) {
  for (mode_t mode : {0644, 0640, 0604, 0620, 0601}) {
    char name[16];
    std::snprintf(name, sizeof name, "k%04o.key", mode);
    std::string path = WriteRaw(name, std::string(kPeterSkey) + "\n", mode);
    Status s = ReadKeyFile(path).status();
    EXPECT_EQ(s.code(), Status::Code::kFailedPrecondition) << s.ToString();
    char octal[8];
    std::snprintf(octal, sizeof octal, "%04o", mode);
    EXPECT_TRUE(Contains(s.message(), std::string("mode ") + octal)) << s.message();
    EXPECT_TRUE(Contains(s.message(), "chmod 600 " + path)) << s.message();
  }
  // Owner-only modes stricter than 0600 are fine.
  EXPECT_TRUE(ReadKeyFile(WriteRaw("ro.key", kPeterSkey, 0400)).ok());
}

TEST_F(KeyFileTest, RefusesMalformedContents) {
  Bytes alg2(33, 0x11);
  alg2[0] = 0x02;
  Bytes short_seed(32, 0x11);
  short_seed[0] = 0x01;
  const std::string good = kPeterSkey;
  const std::pair<std::string, std::string> kCases[] = {
      {"PRIVATE+KEX+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz", "PRIVATE+KEY+"},
      {"PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", "PRIVATE+KEY+"},
      {"PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKD!z", "base64"},
      {"PRIVATE+KEY+PeterNeumann+c74f20a4+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz", "does not match"},
      {"PRIVATE+KEY+PeterNeumann+c74f20+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz", "8 hex digits"},
      {"PRIVATE+KEY+Peter Neumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz", "key name"},
      {"PRIVATE+KEY+PeterNeumann+c74f20a3+" + Base64Encode(alg2), "key type 2"},
      {"PRIVATE+KEY+PeterNeumann+c74f20a3+" + Base64Encode(short_seed), "33 bytes"},
      {good.substr(0, 50), "33 bytes"},                     // truncated
      {good.substr(0, 30), "8 hex digits"},                 // truncated before the key
      {good + "\r\n", "base64"},                            // CRLF
      {good + "\n" + good + "\n", "base64"},                // two lines
      {"", "PRIVATE+KEY+"},
  };
  int i = 0;
  for (const auto& [contents, reason] : kCases) {
    std::string path = WriteRaw("bad" + std::to_string(i++) + ".key", contents);
    Status s = ReadKeyFile(path).status();
    EXPECT_EQ(s.code(), Status::Code::kInvalidArgument) << contents << ": " << s.ToString();
    EXPECT_TRUE(Contains(s.message(), reason)) << contents << ": " << s.message();
    EXPECT_TRUE(Contains(s.message(), path)) << s.message();
  }
}

TEST_F(KeyFileTest, RefusesOversizedAndNonRegularFiles) {
  Status s = ReadKeyFile(WriteRaw("big.key", std::string(kPeterSkey) + std::string(5000, '\n'))).status();
  EXPECT_EQ(s.code(), Status::Code::kInvalidArgument);
  EXPECT_TRUE(Contains(s.message(), "4096")) << s.message();

  std::string sub = Path("dir.key");
  ASSERT_EQ(::mkdir(sub.c_str(), 0700), 0);
  EXPECT_EQ(ReadKeyFile(sub).status().code(), Status::Code::kInvalidArgument);
}

TEST_F(KeyFileTest, MissingFileAndBadName) {
  EXPECT_EQ(ReadKeyFile(Path("absent.key")).status().code(), Status::Code::kNotFound);
  EXPECT_EQ(WriteKeyFile(Path("x.key"), Key("a+b", 1)).code(), Status::Code::kInvalidArgument);
  EXPECT_FALSE(std::filesystem::exists(Path("x.key")));
}

}  // namespace
}  // namespace custos
