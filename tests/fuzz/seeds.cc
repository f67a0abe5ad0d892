// custos_fuzz_seeds OUT EXAMPLES FIXTURES — writes a seed corpus for each
// fuzz target (tests/fuzz) into OUT/<target>/: the example statements of
// EXAMPLES as JSON, as canonical statements, signed submissions and log
// entries; the fixture bundle of FIXTURES and the entries, checkpoints and a
// tlog-proof taken from it, and a listing answer naming its checkpoints; a
// private payload and its record; the example node and federation files; a
// node's answers as Cap'n Proto messages. Exit 0, or 2 with the reason.
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>

#include "crypto/ed25519.h"
#include "crypto/sha256.h"
#include <capnp/message.h>
#include <capnp/serialize.h>

#include "ledger/admission/submission.h"
#include "ledger/listings/listing_check.h"
#include "ledger/personal/private_data.h"
#include "ledger/tlog/checkpoint.h"
#include "schema/canonical.h"
#include "schema/json.h"
#include "schema/rpc.capnp.h"
#include "crypto/timestamp.h"
#include "tests/tools/test_tsa.h"

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
    // A listing answer naming that checkpoint, with an empty map proof.
    listings::ListingAnswer answer;
    answer.id = "91320500MA1MXXXX0X";
    answer.logs.push_back({log.getOrigin().cStr(), note, {}, {}});
    corpus.Put("listing", "answer-" + std::to_string(n++), answer.Encode());
  }
  return Status::OK();
}

// A node's answers, as rpc_answer_fuzz reads them: a byte choosing the root
// type, then the message.
template <typename Fill>
void PutAnswer(Corpus& corpus, const std::string& name, char which, Fill fill) {
  capnp::MallocMessageBuilder message;
  fill(message);
  auto words = capnp::messageToFlatArray(message);
  corpus.Put("rpc_answer", name, std::string(1, which) + std::string(words.asChars().begin(), words.asChars().size()));
}

void SeedAnswers(Corpus& corpus) {
  PutAnswer(corpus, "status", 0, [](capnp::MessageBuilder& m) {
    auto st = m.initRoot<rpc::NodeStatus>();
    st.setOrigin("suzhou-ipb.example/custos");
    auto log = st.initLogs(1)[0];
    log.setOrigin("suzhou-ipb.example/custos");
    log.setSize(3);
    log.setCheckpoint("suzhou-ipb.example/custos\n3\nAAAA\n");
    auto peer = st.initPeers(1)[0];
    peer.setOrigin("suzhou-psb.example/custos");
    peer.setAddress("127.0.0.1:7001");
    st.initAlarms(1).set(0, "equivocation");
  });
  PutAnswer(corpus, "trail", 1, [](capnp::MessageBuilder& m) { m.initRoot<rpc::CaseTrail>(); });
  PutAnswer(corpus, "audit", 2, [](capnp::MessageBuilder& m) { m.initRoot<rpc::ReferralAudit>(); });
  PutAnswer(corpus, "verified", 3, [](capnp::MessageBuilder& m) {
    auto v = m.initRoot<rpc::VerifiedLog>();
    v.setOrigin("suzhou-ipb.example/custos");
    v.setSize(3);
    v.setRoot(capnp::Data::Reader(Sha256::Digest("root").span().data(), 32));
  });
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

// A real TSA's token, answer and certificate, each behind the byte that
// picks its decoder in fuzz_timestamp.
void SeedTimestamps(Corpus& corpus) {
  auto tsa = testing::TestTsa::Create("Fuzz seed TSA");
  if (!tsa.ok()) return;
  auto request = MakeTimestampRequest("suzhou-ipb.example/custos\n7\nzxydswZaLQ766ertEKbgsqyLjq42ZUjOxYC/rBs1xIk=\n");
  auto answer = request.ok() ? tsa->Answer(request->der) : Result<Bytes>(request.status());
  auto token = tsa->Token("suzhou-ipb.example/custos\n7\nzxydswZaLQ766ertEKbgsqyLjq42ZUjOxYC/rBs1xIk=\n");
  if (token.ok()) corpus.Put("timestamp", "token", std::string(1, '\0') + std::string(AsString(*token)));
  if (answer.ok()) corpus.Put("timestamp", "answer", std::string(1, '\1') + std::string(AsString(*answer)));
  corpus.Put("timestamp", "certificate", std::string(1, '\2') + tsa->certificate_pem());
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
  SeedAnswers(corpus);
  SeedTimestamps(corpus);
  return 0;
}

}  // namespace
}  // namespace custos::fuzz

int main(int argc, char** argv) { return custos::fuzz::Main(argc, argv); }
