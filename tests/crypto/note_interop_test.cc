// Interoperability with Go's reference packages: notes, cosignatures and
// proofs made here are checked by tests/interop/goverify (x/mod/sumdb/note
// and x/mod/sumdb/tlog). The Merkle tree below is a small RFC 6962 reference
// written for this test, so that goverify checks proofs independently of
// ledger/.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <vector>

#include "crypto/cosignature.h"
#include "crypto/note.h"
#include "crypto/sha256.h"

#ifndef CUSTOS_GOVERIFY
#error "CUSTOS_GOVERIFY must name the goverify binary"
#endif

namespace custos {
namespace {

constexpr char kOrigin[] = "custos.example/bureau-1";

SigningKey KeyFromByte(uint8_t fill) { return SigningKey::FromSeed(Bytes(32, fill)).value(); }

// --- RFC 6962 §2.1 reference -------------------------------------------------

Hash LeafHash(std::string_view entry) { return Sha256().Update(uint8_t{0}).Update(entry).Finish(); }
Hash NodeHash(const Hash& l, const Hash& r) {
  return Sha256().Update(uint8_t{1}).Update(l.span()).Update(r.span()).Finish();
}
// The largest power of two strictly below n (n >= 2).
size_t SplitPoint(size_t n) {
  size_t k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

class RefTree {
 public:
  explicit RefTree(size_t size) {
    for (size_t i = 0; i < size; ++i) entries_.push_back("entry " + std::to_string(i) + "\n");
  }
  const std::string& entry(size_t i) const { return entries_[i]; }
  Hash Root(size_t size) const { return size == 0 ? Sha256::Digest("") : Mth(0, size); }

  // PATH(m, D[0:size]), leaf sibling first.
  std::vector<Hash> Path(size_t m, size_t size) const { return PathIn(m, 0, size); }
  // PROOF(m, D[0:size]) for 0 < m <= size.
  std::vector<Hash> Consistency(size_t m, size_t size) const { return SubProof(m, 0, size, true); }

 private:
  Hash Mth(size_t lo, size_t hi) const {
    if (hi - lo == 1) return LeafHash(entries_[lo]);
    size_t k = SplitPoint(hi - lo);
    return NodeHash(Mth(lo, lo + k), Mth(lo + k, hi));
  }
  std::vector<Hash> PathIn(size_t m, size_t lo, size_t hi) const {
    if (hi - lo == 1) return {};
    size_t k = SplitPoint(hi - lo);
    std::vector<Hash> p = m < k ? PathIn(m, lo, lo + k) : PathIn(m - k, lo + k, hi);
    p.push_back(m < k ? Mth(lo + k, hi) : Mth(lo, lo + k));
    return p;
  }
  std::vector<Hash> SubProof(size_t m, size_t lo, size_t hi, bool whole) const {
    if (m == hi - lo) return whole ? std::vector<Hash>{} : std::vector<Hash>{Mth(lo, hi)};
    size_t k = SplitPoint(hi - lo);
    std::vector<Hash> p = m <= k ? SubProof(m, lo, lo + k, whole) : SubProof(m - k, lo + k, hi, false);
    p.push_back(m <= k ? Mth(lo + k, hi) : Mth(lo, lo + k));
    return p;
  }
  std::vector<std::string> entries_;
};

// --- running goverify --------------------------------------------------------

std::string ShellQuote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

struct RunResult {
  int exit_code = -1;
  std::string output;
};

RunResult RunGoverify(const std::vector<std::string>& args) {
  std::string cmd = ShellQuote(CUSTOS_GOVERIFY);
  for (const std::string& a : args) cmd += " " + ShellQuote(a);
  cmd += " 2>&1";
  RunResult r;
  FILE* pipe = ::popen(cmd.c_str(), "r");
  if (pipe == nullptr) return r;
  char buf[256];
  while (size_t n = std::fread(buf, 1, sizeof buf, pipe)) r.output.append(buf, n);
  int status = ::pclose(pipe);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

class GoInteropTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!std::filesystem::exists(CUSTOS_GOVERIFY)) {
      GTEST_SKIP() << "goverify not built at " << CUSTOS_GOVERIFY
                   << " (go or golang.org/x/mod missing when CMake ran); Go interop unchecked";
    }
    std::string pattern = ::testing::TempDir() + "custos_interop_XXXXXX";
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }
  void TearDown() override {
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }

  std::string Write(const std::string& name, const std::string& contents) {
    std::string path = dir_ + "/" + name;
    std::ofstream(path, std::ios::binary) << contents;
    return path;
  }
  // Runs goverify; EXPECTs "OK" (want_ok) or a failure exit with a reason.
  void Expect(bool want_ok, const std::vector<std::string>& args, const std::string& what) {
    RunResult r = RunGoverify(args);
    if (want_ok) {
      EXPECT_EQ(r.exit_code, 0) << what << ": " << r.output;
      EXPECT_EQ(r.output, "OK\n") << what;
    } else {
      EXPECT_EQ(r.exit_code, 1) << what << ": expected a failure, got: " << r.output;
    }
  }

  std::string CheckpointText(const RefTree& tree, size_t size) const {
    return std::string(kOrigin) + "\n" + std::to_string(size) + "\n" + Base64Encode(tree.Root(size).span()) + "\n";
  }
  std::string SignedCheckpoint(const RefTree& tree, size_t size) const {
    return SignNote(CheckpointText(tree, size), kOrigin, origin_key_).value();
  }

  const SigningKey origin_key_ = KeyFromByte(0x31);
  const std::string vkey_ = NoteVerifier::ForKey(kOrigin, origin_key_.public_key()).ToString();
  std::string dir_;
};

std::string HashLines(const std::vector<Hash>& hashes) {
  std::string out;
  for (const Hash& h : hashes) out += Base64Encode(h.span()) + "\n";
  return out;
}

// --- notes and cosignatures --------------------------------------------------

TEST_F(GoInteropTest, GoOpensOurCheckpointNote) {
  RefTree tree(5);
  std::string note = SignedCheckpoint(tree, 5);
  Expect(true, {"note", vkey_, Write("cp", note)}, "our checkpoint");

  std::string tampered = note;
  tampered[tampered.find('\n') + 1] = '6';  // size 5 -> 6
  Expect(false, {"note", vkey_, Write("tampered", tampered)}, "tampered size");

  std::string other = SignNote(CheckpointText(tree, 5), kOrigin, KeyFromByte(0x32)).value();
  Expect(false, {"note", vkey_, Write("other", other)}, "signed by another key");
}

TEST_F(GoInteropTest, GoAcceptsExtensionLinesAndExtraSignatures) {
  RefTree tree(3);
  std::string text = CheckpointText(tree, 3) + "map " + Base64Encode(Sha256::Digest("map").span()) + "\n";
  std::string note = SignNote(text, kOrigin, origin_key_).value();
  note = AddNoteSignature(note, "custos.example/court", KeyFromByte(0x33)).value();
  Note n = Note::Parse(note).value();
  n.signatures.push_back(Cosign(n.text, "witness.example/w1", KeyFromByte(0x34), 1700000000));
  Expect(true, {"note", vkey_, Write("cp", n.Serialize())}, "extension line, court and witness lines");
}

TEST_F(GoInteropTest, GoVerifiesOurCosignature) {
  RefTree tree(4);
  SigningKey witness_key = KeyFromByte(0x41);
  NoteVerifier witness = NoteVerifier::ForKey("witness.example/w1", witness_key.public_key(), kAlgCosignatureV1);
  Note n = Note::Parse(SignedCheckpoint(tree, 4)).value();
  n.signatures.push_back(Cosign(n.text, witness.name, witness_key, 1679315147));
  Expect(true, {"cosignature", witness.ToString(), Write("cosigned", n.Serialize())}, "cosignature");

  n.signatures.back().sig[7] ^= 1;  // timestamp
  Expect(false, {"cosignature", witness.ToString(), Write("bad-time", n.Serialize())}, "tampered timestamp");
  // A cosignature is not an Ed25519 note signature: the 0x01 verifier must not accept it.
  std::string note_vkey = NoteVerifier::ForKey(witness.name, witness_key.public_key()).ToString();
  Expect(false, {"note", note_vkey, Write("as-note", n.Serialize())}, "cosignature as note signature");
}

// --- proofs ------------------------------------------------------------------

std::string TlogProof(size_t index, const std::vector<Hash>& path, const std::string& checkpoint,
                      const std::string& extra = "") {
  std::string out = "c2sp.org/tlog-proof@v1\n";
  if (!extra.empty()) out += "extra " + extra + "\n";
  return out + "index " + std::to_string(index) + "\n" + HashLines(path) + "\n" + checkpoint;
}

TEST_F(GoInteropTest, GoChecksInclusionProofs) {
  RefTree tree(13);
  for (size_t size : {1, 2, 3, 4, 5, 7, 8, 13}) {
    std::string cp = SignedCheckpoint(tree, size);
    for (size_t i = 0; i < size; ++i) {
      std::string what = "leaf " + std::to_string(i) + " of " + std::to_string(size);
      Expect(true, {"inclusion", vkey_, Write("p", TlogProof(i, tree.Path(i, size), cp)), Write("e", tree.entry(i))},
             what);
    }
  }
}

TEST_F(GoInteropTest, GoRejectsBadInclusionProofs) {
  RefTree tree(7);
  const std::string cp = SignedCheckpoint(tree, 7);
  const std::vector<Hash> path = tree.Path(5, 7);
  const std::string entry = Write("e", tree.entry(5));
  Expect(true, {"inclusion", vkey_, Write("ok", TlogProof(5, path, cp, "ZXh0cmE=")), entry}, "with extra data");

  Expect(false, {"inclusion", vkey_, Write("p1", TlogProof(5, path, cp)), Write("e2", tree.entry(4))}, "other entry");
  Expect(false, {"inclusion", vkey_, Write("p2", TlogProof(4, path, cp)), entry}, "other index");
  Expect(false, {"inclusion", vkey_, Write("p3", TlogProof(7, path, cp)), entry}, "index past the size");
  std::vector<Hash> bad = path;
  bad[0].bytes[0] ^= 1;
  Expect(false, {"inclusion", vkey_, Write("p4", TlogProof(5, bad, cp)), entry}, "tampered hash");
  bad = path;
  bad.push_back(path[0]);
  Expect(false, {"inclusion", vkey_, Write("p5", TlogProof(5, bad, cp)), entry}, "extra hash");
  std::string other_cp = SignNote(CheckpointText(tree, 7), kOrigin, KeyFromByte(0x32)).value();
  Expect(false, {"inclusion", vkey_, Write("p6", TlogProof(5, path, other_cp)), entry}, "checkpoint by another key");
  std::string no_header = TlogProof(5, path, cp).substr(std::string("c2sp.org/tlog-proof@v1\n").size());
  Expect(false, {"inclusion", vkey_, Write("p7", no_header), entry}, "missing header");
  Expect(false, {"inclusion", vkey_, Write("p8", TlogProof(5, path, cp, "not base64!")), entry}, "bad extra");
}

TEST_F(GoInteropTest, GoChecksConsistencyProofs) {
  RefTree tree(13);
  for (size_t n = 1; n <= 13; ++n) {
    const std::string new_cp = Write("new", SignedCheckpoint(tree, n));
    for (size_t m = 0; m <= n; ++m) {
      std::vector<Hash> proof = m == 0 ? std::vector<Hash>{} : tree.Consistency(m, n);
      std::string what = std::to_string(m) + " -> " + std::to_string(n);
      Expect(true, {"consistency", vkey_, Write("old", SignedCheckpoint(tree, m)), new_cp, Write("proof", HashLines(proof))},
             what);
    }
  }
}

TEST_F(GoInteropTest, GoRejectsBadConsistencyProofs) {
  RefTree tree(13);
  const std::string old_cp = Write("old", SignedCheckpoint(tree, 5));
  const std::string new_cp = Write("new", SignedCheckpoint(tree, 13));
  const std::vector<Hash> proof = tree.Consistency(5, 13);
  std::vector<Hash> bad = proof;
  bad[1].bytes[31] ^= 0x80;
  Expect(false, {"consistency", vkey_, old_cp, new_cp, Write("p1", HashLines(bad))}, "tampered hash");
  Expect(false, {"consistency", vkey_, new_cp, old_cp, Write("p2", HashLines(proof))}, "swapped checkpoints");
  Expect(false, {"consistency", vkey_, old_cp, new_cp, Write("p3", "")}, "empty proof");
  Expect(false, {"consistency", vkey_, old_cp, new_cp, Write("p4", HashLines(proof).substr(1))}, "bad base64");

  // A different tree of the same sizes (a fork) is not consistent.
  std::string forked_text = std::string(kOrigin) + "\n13\n" + Base64Encode(Sha256::Digest("fork").span()) + "\n";
  const std::string forked = Write("fork", SignNote(forked_text, kOrigin, origin_key_).value());
  Expect(false, {"consistency", vkey_, old_cp, forked, Write("p5", HashLines(proof))}, "forked new tree");

  std::string other_origin = "custos.example/other\n13\n" + Base64Encode(tree.Root(13).span()) + "\n";
  const std::string moved = Write("moved", SignNote(other_origin, kOrigin, origin_key_).value());
  Expect(false, {"consistency", vkey_, old_cp, moved, Write("p6", HashLines(proof))}, "different origin");
}

}  // namespace
}  // namespace custos
