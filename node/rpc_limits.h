// Limits of the node's RPC interface (schema/rpc.capnp, docs/node.md).
//
// A hostile or broken client can send at most one message of
// kRpcMessageLimitBytes before its connection is cut, and every list it sends
// is bounded below that; what the node sends back is bounded the same way, so
// an honest client with the same ReaderOptions can always read it.
#pragma once

#include <capnp/message.h>

#include <cstddef>
#include <cstdint>

#include "schema/canonical.h"

namespace custos::node {

// Cap'n Proto ReaderOptions for every RPC connection, on both ends: a message
// larger than this (in words, counted as the reader traverses it) or nested
// deeper fails the connection it arrived on, and only that one.
inline constexpr size_t kRpcMessageLimitBytes = size_t{64} << 20;
inline constexpr int kRpcNestingLimit = 64;

inline capnp::ReaderOptions RpcReaderOptions() {
  capnp::ReaderOptions options;
  options.traversalLimitInWords = kRpcMessageLimitBytes / sizeof(capnp::word);
  options.nestingLimit = kRpcNestingLimit;
  return options;
}

// A client's (node/client.h): it walks each answer once to check it
// (schema::CheckWellFormed) and then reads it, which Cap'n Proto counts twice
// against the traversal limit; so it allows twice the traversal, and so takes
// answers of up to twice the size. An answer that is still too large (or a
// list that costs a word of the limit per element and nothing of the
// message) fails the read with an exception, which the command line reports
// as a damaged answer.
inline capnp::ReaderOptions RpcClientReaderOptions() {
  capnp::ReaderOptions options = RpcReaderOptions();
  options.traversalLimitInWords *= 2;
  return options;
}

// submit(): at most this many submissions per call, each at most this long
// (a statement of schema::kMaxStatementBytes plus the signature and key).
// The whole call must also fit in one message (kRpcMessageLimitBytes).
inline constexpr size_t kMaxSubmissionsPerCall = 4096;
inline constexpr size_t kMaxSubmissionBytes = schema::kMaxStatementBytes + 256;
// A private payload sent with a submission (docs/personal-data.md): a name of
// at most 256 bytes and an id fit well inside.
inline constexpr size_t kMaxPrivatePayloadBytes = 1024;

// entries(): at most this many entries per call; the node also stops adding
// entries once the reply holds kMaxEntriesReplyBytes (it always returns at
// least one entry when there is one).
inline constexpr uint32_t kMaxEntriesPerCall = 4096;
inline constexpr size_t kMaxEntriesReplyBytes = size_t{16} << 20;

// Text arguments (origins) longer than this are refused before any lookup.
inline constexpr size_t kMaxOriginArgBytes = 255;

}  // namespace custos::node
