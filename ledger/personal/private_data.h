// Personal data of dishonesty listings (docs/personal-data.md).
//
// A listing of a person names nobody in the log: its signed statement holds
// only privateDigest = SHA-256(salt || payload), where `payload` is the
// canonical text below (the person's resident id and name) and `salt` 32
// random bytes. The salt and the payload are kept beside the log, in the
// 'p' records of the store (ledger/storage/layout.h), and reach the peers over the
// authenticated RPC. When the listing ends — a delisting of it, or its
// publication end passing — every node deletes both and compacts them out of
// its LevelDB files: publication stops, and every entry and proof still
// verifies, since the log only ever held the digest.
//
// Canonical payload (UTF-8, each line ends with "\n", nothing else):
//
//   custos/private-payload/v1
//   kind residentId
//   id <GB 11643 resident id, 18 characters>
//   name <the person's name, 1-256 bytes, no control characters>
//
// Thread-safety: the free functions are pure, or use only the thread-safe
// Store; none keeps state.
#pragma once

#include <leveldb/write_batch.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/bytes.h"
#include "crypto/status.h"
#include "ledger/storage/layout.h"
#include "schema/custos.capnp.h"

namespace custos {
class Store;
}  // namespace custos

namespace custos::personal {

inline constexpr size_t kSaltBytes = 32;
inline constexpr size_t kMaxNameBytes = 256;
inline constexpr char kPayloadHeader[] = "custos/private-payload/v1";

// What the payload says about the person.
struct Person {
  std::string resident_id;
  std::string name;
  bool operator==(const Person&) const = default;
};

// The canonical payload bytes of `person` (not checked: see ParsePayload).
std::string CanonicalPayload(const Person& person);
// Parses canonical payload bytes. InvalidArgument naming the field
// ("private.payload.id: … bad check character", "private.payload: not
// canonical …") unless they are exactly CanonicalPayload of a person whose
// resident id passes GB 11643 at `at_ms` (ledger::ValidateResidentId: born by
// then) and whose name is 1-256 bytes of text.
Result<Person> ParsePayload(std::string_view payload, int64_t at_ms);

// SHA-256(salt || payload).
Hash PrivateDigest(ByteSpan salt, std::string_view payload);

// A private payload with its salt: what a submission carries, what the
// store keeps and what a peer is sent.
struct Attachment {
  Bytes salt;
  std::string payload;
  bool operator==(const Attachment&) const = default;
};

// A fresh attachment for `person`: a random salt (libsodium randombytes).
Attachment NewAttachment(const Person& person);

// The stored record: version 1 (u8) | salt (32) | payload.
std::string EncodeRecord(const Attachment& a);
std::optional<Attachment> DecodeRecord(std::string_view bytes);

// The privateDigest of a listing of a person; nullopt for any other
// statement (a listing of an organisation has no private payload).
std::optional<Hash> ListedDigest(schema::Statement::Reader statement);

// The same for canonical LogEntry bytes; nullopt also for bytes that do
// not parse (the entry is checked elsewhere).
std::optional<Hash> EntryListedDigest(ByteSpan entry);

// The refusal of a listing of a person submitted without its payload:
// InvalidArgument "private: a listing of a person needs its private payload …"
// (docs/personal-data.md), as the own log's append and the command line say it.
Status MissingPayloadError();

// Checks that `a` belongs to `statement`: the statement lists a person, the
// payload is canonical with a resident id valid at the statement's time (so
// every node decides alike, whenever it checks), the salt is 32 bytes, and
// SHA-256(salt || payload) is the statement's privateDigest. InvalidArgument
// naming the field otherwise ("private: … not a listing of a person",
// "private.salt: …", "body.subjectListed.privateDigest: is not SHA-256(salt
// || payload) …").
Status CheckAttachment(schema::Statement::Reader statement, const Attachment& a);

// The index of the listing of log `origin` that `statement` delists; nullopt
// if it is not a delisting of a listing of that log.
std::optional<uint64_t> DelistedIndex(schema::Statement::Reader statement, std::string_view origin);

// --- Storage (the 'p' records of ledger/storage/layout.h).

// Puts the payload of the person listing at entry `index` of `log`.
void PutPayload(leveldb::WriteBatch& batch, layout::LogNumber log, uint64_t index, const Attachment& a);
// Deletes it (a no-op in LevelDB when there is none).
void DeletePayload(leveldb::WriteBatch& batch, layout::LogNumber log, uint64_t index);
// The stored payload of entry `index` of `log`; nullopt if none is held (it
// was deleted, never received, or the entry is no person listing). IOError
// if the read fails; Corruption if the record is malformed.
Result<std::optional<Attachment>> ReadPayload(const Store& store, layout::LogNumber log, uint64_t index);

// Deletes the payloads of every listing, of every log the store holds,
// whose publication ended at or before `now` (ms since the epoch), in one
// synced write, then compacts them away. Returns how many were deleted;
// IOError if reading or writing fails, Corruption for a malformed record.
Result<size_t> SweepExpired(Store& store, int64_t now);

}  // namespace custos::personal
