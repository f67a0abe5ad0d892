# A Custos evidence bundle (docs/evidence-bundle.md): everything a court needs
# to check, offline, that a file is the one an officer registered and who has
# held it since. Serialised in Cap'n Proto canonical form (as the records,
# schema/custos.capnp), so equal bundles have equal bytes.
#
# Schema evolution: fields are only ever added. `version` says which rules a
# verifier must apply; a verifier refuses a version it does not know.

@0xd1c9a3f4e27b5a61;

using Cxx = import "/capnp/c++.capnp";
using Custos = import "custos.capnp";
$Cxx.namespace("custos::schema");

# One entry of a log with its RFC 9162 inclusion proof to the checkpoint of
# its log in the bundle. The entry names its own index (LogEntry.index).
struct ProvedEntry {
  entry @0 :Data;                 # canonical LogEntry bytes
  proof @1 :List(Data);           # 32-byte hashes, leaf to root
}

# One log the bundle draws on.
struct BundleLog {
  origin @0 :Text;
  # The C2SP signed note of one checkpoint of this log: the origin's
  # signature and the cosignature/v1 lines the node held for it. Every entry
  # of this log in the bundle is proved against it.
  checkpoint @1 :Text;
  # The log's genesis and every log-administration entry (key grant, key
  # revoke) up to the checkpoint that bears on a key the bundle relies on
  # (an author of an entry of this log in the bundle), in index order: what
  # the verifier replays to decide authority.
  authority @2 :List(ProvedEntry);
  # Completeness (version 2; version 3 hashes the maps compactly): the
  # custody map proof (CompactMapProof encoding, docs/listings-map.md) of the bundle's evidence id against this
  # checkpoint's "custody" root. The chain's steps in this log must be that
  # evidence's whole history there.
  custodyProof @3 :Data;
  # The authority map proof of every key the bundle relies on in this log,
  # against the checkpoint's "authority" root: the authority entries above
  # must be each key's whole history there.
  keyProofs @4 :List(KeyProof);
}

struct KeyProof {
  key @0 :Data;                   # the 32-byte Ed25519 public key
  proof @1 :Data;                 # CompactMapProof encoding for listings::AuthorityKey(key)
}

# One step of the custody chain: an entry of the log named `origin`.
struct CustodyStep {
  origin @0 :Text;
  entry @1 :ProvedEntry;
}

struct EvidenceBundle {
  version @0 :UInt32;             # 2
  algorithm @1 :Custos.DigestAlgorithm;
  digest @2 :Data;                # the content digest asked for (32 bytes)
  madeAt @3 :Int64;               # the node's clock when it made the bundle, ms
  madeBy @4 :Text;                # the origin of the node that made it
  logs @5 :List(BundleLog);
  # The registration first, then every custody entry about the evidence in
  # the order custody moved: transfers, receipts, examinations, disposal.
  chain @6 :List(CustodyStep);
  # Version 2: the evidence id every chain entry names (ids are unique within
  # a log; a receipt names the id of the transfer it receives).
  evidenceId @7 :Text;
}
