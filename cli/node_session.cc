#include "cli/node_session.h"

#include "ledger/tlog/merkle.h"
#include "node/access.h"
#include "node/tls.h"
#include "schema/well_formed.h"

namespace custos::cli {

namespace {
// Says which option a failed connection is about.
Status ConnectError(const kj::Exception& e, const node::HostPort& address, const NamedKey& key,
                    const NoteVerifier& vkey) {
  std::string what = e.getDescription().cStr();
  std::string where = "the node at " + address.ToString();
  if (what.find("is not allowed") != std::string::npos) {
    return Status::Unauthorized("--node-vkey: " + where + " is not " + vkey.name + " (it presented another key): " + what);
  }
  if (what.find("refused us") != std::string::npos) {
    return Status::Unauthorized("--key: " + where + " refused the key " + node::KeyPrefix(key.key.public_key()) +
                                " (its log has not granted it, or revoked it, and it is no federation peer's): " + what);
  }
  return Status::IOError("--node: cannot connect to " + address.ToString() + ": " + what);
}
}  // namespace

NodeSession::NodeSession(kj::AsyncIoContext io, NamedKey key, NoteVerifier vkey)
    : io_(kj::mv(io)), key_(std::move(key)), vkey_(std::move(vkey)) {}

NodeSession::~NodeSession() {
  node_ = nullptr;
  client_ = nullptr;
}

Result<std::unique_ptr<NodeSession>> NodeSession::Open(const NodeFlags& flags) {
  if (flags.node.empty()) return Status::InvalidArgument("--node: give the node's HOST:PORT (or set CUSTOS_NODE)");
  CUSTOS_ASSIGN_OR_RETURN(node::HostPort address, node::ParseHostPort(flags.node, "--node"));
  if (flags.key.empty()) return Status::InvalidArgument("--key: give your key file (or set CUSTOS_KEY)");
  auto key = ReadKeyFile(flags.key);
  if (!key.ok()) return key.status().WithContext("--key");
  if (flags.node_vkey.empty()) {
    return Status::InvalidArgument("--node-vkey: give the node's verifier key string (or set CUSTOS_NODE_VKEY)");
  }
  auto vkey = NoteVerifier::Parse(flags.node_vkey);
  if (!vkey.ok()) return vkey.status().WithContext("--node-vkey");
  if (vkey->alg != kAlgEd25519) return Status::InvalidArgument("--node-vkey: not a node's note key (type 0x01)");
  auto session = std::make_unique<NodeSession>(kj::setupAsyncIo(), std::move(key).value(), *vkey);
  CUSTOS_RETURN_IF_ERROR(session->Connect(address));
  return session;
}

Status NodeSession::Connect(const node::HostPort& address) {
  auto identity = node::TlsIdentity::FromKey(key_);
  if (!identity.ok()) return identity.status().WithContext("--key");
  auto connecting = node::NodeClient::Connect(*io_.provider, *identity, vkey_.key, address);
  KJ_IF_MAYBE(e, kj::runCatchingExceptions([&] { client_ = connecting.wait(io_.waitScope); })) {
    return ConnectError(*e, address, key_, vkey_);
  }
  node_ = client_->node();
  return Status::OK();
}

Status NodeSession::CheckAnswer(capnp::DynamicStruct::Reader answer) {
  Status st = schema::CheckWellFormed(answer, schema::Unknown::kAllow);
  return st.ok() ? st : Status::Corruption("the node's answer: " + st.message());
}

Result<std::string> NodeSession::NodeOrigin() {
  CUSTOS_ASSIGN_OR_RETURN(auto response, Wait(node_.statusRequest().send()));
  std::string origin = response.getStatus().getOrigin();
  if (origin != vkey_.name) {
    return Status::InvalidArgument("--node-vkey: the node's log is \"" + origin + "\", not \"" + vkey_.name + "\"");
  }
  return origin;
}

std::string NodeSession::OriginOr(const std::string& origin_flag) const {
  return origin_flag.empty() ? vkey_.name : origin_flag;
}

Result<OpenedCheckpoint> NodeSession::Checkpoint(const std::string& origin) {
  auto request = node_.checkpointRequest();
  request.setOrigin(origin);
  CUSTOS_ASSIGN_OR_RETURN(auto response, Wait(request.send()));
  return OpenCheckpoint(origin, response.getNote().cStr());
}

Result<OpenedCheckpoint> NodeSession::OpenCheckpoint(const std::string& origin, std::string_view note) const {
  Note parsed;
  if (IsOwn(origin)) {
    auto opened = OpenNote(note, vkey_);
    if (!opened.ok()) return Status::Corruption("checkpoint: " + opened.status().message());
    parsed = std::move(opened).value();
  } else {
    auto split = Note::Parse(note);
    if (!split.ok()) return Status::Corruption("checkpoint: " + split.status().message());
    parsed = std::move(split).value();
  }
  auto cp = custos::Checkpoint::Parse(parsed.text);
  if (!cp.ok()) return Status::Corruption("checkpoint: " + cp.status().message());
  if (cp->origin != origin) {
    return Status::Corruption("checkpoint: the node answered for \"" + cp->origin + "\", not \"" + origin + "\"");
  }
  return OpenedCheckpoint{std::string(note), *cp};
}

Result<std::string> NodeSession::CheckReceipt(uint64_t index, const Hash& leaf, std::string_view proof_text) const {
  if (proof_text.empty()) return Status::Corruption("receipt of entry " + std::to_string(index) + ": no proof");
  auto proof = TlogProof::Parse(proof_text);
  if (!proof.ok()) return Status::Corruption("receipt of entry " + std::to_string(index) + ": " + proof.status().message());
  if (proof->index != index) {
    return Status::Corruption("receipt of entry " + std::to_string(index) + ": its proof is for index " +
                              std::to_string(proof->index));
  }
  CUSTOS_ASSIGN_OR_RETURN(OpenedCheckpoint cp, OpenCheckpoint(vkey_.name, proof->checkpoint));
  Status st = merkle::VerifyInclusion(leaf, index, cp.checkpoint.size, proof->proof, cp.checkpoint.root);
  if (!st.ok()) return Status::Corruption("receipt of entry " + std::to_string(index) + ": " + st.message());
  return cp.note;
}

}  // namespace custos::cli
