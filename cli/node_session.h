// One command's connection to a running node, for cli/node_commands.cc: the
// client's key, the pinned node key, the RPC connection, and the checks the
// client makes on what the node signs (docs/node.md).
#pragma once

#include <capnp/dynamic.h>
#include <kj/async-io.h>

#include <memory>
#include <optional>
#include <string>

#include "crypto/keyfile.h"
#include "crypto/note.h"
#include "crypto/status.h"
#include "ledger/tlog/checkpoint.h"
#include "node/client.h"
#include "node/rpc_errors.h"
#include "schema/rpc.capnp.h"

namespace custos::cli {

// The global options of the command line against a node.
struct NodeFlags {
  std::string node;       // --node HOST:PORT (CUSTOS_NODE)
  std::string key;        // --key FILE (CUSTOS_KEY)
  std::string node_vkey;  // --node-vkey VKEY (CUSTOS_NODE_VKEY)
};

// A checkpoint note and what it says.
struct OpenedCheckpoint {
  std::string note;
  Checkpoint checkpoint;
};

// The first segment's size for a request of about `bytes` of payload, so that
// building it allocates once.
inline capnp::MessageSize RequestSize(size_t bytes) { return {bytes / sizeof(capnp::word) + 64, 0}; }

class NodeSession {
 public:
  // Reads --key and --node-vkey and connects to --node, accepting only the
  // node key of --node-vkey. Errors name the option: InvalidArgument for a bad
  // value; Unauthorized when the node presents another key (--node-vkey) or
  // refuses ours (--key); IOError when the node cannot be reached.
  static Result<std::unique_ptr<NodeSession>> Open(const NodeFlags& flags);

  rpc::Node::Client& node() { return node_; }
  const NamedKey& key() const { return key_; }
  const NoteVerifier& node_vkey() const { return vkey_; }

  // Waits (at most `limit`) for a call; a failure becomes the Status the
  // node meant (node/rpc_errors.h), or IOError for a lost connection. An
  // answer that cannot be read whole (CheckAnswer) is Corruption, so that
  // no accessor of the answer throws. Capabilities the call passed to the
  // node are served meanwhile.
  template <typename Results>
  Result<capnp::Response<Results>> Wait(kj::Promise<capnp::Response<Results>> promise,
                                        kj::Duration limit = 60 * kj::SECONDS) {
    std::optional<capnp::Response<Results>> out;
    auto bounded = io_.provider->getTimer().timeoutAfter(limit, kj::mv(promise));
    KJ_IF_MAYBE(e, kj::runCatchingExceptions([&] { out.emplace(bounded.wait(io_.waitScope)); })) {
      return node::FromException(*e);
    }
    CUSTOS_RETURN_IF_ERROR(CheckAnswer(capnp::toDynamic(static_cast<const typename Results::Reader&>(*out))));
    return std::move(*out);
  }

  // The node's own origin, from status(); it must be the name of --node-vkey.
  Result<std::string> NodeOrigin();
  // `origin_flag`, or the node's own origin (the name of --node-vkey).
  std::string OriginOr(const std::string& origin_flag) const;
  bool IsOwn(const std::string& origin) const { return origin == vkey_.name; }

  // The latest checkpoint of `origin` from the node, opened.
  Result<OpenedCheckpoint> Checkpoint(const std::string& origin);
  // Parses a checkpoint of `origin`; the own log's must verify with
  // --node-vkey (Corruption otherwise). Other logs' are parsed only.
  Result<OpenedCheckpoint> OpenCheckpoint(const std::string& origin, std::string_view note) const;
  // Checks a receipt: its tlog-proof is for `index`, its checkpoint verifies
  // with --node-vkey, and the proof leads from `leaf` to that root. Returns
  // the checkpoint note; Corruption naming the failed check otherwise.
  Result<std::string> CheckReceipt(uint64_t index, const Hash& leaf, std::string_view proof) const;

  NodeSession(kj::AsyncIoContext io, NamedKey key, NoteVerifier vkey);
  ~NodeSession();

 private:
  Status Connect(const node::HostPort& address);
  // Every pointer of `answer` can be followed and every text read
  // (schema::CheckWellFormed, allowing what a newer node adds); Corruption
  // "the node's answer: <field>: <reason>" otherwise.
  static Status CheckAnswer(capnp::DynamicStruct::Reader answer);

  kj::AsyncIoContext io_;
  NamedKey key_;
  NoteVerifier vkey_;
  kj::Own<node::NodeClient> client_;
  rpc::Node::Client node_{nullptr};
};

}  // namespace custos::cli
