// Fuzz target: a listing answer's canonical bytes (schema/listing.capnp,
// docs/listings-map.md), as a credit platform keeps it: ListingAnswer::Decode,
// its map proofs and entries, then ListingVerifier (with the fixture bureau's
// key) for each log's answer. What Decode accepts encodes stably. The same bytes also go to ListingAnswer::Read as
// any message the RPC layer would hand over (with its limits, but a
// traversal limit of 64 KiB, as in rpc_answer_fuzz: a list of empty structs
// costs a word of the limit per element, not of the input).
#include <capnp/serialize.h>
#include <kj/exception.h>

#include <cstring>

#include "ledger/listings/listing_check.h"
#include "node/rpc_limits.h"
#include "tests/fuzz/fuzz.h"
#include "tests/ledger/custody_federation.h"
#include "trust/listing_verifier.h"

using namespace custos;

namespace {
// The same bytes as an RPC result arrives (any message, not only canonical
// ones): Read refuses what it cannot use and never throws.
void ReadAsReceived(const uint8_t* data, size_t size) {
  auto words = kj::heapArray<capnp::word>(size / sizeof(capnp::word));
  std::memcpy(words.begin(), data, words.size() * sizeof(capnp::word));
  kj::Own<capnp::FlatArrayMessageReader> reader;
  schema::ListingAnswer::Reader root;
  KJ_IF_MAYBE(e, kj::runCatchingExceptions([&] {
                capnp::ReaderOptions options = node::RpcReaderOptions();
                options.traversalLimitInWords = (size_t{64} << 10) / sizeof(capnp::word);
                reader = kj::heap<capnp::FlatArrayMessageReader>(words, options);
                root = reader->getRoot<schema::ListingAnswer>();
              })) {
    return;  // the RPC layer's refusal, not a finding
  }
  (void)listings::ListingAnswer::Read(root);
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ReadAsReceived(data, size);
  auto answer = listings::ListingAnswer::Decode(ByteSpan(data, size));
  if (!answer.ok()) return 0;
  // Encoding is stable: what Decode reads encodes to bytes that decode to
  // the same answer and encode again to the same bytes. (Not byte for byte
  // the input: an absent list and an empty one read alike; nothing signs an
  // answer's bytes, its checkpoints carry the signatures.)
  const Bytes once = answer->Encode();
  auto again = listings::ListingAnswer::Decode(once);
  FUZZ_CHECK(again.ok());
  FUZZ_CHECK(again->Encode() == once);
  auto subject = listings::SubjectOfQuery(answer->kind, answer->id);
  if (!subject.ok()) return 0;
  static const std::string kOrigin = "suzhou-ipb.example/custos";
  static const NoteVerifier kKey =
      NoteVerifier::ForKey(kOrigin, testing::custody::NodeKeyOf(kOrigin).key.public_key());
  static const trust::Federation kTrust({{kOrigin, kKey}}, {});
  listings::ListingVerifier verifier(kTrust);
  for (const auto& log : answer->logs) (void)verifier.Verify(log, subject->key, 0);
  return 0;
}
