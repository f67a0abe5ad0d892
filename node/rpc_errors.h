// Errors at the RPC boundary (schema/rpc.capnp, docs/node.md).
//
// A Status that fails a whole call becomes a kj::Exception whose type tells
// the client whether retrying can help and whose description is
// Status::ToString() ("<kind>: <message>"), so the client can turn it back
// into the same Status:
//
//   IOError                    -> OVERLOADED    (the node's disk: retry later)
//   everything else            -> FAILED        (retrying the same call is useless)
//
// Per-submission refusals are values (rpc::Error), not exceptions.
#pragma once

#include <kj/exception.h>

#include "crypto/status.h"
#include "schema/rpc.capnp.h"

namespace custos::node {

kj::Exception ToException(const Status& status);
// Throws ToException(status): how a server or client method fails a call.
[[noreturn]] void Throw(const Status& status);

// The Status a failed call stands for, on the client side: the "<kind>: "
// prefix gives the code back; KJ's "remote exception: " prefix is dropped.
// Exceptions that did not come from a Status map by type: DISCONNECTED and
// OVERLOADED to IOError (network or busy node), UNIMPLEMENTED to
// FailedPrecondition, FAILED to InvalidArgument.
Status FromException(const kj::Exception& e);

rpc::ErrorCode ToErrorCode(Status::Code code);
Status FromError(rpc::Error::Reader error);

}  // namespace custos::node
