// Fuzz target: a node's answer as the command line reads it (NodeSession::
// Wait): a Cap'n Proto message whose root is one of the answer structs
// (the first input byte picks which). Reading the framing and the root may
// fail as the RPC layer's would; what CheckWellFormed then accepts must read
// whole: every field of it serialises to JSON, unless the read runs out of
// the traversal limit (see below).
#include <capnp/compat/json.h>
#include <capnp/dynamic.h>
#include <capnp/serialize.h>
#include <kj/exception.h>

#include <cstring>

#include "node/rpc_limits.h"
#include "schema/rpc.capnp.h"
#include "schema/well_formed.h"
#include "tests/fuzz/fuzz.h"

using namespace custos;

namespace {
// A message that does not frame, or whose root does not read as T, fails the
// call in the RPC layer (inside NodeSession::Wait): not a finding. What
// follows CheckWellFormed is.
// The RPC layer's limits, but a traversal limit of 64 KiB instead of 64 MiB:
// a list of empty structs costs a word of the limit per element, not of the
// input, and JSON for the 8M elements the full limit allows is more memory
// and time than fuzzing affords (a node that sends them costs its client
// that much; the limit bounds it). Inputs are smaller than 64 KiB anyway.
capnp::ReaderOptions FuzzReaderOptions() {
  capnp::ReaderOptions options = node::RpcReaderOptions();
  options.traversalLimitInWords = (size_t{64} << 10) / sizeof(capnp::word);
  return options;
}

template <typename T>
void ReadAnswer(kj::ArrayPtr<const capnp::word> words) {
  kj::Own<capnp::FlatArrayMessageReader> reader;
  capnp::DynamicStruct::Reader root;
  KJ_IF_MAYBE(e, kj::runCatchingExceptions([&] {
                reader = kj::heap<capnp::FlatArrayMessageReader>(words, FuzzReaderOptions());
                root = reader->getRoot<T>();
              })) {
    return;
  }
  if (!schema::CheckWellFormed(root, schema::Unknown::kAllow).ok()) return;
  // Reading it again may exhaust the traversal limit that the walk used up
  // in part: an exception the command line reports as a damaged answer
  // (cli/main.cc). Any other exception is a finding.
  KJ_IF_MAYBE(e, kj::runCatchingExceptions([&] {
                capnp::JsonCodec json;
                (void)json.encode(root);
              })) {
    FUZZ_CHECK(schema::DescribeReadError(*e) == "nested too deeply or too large");
  }
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  auto words = kj::heapArray<capnp::word>((size - 1) / sizeof(capnp::word));
  std::memcpy(words.begin(), data + 1, words.size() * sizeof(capnp::word));
  switch (data[0] % 4) {
    case 0: ReadAnswer<rpc::NodeStatus>(words); break;
    case 1: ReadAnswer<rpc::CaseTrail>(words); break;
    case 2: ReadAnswer<rpc::ReferralAudit>(words); break;
    default: ReadAnswer<rpc::VerifiedLog>(words); break;
  }
  return 0;
}
