#include "node/config.h"
#include "node/http_client.h"
#include "node/witness_asker.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "trust/json_object.h"

namespace custos::node {

namespace {
using nlohmann::json;

constexpr size_t kMaxConfigFileBytes = 1 << 20;

using ObjectReader = trust::JsonObjectReader;

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

Result<ConnectionLimits> ParseLimits(const ObjectReader& r) {
  ConnectionLimits l;
  CUSTOS_ASSIGN_OR_RETURN(l.max_unauthenticated, r.Whole("maxUnauthenticated", kDefaultMaxUnauthenticated, 1, 65536));
  CUSTOS_ASSIGN_OR_RETURN(l.handshake_timeout_s,
                          r.Whole("handshakeTimeoutSeconds", kDefaultHandshakeTimeoutSeconds, 1, 600));
  CUSTOS_ASSIGN_OR_RETURN(l.idle_timeout_s, r.Whole("idleTimeoutSeconds", kDefaultIdleTimeoutSeconds, 0, 86400));
  return l;
}

Result<HttpConfig> ParseHttp(const ObjectReader& parent, const std::string& label, const std::string& base_dir) {
  const json& object = parent.Get("http");
  if (!object.is_object()) return parent.Error("http", "must be a JSON object");
  ObjectReader r(object, label, "http.");
  CUSTOS_RETURN_IF_ERROR(r.OnlyKnown({"listen", "maxConnections", "maxConnectionsPerClient", "maxHeaderBytes", "maxBodyBytes", "timeoutSeconds",
                                      "requestsPerSecond", "burst", "threads", "readTokens", "publicListings",
                                      "publicStatus", "tls"}));
  HttpConfig h;
  CUSTOS_ASSIGN_OR_RETURN(std::string listen, r.String("listen"));
  CUSTOS_ASSIGN_OR_RETURN(h.listen, ParseHostPort(listen, label + ": http.listen", /*allow_port_zero=*/true));
  CUSTOS_ASSIGN_OR_RETURN(h.max_connections, r.Whole("maxConnections", h.max_connections, 1, 65536));
  CUSTOS_ASSIGN_OR_RETURN(h.max_connections_per_client,
                          r.Whole("maxConnectionsPerClient", h.max_connections_per_client, 0, 65536));
  CUSTOS_ASSIGN_OR_RETURN(h.max_header_bytes, r.Whole("maxHeaderBytes", h.max_header_bytes, 1024, 1 << 20));
  CUSTOS_ASSIGN_OR_RETURN(h.max_body_bytes, r.Whole("maxBodyBytes", h.max_body_bytes, 0, 64 << 20));
  CUSTOS_ASSIGN_OR_RETURN(h.timeout_s, r.Whole("timeoutSeconds", h.timeout_s, 1, 3600));
  CUSTOS_ASSIGN_OR_RETURN(h.requests_per_second, r.Whole("requestsPerSecond", h.requests_per_second, 0, 1000000));
  CUSTOS_ASSIGN_OR_RETURN(h.burst, r.Whole("burst", h.burst, 1, 1000000));
  CUSTOS_ASSIGN_OR_RETURN(h.threads, r.Whole("threads", h.threads, 1, 64));
  for (auto [name, field] : {std::pair{"publicListings", &h.public_listings}, {"publicStatus", &h.public_status}}) {
    if (!r.Has(name)) continue;
    if (!r.Get(name).is_boolean()) return r.Error(name, "must be true or false");
    *field = r.Get(name).get<bool>();
  }
  if (r.Has("readTokens")) {
    const json& tokens = r.Get("readTokens");
    if (!tokens.is_array()) return r.Error("readTokens", "must be a list of {\"name\", \"sha256\"}");
    for (size_t i = 0; i < tokens.size(); ++i) {
      const std::string at = "readTokens[" + std::to_string(i) + "]";
      if (!tokens[i].is_object()) return r.Error(at, "must be a JSON object");
      ObjectReader t(tokens[i], label, "http." + at + ".");
      CUSTOS_RETURN_IF_ERROR(t.OnlyKnown({"name", "sha256"}));
      CUSTOS_ASSIGN_OR_RETURN(std::string name, t.String("name"));
      CUSTOS_ASSIGN_OR_RETURN(std::string hex, t.String("sha256"));
      auto bytes = HexDecode(hex);
      auto hash = bytes ? Hash::FromSpan(*bytes) : std::nullopt;
      if (!hash) return t.Error("sha256", "must be 64 hex digits (the SHA-256 of the token; custos key token prints it)");
      h.read_tokens.emplace_back(name, *hash);
    }
  }
  if (r.Has("tls")) {
    if (!r.Get("tls").is_object()) return r.Error("tls", "must be {\"certificate\": PEM file, \"key\": PEM file}");
    ObjectReader t(r.Get("tls"), label, "http.tls.");
    CUSTOS_RETURN_IF_ERROR(t.OnlyKnown({"certificate", "key"}));
    CUSTOS_ASSIGN_OR_RETURN(std::string certificate, t.String("certificate"));
    CUSTOS_ASSIGN_OR_RETURN(std::string key, t.String("key"));
    h.tls_certificate_file = Resolve(base_dir, certificate);
    h.tls_key_file = Resolve(base_dir, key);
  }
  return h;
}

Result<PublishConfig> ParsePublish(const ObjectReader& parent, const std::string& label, const std::string& base_dir) {
  const json& object = parent.Get("publish");
  if (!object.is_object()) return parent.Error("publish", "must be a JSON object");
  ObjectReader r(object, label, "publish.");
  CUSTOS_RETURN_IF_ERROR(r.OnlyKnown({"directory", "intervalMilliseconds"}));
  PublishConfig p;
  CUSTOS_ASSIGN_OR_RETURN(std::string directory, r.String("directory"));
  p.directory = Resolve(base_dir, directory);
  CUSTOS_ASSIGN_OR_RETURN(p.interval_ms, r.Whole("intervalMilliseconds", p.interval_ms, 10, 3600000));
  return p;
}

Result<TlogWitnessConfig> ParseTlogWitness(const ObjectReader& parent, const std::string& label) {
  const json& object = parent.Get("tlogWitness");
  if (!object.is_object()) return parent.Error("tlogWitness", "must be a JSON object");
  ObjectReader r(object, label, "tlogWitness.");
  CUSTOS_RETURN_IF_ERROR(r.OnlyKnown({"logs"}));
  if (!r.Has("logs") || !r.Get("logs").is_array() || r.Get("logs").empty()) {
    return r.Error("logs", "must be a non-empty list of {\"origin\", \"verifierKey\"}");
  }
  TlogWitnessConfig w;
  for (size_t i = 0; i < r.Get("logs").size(); ++i) {
    const json& entry = r.Get("logs")[i];
    const std::string at = "logs[" + std::to_string(i) + "]";
    if (!entry.is_object()) return r.Error(at, "must be a JSON object");
    ObjectReader e(entry, label, "tlogWitness." + at + ".");
    CUSTOS_RETURN_IF_ERROR(e.OnlyKnown({"origin", "verifierKey"}));
    CUSTOS_ASSIGN_OR_RETURN(std::string origin, e.String("origin"));
    CUSTOS_ASSIGN_OR_RETURN(std::string vkey, e.String("verifierKey"));
    auto key = NoteVerifier::Parse(vkey);
    if (!key.ok()) return e.Error("verifierKey", key.status().message());
    if (key->alg != kAlgEd25519) return e.Error("verifierKey", "must be a note signer key (algorithm 0x01)");
    for (const auto& [o, k] : w.logs) {
      if (o == origin) return e.Error("origin", "\"" + origin + "\" is listed twice");
    }
    w.logs.emplace_back(origin, *key);
  }
  return w;
}

Result<std::vector<OutsideWitness>> ParseOutsideWitnesses(const ObjectReader& r, const std::string& base_dir) {
  const json& list = r.Get("outsideWitnesses");
  if (!list.is_array()) return r.Error("outsideWitnesses", "must be a list of {\"url\", \"verifierKey\"}");
  std::vector<OutsideWitness> out;
  for (size_t i = 0; i < list.size(); ++i) {
    const std::string at = "outsideWitnesses[" + std::to_string(i) + "]";
    if (!list[i].is_object()) return r.Error(at, "must be a JSON object");
    ObjectReader e(list[i], r.label(), at + ".");
    CUSTOS_RETURN_IF_ERROR(e.OnlyKnown({"url", "verifierKey", "caFile"}));
    CUSTOS_ASSIGN_OR_RETURN(std::string url, e.String("url"));
    auto parsed = ParseHttpUrl(url);
    if (!parsed.ok()) return e.Error("url", parsed.status().message());
    CUSTOS_ASSIGN_OR_RETURN(std::string ca_file, e.String("caFile", ""));
    if (!ca_file.empty() && !parsed->tls) return e.Error("caFile", "only for an https:// witness");
    CUSTOS_ASSIGN_OR_RETURN(std::string vkey, e.String("verifierKey"));
    auto key = NoteVerifier::Parse(vkey);
    if (!key.ok()) return e.Error("verifierKey", key.status().message());
    if (key->alg != kAlgCosignatureV1) {
      return e.Error("verifierKey", "must be a cosignature/v1 witness key (algorithm 0x04; custos key show --witness)");
    }
    out.push_back(OutsideWitness{url, *key, ca_file.empty() ? "" : Resolve(base_dir, ca_file)});
  }
  return out;
}

Status CheckLevel(const std::string& level, const ObjectReader& r) {
  for (auto l : kLogLevels) {
    if (level == l) return Status::OK();
  }
  return r.Error("logLevel", "\"" + level + "\" is not one of trace, debug, info, warn, error");
}
}  // namespace

Result<DataDirInfo> ParseDataDirInfo(std::string_view text, std::string_view label_view, const std::string& dir) {
  std::string label(label_view);
  CUSTOS_ASSIGN_OR_RETURN(json j, trust::ParseJsonObject(text, label));
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
  CUSTOS_ASSIGN_OR_RETURN(json j, trust::ParseJsonObject(text, label));
  ObjectReader r(j, label, "");
  CUSTOS_RETURN_IF_ERROR(r.OnlyKnown({"dataDir", "nodeKeyFile", "sm2KeyFile", "listen", "federationFile", "logLevel", "backupDirectory",
                                      "maxUnauthenticated", "handshakeTimeoutSeconds", "idleTimeoutSeconds", "http",
                                      "publish", "tlogWitness", "outsideWitnesses", "readers", "timestamping"}));
  NodeConfig c;
  CUSTOS_ASSIGN_OR_RETURN(std::string data_dir, r.String("dataDir"));
  c.data_dir = Resolve(base_dir, data_dir);
  CUSTOS_ASSIGN_OR_RETURN(std::string key_file, r.String("nodeKeyFile", std::string()));
  if (!key_file.empty()) c.node_key_file = Resolve(base_dir, key_file);
  CUSTOS_ASSIGN_OR_RETURN(std::string sm2_file, r.String("sm2KeyFile", std::string()));
  if (!sm2_file.empty()) c.sm2_key_file = Resolve(base_dir, sm2_file);
  CUSTOS_ASSIGN_OR_RETURN(std::string listen, r.String("listen"));
  CUSTOS_ASSIGN_OR_RETURN(c.listen, ParseHostPort(listen, label + ": listen", /*allow_port_zero=*/true));
  CUSTOS_ASSIGN_OR_RETURN(std::string fed_file, r.String("federationFile"));
  c.federation_file = Resolve(base_dir, fed_file);
  CUSTOS_ASSIGN_OR_RETURN(c.log_level, r.String("logLevel", std::string("info")));
  CUSTOS_RETURN_IF_ERROR(CheckLevel(c.log_level, r));
  CUSTOS_ASSIGN_OR_RETURN(std::string backup_dir, r.String("backupDirectory", std::string()));
  c.backup_dir = backup_dir.empty() ? c.data_dir + "/backups" : Resolve(base_dir, backup_dir);
  CUSTOS_ASSIGN_OR_RETURN(c.limits, ParseLimits(r));
  if (r.Has("http")) {
    CUSTOS_ASSIGN_OR_RETURN(c.http, ParseHttp(r, label, base_dir));
  }
  if (r.Has("publish")) {
    CUSTOS_ASSIGN_OR_RETURN(c.publish, ParsePublish(r, label, base_dir));
  }
  if (r.Has("tlogWitness")) {
    if (!c.http) return r.Error("tlogWitness", "needs \"http\": witnesses are asked over HTTP");
    CUSTOS_ASSIGN_OR_RETURN(c.tlog_witness, ParseTlogWitness(r, label));
  }
  if (r.Has("outsideWitnesses")) {
    CUSTOS_ASSIGN_OR_RETURN(c.outside_witnesses, ParseOutsideWitnesses(r, base_dir));
  }
  if (r.Has("timestamping")) {
    const json& object = r.Get("timestamping");
    if (!object.is_object()) return r.Error("timestamping", "must be a JSON object");
    ObjectReader t(object, label, "timestamping.");
    CUSTOS_RETURN_IF_ERROR(t.OnlyKnown({"url", "tsa", "caFile", "intervalMilliseconds"}));
    TimestampingConfig ts;
    CUSTOS_ASSIGN_OR_RETURN(ts.url, t.String("url"));
    auto parsed = ParseHttpUrl(ts.url);
    if (!parsed.ok()) return t.Error("url", parsed.status().message());
    CUSTOS_ASSIGN_OR_RETURN(ts.tsa, t.String("tsa"));
    CUSTOS_ASSIGN_OR_RETURN(std::string ca_file, t.String("caFile", ""));
    if (!ca_file.empty() && !parsed->tls) return t.Error("caFile", "only for an https:// TSA");
    if (!ca_file.empty()) ts.ca_file = Resolve(base_dir, ca_file);
    CUSTOS_ASSIGN_OR_RETURN(ts.interval_ms, t.Whole("intervalMilliseconds", ts.interval_ms, 100, 86400000));
    c.timestamping = ts;
  }
  if (r.Has("readers")) {
    const json& list = r.Get("readers");
    if (!list.is_array()) return r.Error("readers", "must be a list of verifier keys (custos key show)");
    for (size_t i = 0; i < list.size(); ++i) {
      const std::string at = "readers[" + std::to_string(i) + "]";
      auto key = list[i].is_string() ? NoteVerifier::Parse(list[i].get<std::string>())
                                     : Result<NoteVerifier>(Status::InvalidArgument("must be a string"));
      if (!key.ok()) return r.Error(at, key.status().message());
      if (key->alg != kAlgEd25519) return r.Error(at, "must be a key as custos key show prints it (algorithm 0x01)");
      c.readers.push_back(*key);
    }
  }
  return c;
}

const TimestampVerifier* FindTsa(const FederationConfig& federation, std::string_view name) {
  for (const auto& tsa : federation.tsas) {
    if (tsa.name == name) return &tsa;
  }
  return nullptr;
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
  if (c.timestamping && FindTsa(c.federation, c.timestamping->tsa) == nullptr) {
    return Status::InvalidArgument("config " + path + ": timestamping.tsa: \"" + c.timestamping->tsa +
                                   "\" is not in the federation file's timestampAuthorities (its certificate is " +
                                   "what every verifier checks the tokens against)");
  }
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

Result<std::optional<Sm2Key>> LoadSm2Key(const NodeConfig& config) {
  if (config.sm2_key_file.empty()) return std::optional<Sm2Key>();
  auto pem = ReadSecretFile(config.sm2_key_file);
  if (!pem.ok()) return pem.status().WithContext("sm2KeyFile");
  auto key = Sm2Key::FromPem(*pem);
  if (!key.ok()) return key.status().WithContext("sm2KeyFile " + config.sm2_key_file);
  if (const PeerConfig* self = config.federation.FindPeer(config.origin); self != nullptr && self->sm2_key) {
    if (self->sm2_key->public_key != key->PublicKey()) {
      return Status::InvalidArgument("federation " + config.federation_file + ": the entry for this node (\"" +
                                     config.origin + "\") has another sm2Key than sm2KeyFile " + config.sm2_key_file);
    }
  }
  return std::optional<Sm2Key>(std::move(key).value());
}

}  // namespace custos::node
