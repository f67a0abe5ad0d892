#include "node/config.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <set>
#include <sstream>

#include "ledger/checkpoint.h"

namespace custos::node {

namespace {
using nlohmann::json;

constexpr size_t kMaxConfigFileBytes = 1 << 20;

// Reads the fields of one JSON object strictly. Every error names the file
// (`label`) and the field's path, e.g. "federation f.json: peers[2].address: …".
class ObjectReader {
 public:
  ObjectReader(const json& object, std::string label, std::string path)
      : object_(object), label_(std::move(label)), path_(std::move(path)) {}

  Status Error(std::string_view field, const std::string& what) const {
    return Status::InvalidArgument(label_ + ": " + path_ + std::string(field) + ": " + what);
  }

  // Refuses fields not in `known` (a typo must not be ignored).
  Status OnlyKnown(std::initializer_list<std::string_view> known) const {
    for (const auto& [key, value] : object_.items()) {
      if (std::find(known.begin(), known.end(), key) == known.end()) {
        return Error(key, "unknown field (known: " + Join(known) + ")");
      }
    }
    return Status::OK();
  }

  bool Has(std::string_view field) const { return object_.contains(std::string(field)); }
  const json& Get(std::string_view field) const { return object_.at(std::string(field)); }

  // A required non-empty string; with a default, an optional one.
  Result<std::string> String(std::string_view field, std::optional<std::string> fallback = std::nullopt) const {
    if (!Has(field)) {
      if (fallback) return *fallback;
      return Error(field, "missing (a string is required)");
    }
    const json& v = Get(field);
    if (!v.is_string()) return Error(field, "must be a string");
    auto s = v.get<std::string>();
    if (s.empty()) return Error(field, "must not be empty");
    return s;
  }

  // An optional whole number from `min` to `max`; `fallback` when absent.
  Result<uint32_t> Whole(std::string_view field, uint32_t fallback, uint32_t min, uint32_t max) const {
    if (!Has(field)) return fallback;
    const json& v = Get(field);
    if (!v.is_number_unsigned() || v.get<uint64_t>() < min || v.get<uint64_t>() > max) {
      return Error(field, "must be a whole number from " + std::to_string(min) + " to " + std::to_string(max));
    }
    return static_cast<uint32_t>(v.get<uint64_t>());
  }

  std::string Path(std::string_view field) const { return path_ + std::string(field); }
  const std::string& label() const { return label_; }

 private:
  static std::string Join(std::initializer_list<std::string_view> names) {
    std::string out;
    for (auto n : names) out += (out.empty() ? "" : ", ") + std::string(n);
    return out;
  }
  const json& object_;
  std::string label_;
  std::string path_;
};

Result<json> ParseObject(std::string_view text, std::string_view label) {
  json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return Status::InvalidArgument(std::string(label) + ": not valid JSON");
  if (!j.is_object()) return Status::InvalidArgument(std::string(label) + ": must be a JSON object");
  return j;
}

Result<std::string> ReadSmallFile(const std::string& path, const std::string& what) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return Status::NotFound(what + " " + path + ": no such file");
  if (!std::filesystem::is_regular_file(path, ec)) return Status::InvalidArgument(what + " " + path + ": not a regular file");
  auto size = std::filesystem::file_size(path, ec);
  if (ec) return Status::IOError(what + " " + path + ": " + ec.message());
  if (size > kMaxConfigFileBytes) return Status::InvalidArgument(what + " " + path + ": larger than 1 MiB");
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  if (!in && !in.eof()) return Status::IOError(what + " " + path + ": read failed");
  return ss.str();
}

std::string Resolve(const std::string& base_dir, const std::string& path) {
  std::filesystem::path p(path);
  if (p.is_absolute() || base_dir.empty()) return p.lexically_normal().string();
  return (std::filesystem::path(base_dir) / p).lexically_normal().string();
}

Result<PeerConfig> ParsePeer(const json& j, const std::string& label, const std::string& path) {
  if (!j.is_object()) return Status::InvalidArgument(label + ": " + path + ": must be an object");
  ObjectReader r(j, label, path + ".");
  CUSTOS_RETURN_IF_ERROR(r.OnlyKnown({"origin", "verifierKey", "address", "agencyKind"}));
  PeerConfig peer;
  CUSTOS_ASSIGN_OR_RETURN(peer.origin, r.String("origin"));
  CUSTOS_ASSIGN_OR_RETURN(std::string vkey, r.String("verifierKey"));
  auto verifier = NoteVerifier::Parse(vkey);
  if (!verifier.ok()) return r.Error("verifierKey", verifier.status().message());
  if (verifier->alg != kAlgEd25519) return r.Error("verifierKey", "must be a note signer key (type 0x01)");
  if (verifier->name != peer.origin) {
    return r.Error("verifierKey", "the key is named \"" + verifier->name + "\", not the peer's origin \"" +
                                      peer.origin + "\"");
  }
  peer.verifier = *verifier;
  CUSTOS_ASSIGN_OR_RETURN(std::string address, r.String("address"));
  CUSTOS_ASSIGN_OR_RETURN(peer.address, ParseHostPort(address, label + ": " + r.Path("address")));
  CUSTOS_ASSIGN_OR_RETURN(peer.agency_kind, r.String("agencyKind"));
  if (std::find(std::begin(kAgencyKinds), std::end(kAgencyKinds), peer.agency_kind) == std::end(kAgencyKinds)) {
    std::string kinds;
    for (auto k : kAgencyKinds) kinds += (kinds.empty() ? "" : ", ") + std::string(k);
    return r.Error("agencyKind", "\"" + peer.agency_kind + "\" is not one of " + kinds);
  }
  return peer;
}

Status CheckUniquePeers(const std::vector<PeerConfig>& peers, const std::string& label) {
  std::set<std::string> origins;
  std::set<PublicKey> keys;
  for (size_t i = 0; i < peers.size(); ++i) {
    std::string path = label + ": peers[" + std::to_string(i) + "].";
    if (!origins.insert(peers[i].origin).second) {
      return Status::InvalidArgument(path + "origin: \"" + peers[i].origin + "\" is listed twice");
    }
    if (!keys.insert(peers[i].verifier.key).second) {
      return Status::InvalidArgument(path + "verifierKey: the same key is listed for another peer");
    }
  }
  return Status::OK();
}

Result<WitnessPolicy> ParsePolicy(const json& j, const FederationConfig& fed, const std::string& label) {
  if (!j.is_object()) return Status::InvalidArgument(label + ": witnessPolicy: must be an object");
  ObjectReader r(j, label, "witnessPolicy.");
  CUSTOS_RETURN_IF_ERROR(r.OnlyKnown({"cosigners", "quorum"}));
  WitnessPolicy policy;
  if (!r.Has("cosigners") || !r.Get("cosigners").is_array()) return r.Error("cosigners", "a list of peer origins is required");
  std::set<std::string> seen;
  for (const auto& c : r.Get("cosigners")) {
    if (!c.is_string()) return r.Error("cosigners", "every item must be a string (a peer's origin)");
    auto origin = c.get<std::string>();
    if (!fed.FindPeer(origin)) return r.Error("cosigners", "\"" + origin + "\" is not a listed peer");
    if (!seen.insert(origin).second) return r.Error("cosigners", "\"" + origin + "\" is listed twice");
    policy.cosigners.push_back(origin);
  }
  if (!r.Has("quorum") || !r.Get("quorum").is_number_unsigned()) {
    return r.Error("quorum", "a whole number from 0 to the number of cosigners is required");
  }
  auto quorum = r.Get("quorum").get<uint64_t>();
  if (quorum > policy.cosigners.size()) {
    return r.Error("quorum", std::to_string(quorum) + " is more than the " + std::to_string(policy.cosigners.size()) +
                                 " cosigners listed");
  }
  policy.quorum = static_cast<uint32_t>(quorum);
  return policy;
}

Result<ConnectionLimits> ParseLimits(const ObjectReader& r) {
  ConnectionLimits l;
  CUSTOS_ASSIGN_OR_RETURN(l.max_unauthenticated, r.Whole("maxUnauthenticated", kDefaultMaxUnauthenticated, 1, 65536));
  CUSTOS_ASSIGN_OR_RETURN(l.handshake_timeout_s,
                          r.Whole("handshakeTimeoutSeconds", kDefaultHandshakeTimeoutSeconds, 1, 600));
  CUSTOS_ASSIGN_OR_RETURN(l.idle_timeout_s, r.Whole("idleTimeoutSeconds", kDefaultIdleTimeoutSeconds, 0, 86400));
  return l;
}

Status CheckLevel(const std::string& level, const ObjectReader& r) {
  for (auto l : kLogLevels) {
    if (level == l) return Status::OK();
  }
  return r.Error("logLevel", "\"" + level + "\" is not one of trace, debug, info, warn, error");
}
}  // namespace

std::string HostPort::ToString() const {
  std::string h = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  return h + ":" + std::to_string(port);
}

Result<HostPort> ParseHostPort(std::string_view text, std::string_view field, bool allow_port_zero) {
  auto bad = [&](const std::string& why) {
    return Status::InvalidArgument(std::string(field) + ": \"" + std::string(text) + "\" is not HOST:PORT (" + why + ")");
  };
  size_t colon = text.rfind(':');
  if (colon == std::string_view::npos) return bad("no port");
  std::string_view host = text.substr(0, colon), port_text = text.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  else if (host.find(':') != std::string_view::npos) return bad("put an IPv6 address in brackets");
  if (host.empty()) return bad("empty host");
  if (host.find_first_of(" \t/[]") != std::string_view::npos) return bad("bad character in the host");
  uint64_t port = 0;
  if (!ParseDecimal(port_text, &port) || port > 65535) return bad("the port must be a number up to 65535");
  if (port == 0 && !allow_port_zero) return bad("port 0");
  return HostPort{std::string(host), static_cast<uint16_t>(port)};
}

const PeerConfig* FederationConfig::FindPeer(std::string_view origin) const {
  for (const auto& p : peers) {
    if (p.origin == origin) return &p;
  }
  return nullptr;
}

Result<FederationConfig> ParseFederation(std::string_view text, std::string_view label_view) {
  std::string label(label_view);
  CUSTOS_ASSIGN_OR_RETURN(json j, ParseObject(text, label));
  ObjectReader r(j, label, "");
  CUSTOS_RETURN_IF_ERROR(r.OnlyKnown({"peers", "witnessPolicy"}));
  if (!r.Has("peers") || !r.Get("peers").is_array()) return r.Error("peers", "a list of peers is required");
  FederationConfig fed;
  size_t i = 0;
  for (const auto& p : r.Get("peers")) {
    CUSTOS_ASSIGN_OR_RETURN(auto peer, ParsePeer(p, label, "peers[" + std::to_string(i++) + "]"));
    fed.peers.push_back(std::move(peer));
  }
  CUSTOS_RETURN_IF_ERROR(CheckUniquePeers(fed.peers, label));
  if (r.Has("witnessPolicy")) {
    CUSTOS_ASSIGN_OR_RETURN(fed.policy, ParsePolicy(r.Get("witnessPolicy"), fed, label));
  }
  return fed;
}

Result<DataDirInfo> ParseDataDirInfo(std::string_view text, std::string_view label_view, const std::string& dir) {
  std::string label(label_view);
  CUSTOS_ASSIGN_OR_RETURN(json j, ParseObject(text, label));
  ObjectReader r(j, label, "");
  DataDirInfo info;
  CUSTOS_ASSIGN_OR_RETURN(info.origin, r.String("origin"));
  CUSTOS_ASSIGN_OR_RETURN(std::string key_file, r.String("nodeKeyFile"));
  info.node_key_file = Resolve(dir, key_file);
  return info;
}

Result<DataDirInfo> LoadDataDirInfo(const std::string& dir) {
  const std::string path = dir + "/custos.json";
  CUSTOS_ASSIGN_OR_RETURN(std::string text, ReadSmallFile(path, "log description"));
  return ParseDataDirInfo(text, path, dir);
}

Status SaveDataDirInfo(const std::string& dir, const DataDirInfo& info) {
  const std::string path = dir + "/custos.json";
  json j = {{"format", 1}, {"origin", info.origin}, {"nodeKeyFile", info.node_key_file}};
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << j.dump(2) << "\n";
  out.close();
  if (!out) return Status::IOError("writing " + path + " failed");
  return Status::OK();
}

Result<NodeConfig> ParseNodeConfig(std::string_view text, std::string_view label_view, const std::string& base_dir) {
  std::string label(label_view);
  CUSTOS_ASSIGN_OR_RETURN(json j, ParseObject(text, label));
  ObjectReader r(j, label, "");
  CUSTOS_RETURN_IF_ERROR(r.OnlyKnown({"dataDir", "nodeKeyFile", "listen", "federationFile", "logLevel", "backupDirectory",
                                      "maxUnauthenticated", "handshakeTimeoutSeconds", "idleTimeoutSeconds"}));
  NodeConfig c;
  CUSTOS_ASSIGN_OR_RETURN(std::string data_dir, r.String("dataDir"));
  c.data_dir = Resolve(base_dir, data_dir);
  CUSTOS_ASSIGN_OR_RETURN(std::string key_file, r.String("nodeKeyFile", std::string()));
  if (!key_file.empty()) c.node_key_file = Resolve(base_dir, key_file);
  CUSTOS_ASSIGN_OR_RETURN(std::string listen, r.String("listen"));
  CUSTOS_ASSIGN_OR_RETURN(c.listen, ParseHostPort(listen, label + ": listen", /*allow_port_zero=*/true));
  CUSTOS_ASSIGN_OR_RETURN(std::string fed_file, r.String("federationFile"));
  c.federation_file = Resolve(base_dir, fed_file);
  CUSTOS_ASSIGN_OR_RETURN(c.log_level, r.String("logLevel", std::string("info")));
  CUSTOS_RETURN_IF_ERROR(CheckLevel(c.log_level, r));
  CUSTOS_ASSIGN_OR_RETURN(std::string backup_dir, r.String("backupDirectory", std::string()));
  c.backup_dir = backup_dir.empty() ? c.data_dir + "/backups" : Resolve(base_dir, backup_dir);
  CUSTOS_ASSIGN_OR_RETURN(c.limits, ParseLimits(r));
  return c;
}

Result<NodeConfig> LoadNodeConfig(const std::string& path) {
  CUSTOS_ASSIGN_OR_RETURN(std::string text, ReadSmallFile(path, "config"));
  std::string base = std::filesystem::path(path).parent_path().string();
  CUSTOS_ASSIGN_OR_RETURN(NodeConfig c, ParseNodeConfig(text, "config " + path, base));
  c.config_file = path;
  auto info = LoadDataDirInfo(c.data_dir);
  if (info.status().code() == Status::Code::kNotFound) {
    return Status::InvalidArgument("config " + path + ": dataDir: " + c.data_dir +
                                   " holds no Custos log (no custos.json); create one with `custos log init`");
  }
  if (!info.ok()) return info.status();
  std::error_code ec;
  if (!std::filesystem::is_directory(c.ledger_path(), ec)) {
    return Status::InvalidArgument("config " + path + ": dataDir: " + c.ledger_path() + " is missing");
  }
  c.origin = info->origin;
  if (c.node_key_file.empty()) c.node_key_file = info->node_key_file;
  CUSTOS_ASSIGN_OR_RETURN(std::string fed_text, ReadSmallFile(c.federation_file, "federationFile"));
  CUSTOS_ASSIGN_OR_RETURN(c.federation, ParseFederation(fed_text, "federation " + c.federation_file));
  return c;
}

Result<NamedKey> LoadNodeKey(const NodeConfig& config) {
  auto key = ReadKeyFile(config.node_key_file);
  if (!key.ok()) return key.status().WithContext("nodeKeyFile");
  if (key->name != config.origin) {
    return Status::InvalidArgument("nodeKeyFile: " + config.node_key_file + " holds a key named \"" + key->name +
                                   "\", not the log's origin \"" + config.origin + "\"");
  }
  if (const PeerConfig* self = config.federation.FindPeer(config.origin)) {
    if (self->verifier.key != key->key.public_key()) {
      return Status::InvalidArgument("federation " + config.federation_file + ": the entry for this node (\"" +
                                     config.origin + "\") has another key than nodeKeyFile " + config.node_key_file);
    }
  }
  return key;
}

}  // namespace custos::node
