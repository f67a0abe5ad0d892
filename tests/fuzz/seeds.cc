// custos_fuzz_seeds OUT EXAMPLES FIXTURES — writes a seed corpus for each
// fuzz target (tests/fuzz) into OUT/<target>/: the example statements of
// EXAMPLES as JSON, as canonical statements, signed submissions and log
// entries; the fixture bundle of FIXTURES and the entries, checkpoints and a
// tlog-proof taken from it; a private payload and its record; the example
// node and federation files. Exit 0, or 2 with the reason.
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>

#include "crypto/ed25519.h"
#include "crypto/sha256.h"
#include "ledger/checkpoint.h"
#include "ledger/private_data.h"
#include "ledger/submission.h"
#include "schema/canonical.h"
#include "schema/json.h"

namespace custos::fuzz {
namespace {

namespace fs = std::filesystem;

std::string ReadAll(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

class Corpus {
 public:
  explicit Corpus(fs::path out) : out_(std::move(out)) {}
  void Put(const std::string& target, const std::string& name, std::string_view bytes) {
    fs::create_directories(out_ / target);
    std::ofstream(out_ / target / name, std::ios::binary) << bytes;
  }
  void Put(const std::string& target, const std::string& name, ByteSpan bytes) { Put(target, name, AsString(bytes)); }

 private:
  fs::path out_;
};

// Each example as JSON, statement, submission and entry.
Status SeedExamples(Corpus& corpus, const fs::path& examples) {
  const SigningKey key = *SigningKey::FromSeed(Sha256::Digest("custos-fuzz-seeds").span());
  const Bytes nonce(16, 7);
  uint64_t index = 1;
  for (const auto& file : fs::directory_iterator(examples)) {
    if (file.path().extension() != ".json") continue;
    const std::string name = file.path().stem().string();
    const std::string json = ReadAll(file.path());
    corpus.Put("json", name, json);
    auto parsed = schema::StatementFromJson(json);
    if (!parsed.ok()) return parsed.status().WithContext(file.path().string());
    Bytes statement = schema::FillStatementDefaults(*parsed, "suzhou-ipb.example/custos", 1'720'000'000'000, nonce);
    corpus.Put("statement", name, statement);
    Bytes submission = SignSubmission(statement, key);
    corpus.Put("submission", name, submission);
    auto sub = schema::ReadCanonical<schema::SignedSubmission>(submission, schema::kMaxStatementBytes + 256, "submission");
    if (!sub.ok()) return sub.status();
    corpus.Put("entry", name, BuildEntry(index++, Sha256::Digest(name), 1'720'000'000'000, sub->get()));
  }
  return Status::OK();
}

// The fixture bundle, and the entries, checkpoints and a tlog-proof in it.
Status SeedBundle(Corpus& corpus, const fs::path& fixtures) {
  const std::string raw = ReadAll(fixtures / "custody.bundle");
  corpus.Put("bundle", "custody", raw);
  auto bundle = schema::ReadCanonical<schema::EvidenceBundle>(AsBytes(raw), raw.size(), "bundle");
  if (!bundle.ok()) return bundle.status();
  int n = 0;
  for (auto step : bundle->get().getChain()) {
    auto entry = step.getEntry().getEntry();
    corpus.Put("entry", "bundle-" + std::to_string(n++), ByteSpan(entry.begin(), entry.size()));
  }
  for (auto log : bundle->get().getLogs()) {
    const std::string note = log.getCheckpoint().cStr();
    corpus.Put("note", "checkpoint-" + std::to_string(n++), note);
    TlogProof proof{"", 0, {}, note};
    for (auto h : log.getAuthority()[0].getProof()) proof.proof.push_back(*Hash::FromSpan(ByteSpan(h.begin(), h.size())));
    corpus.Put("note", "proof-" + std::to_string(n++), proof.Format());
  }
  return Status::OK();
}

void SeedOthers(Corpus& corpus, const fs::path& examples, const fs::path& fixtures) {
  personal::Attachment a{Bytes(personal::kSaltBytes, 3),
                         personal::CanonicalPayload({"320583198503152620", "王某"})};
  corpus.Put("private", "payload", a.payload);
  corpus.Put("private", "record", personal::EncodeRecord(a));
  corpus.Put("config", "trust", ReadAll(fixtures / "custody-trust.json"));
  corpus.Put("config", "federation", ReadAll(examples / "node" / "federation.json"));
  corpus.Put("config", "node", ReadAll(examples / "node" / "node.json"));
}

int Main(int argc, char** argv) {
  if (argc != 4) {
    std::cerr << "usage: custos_fuzz_seeds OUT EXAMPLES FIXTURES\n";
    return 2;
  }
  InitCrypto();
  Corpus corpus{fs::path(argv[1])};
  Status st = SeedExamples(corpus, argv[2]);
  if (st.ok()) st = SeedBundle(corpus, argv[3]);
  if (!st.ok()) {
    std::cerr << "custos_fuzz_seeds: " << st.ToString() << "\n";
    return 2;
  }
  SeedOthers(corpus, argv[2], argv[3]);
  return 0;
}

}  // namespace
}  // namespace custos::fuzz

int main(int argc, char** argv) { return custos::fuzz::Main(argc, argv); }
