# The answer to "is this subject listed?" (docs/listings-map.md, "Listing
# checks"): for each log, what a client needs to decide it offline against a
# cosigned checkpoint. Sent as the result of the RPC listingCheck and kept by
# a client as evidence of what it was told, in Cap'n Proto canonical form
# (`custos listing check --save FILE`); `capnp decode --flat --short
# schema/listing.capnp ListingAnswer < FILE` renders it as text.
#
# Schema evolution: fields are only ever added. `version` says which rules a
# verifier must apply; a verifier refuses a version it does not know.

@0xd478968bf21bb048;

using Cxx = import "/capnp/c++.capnp";
using Bundle = import "bundle.capnp";
$Cxx.namespace("custos::schema");

# The proof that a subject's key maps to `value` (or to nothing) in a
# listings map of 2^256 leaves (docs/listings-map.md, "Proofs").
struct MapProof {
  key @0 :Data;                   # the subject key, 32 bytes
  value @1 :Data;                 # the listing state digest, 32 bytes; empty: not listed
  bitmap @2 :Data;                # 32 bytes, big-endian: bit h set iff the sibling at height h is not empty
  siblings @3 :List(Data);        # the non-empty siblings, 32 bytes each, lowest height first
}

# One log's part of an answer.
struct LogListingAnswer {
  origin @0 :Text;
  checkpoint @1 :Text;            # C2SP signed note, the cosignatures the node holds included
  mapProof @2 :MapProof;          # against the checkpoint's "listings" root
  # The subject's live listing entries (those the map value covers), in
  # index order, each with its inclusion proof to the checkpoint.
  listings @3 :List(Bundle.ProvedEntry);
}

struct ListingAnswer {
  version @0 :UInt32;             # 1
  kind @1 :Text;                  # "org" | "person"
  id @2 :Text;                    # the subject in canonical form
  logs @3 :List(LogListingAnswer);
}
