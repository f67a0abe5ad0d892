// custosd's configuration: the node's config file, the data directory it
// names, and the federation file it reads (parsed by trust/federation_config.h;
// docs/node.md, examples/node/).
//
// Every parser here is strict: an unknown field, a missing one or a value of
// the wrong form is refused with InvalidArgument whose message starts with the
// file and names the field, e.g.
//   "config node.json: listen: \"localhost\" is not HOST:PORT".
// Parsing functions take the text and touch no file; the Load* functions read
// the files (the file-system seam is the split between the two).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "crypto/keyfile.h"
#include "crypto/sm2.h"
#include "crypto/note.h"
#include "crypto/status.h"
#include "trust/federation_config.h"
#include "trust/host_port.h"

namespace custos::node {

// The federation file and the address form belong to trust/, which every
// client reads them with; the node names them as its own.
using trust::FederationConfig;
using trust::HostPort;
using trust::ParseFederation;
using trust::ParseHostPort;
using trust::PeerConfig;
using trust::WitnessPolicy;

// What a data directory made by `custos log init` says about itself
// (DIR/custos.json; docs/cli.md): the log's origin and its node key file.
struct DataDirInfo {
  std::string origin;
  std::string node_key_file;  // relative ones resolved against the directory
};
// Parses DIR/custos.json's text; a relative nodeKeyFile names a file of
// `dir`, the data directory (not of the working directory: the file belongs
// to the directory, which may be moved or used from anywhere).
Result<DataDirInfo> ParseDataDirInfo(std::string_view json, std::string_view label, const std::string& dir);
// Reads and parses DIR/custos.json. NotFound if there is none; InvalidArgument
// naming the file and the field if it is malformed; IOError.
Result<DataDirInfo> LoadDataDirInfo(const std::string& dir);
// Writes DIR/custos.json (format 1) for `info`, replacing any.
Status SaveDataDirInfo(const std::string& dir, const DataDirInfo& info);

// How many connections the node takes before they authenticate, for how
// long, and how long an authenticated one may stay silent (docs/node.md,
// "Connection limits"; node/listener.h applies them).
inline constexpr uint32_t kDefaultMaxUnauthenticated = 256;
inline constexpr uint32_t kDefaultHandshakeTimeoutSeconds = 10;
inline constexpr uint32_t kDefaultIdleTimeoutSeconds = 300;
struct ConnectionLimits {
  uint32_t max_unauthenticated = kDefaultMaxUnauthenticated;  // "maxUnauthenticated", 1..65536
  uint32_t handshake_timeout_s = kDefaultHandshakeTimeoutSeconds;  // "handshakeTimeoutSeconds", 1..600
  uint32_t idle_timeout_s = kDefaultIdleTimeoutSeconds;  // "idleTimeoutSeconds", 0 (never)..86400
};

// The HTTP read plane (node/http_server.h; docs/http-api.md): where it
// listens and what it allows one client. Present iff the config has "http".
struct HttpConfig {
  HostPort listen;                      // "listen", HOST:PORT (port 0: any free port)
  uint32_t max_connections = 512;       // "maxConnections", 1..65536: open at once; more get 503
  // "maxConnectionsPerClient", 0 (no cap)..65536: open at once from one
  // client address (behind a proxy every client has the proxy's); more get 503.
  uint32_t max_connections_per_client = 128;
  uint32_t max_header_bytes = 16384;    // "maxHeaderBytes", 1024..1048576: request line and headers; more: 431
  uint32_t max_body_bytes = 1 << 20;    // "maxBodyBytes", 0..67108864: a request's body; more: 413
  uint32_t timeout_s = 30;              // "timeoutSeconds", 1..3600: to read a request, or write a response
  uint32_t requests_per_second = 100;   // "requestsPerSecond", 0 (no limit)..1000000: per client address; more: 429
  uint32_t burst = 200;                 // "burst", 1..1000000: requests a quiet client may send at once
  uint32_t threads = 1;                 // "threads", 1..64: threads serving requests
  // "readTokens": [{"name", "sha256"}]: the SHA-256 (hex) of each read token
  // a client may present as "Authorization: Bearer <token>" (custos key token).
  std::vector<std::pair<std::string, Hash>> read_tokens;
  bool public_listings = true;          // "publicListings": listing checks without a token
  bool public_status = true;            // "publicStatus": the status page at / without a token
  // "tls": {"certificate", "key"}: PEM files (relative to the config file's
  // directory); when set the listener speaks only HTTPS (TLS 1.2 and 1.3).
  std::string tls_certificate_file;     // "" : plain HTTP
  std::string tls_key_file;
};

// Static publishing (node/tile_publisher.h; docs/http-api.md): every log as
// tlog-tiles files under a directory. Present iff the config has "publish".
struct PublishConfig {
  std::string directory;              // "directory", relative to the config file's directory
  uint32_t interval_ms = 1000;        // "intervalMilliseconds", 10..3600000: between passes
};

// Logs outside the federation that the node witnesses (C2SP tlog-witness,
// node/tlog_witness.h). Present iff the config has "tlogWitness".
struct TlogWitnessConfig {
  std::vector<std::pair<std::string, NoteVerifier>> logs;  // "logs": [{"origin", "verifierKey"}]
};

// A witness outside the federation that the node asks to cosign its own
// log's checkpoints (node/witness_asker.h).
struct OutsideWitness {
  std::string url;        // "http://host[:port][/prefix]" or "https://…"; it answers <url>/add-checkpoint
  NoteVerifier verifier;  // its cosignature/v1 key (alg 0x04)
  // "caFile": PEM certificates an https:// witness's certificate must chain
  // to (relative to the config file); "" : the system's trusted CAs.
  std::string ca_file;
};

// "timestamping": the node asks an RFC 3161 time-stamping authority for a
// token on its own log's latest checkpoint (docs/timestamps.md).
struct TimestampingConfig {
  std::string url;        // "url": where to POST application/timestamp-query
  std::string tsa;        // "tsa": its name in the federation file's timestampAuthorities
  std::string ca_file;    // "caFile": for an https:// TSA, as for outside witnesses
  uint32_t interval_ms = 60000;  // "intervalMilliseconds": at most one request this often
};

// Log levels, lowest first; the config's "logLevel" is one of these.
inline constexpr std::string_view kLogLevels[] = {"trace", "debug", "info", "warn", "error"};

struct NodeConfig {
  std::string config_file;
  std::string data_dir;         // holds custos.json and ledger/
  std::string node_key_file;    // "nodeKeyFile", or the one DIR/custos.json names
  std::string sm2_key_file;     // "sm2KeyFile": an SM2 PEM key; empty: no SM2 line (docs/sm2.md)
  std::string origin;           // from DIR/custos.json
  HostPort listen;              // port 0: any free port
  std::string federation_file;
  std::string log_level = "info";
  // "backupDirectory": where `custos node backup` writes (default
  // DATA_DIR/backups); verifyStore's scratch copy goes there too.
  std::string backup_dir;
  ConnectionLimits limits;
  std::optional<HttpConfig> http;  // "http": the read plane; none without it
  std::optional<PublishConfig> publish;  // "publish": tiles as files; none without it
  std::optional<TlogWitnessConfig> tlog_witness;
  std::vector<OutsideWitness> outside_witnesses;  // "outsideWitnesses": [{"url", "verifierKey"}]
  std::optional<TimestampingConfig> timestamping;
  // "readers": verifier keys ("name+id+key", custos key show) that may
  // connect over RPC and read, never write (node/access.h). Reloaded on SIGHUP.
  std::vector<NoteVerifier> readers;  // "tlogWitness": POST /add-checkpoint
  FederationConfig federation;

  std::string ledger_path() const { return data_dir + "/ledger"; }
};

// The TSA of the federation file named `name`; nullptr if it lists none by that name.
const TimestampVerifier* FindTsa(const FederationConfig& federation, std::string_view name);

// The config file's own fields, before the files it names are read.
// Relative paths are resolved against `base_dir` (the config file's
// directory). Fields: dataDir, listen, federationFile (required);
// nodeKeyFile, logLevel, backupDirectory, maxUnauthenticated, handshakeTimeoutSeconds,
// idleTimeoutSeconds (optional; ConnectionLimits gives their ranges), http
// (optional; an object with the fields of HttpConfig, "listen" required),
// publish (optional; PublishConfig's fields, "directory" required),
// tlogWitness (optional; {"logs": [{"origin", "verifierKey"}]}, which needs http).
Result<NodeConfig> ParseNodeConfig(std::string_view json, std::string_view label, const std::string& base_dir);

// Reads the config file, then DIR/custos.json and the federation file, and
// checks that they agree: the data directory holds a log (ledger/ exists),
// and a federation peer with this node's origin, if listed, has the node's
// key (checked by LoadNodeKey, which needs the key). NotFound / IOError /
// InvalidArgument naming the file and the field.
Result<NodeConfig> LoadNodeConfig(const std::string& path);

// Reads the node key file and checks it against the config: its name is the
// origin, and a federation entry for this origin carries this key.
Result<NamedKey> LoadNodeKey(const NodeConfig& config);

// The SM2 key of sm2KeyFile (nullopt when none is configured): a PEM SM2
// key, mode 0600, whose public key is the federation's sm2Key for this node
// if the file lists one. Errors name sm2KeyFile.
Result<std::optional<Sm2Key>> LoadSm2Key(const NodeConfig& config);

}  // namespace custos::node
