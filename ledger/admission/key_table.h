// The key table of one stored log: which key holds which role since when
// (ledger/admission/authority.h), as its 'k' records keep it (docs/leveldb-layout.md).
// The log's writer works on a copy (an Authority per batch) and commits it
// after the batch is written; readers on any thread see the committed table.
#pragma once

#include <map>
#include <vector>
#include <memory>
#include <mutex>
#include <optional>

#include "crypto/ed25519.h"
#include "crypto/status.h"
#include "ledger/admission/authority.h"
#include "ledger/storage/store.h"
#include "schema/custos.capnp.h"

namespace custos {

class KeyTable final {
 public:
  // Reads the 'k' records of `log`, which Load or SetIdentity set up (the
  // node key comes from its genesis). Corruption for a malformed record.
  Status Load(const StoredLog& log);
  // The 'k' records of `log` as they are stored. Corruption for a malformed record.
  static Result<std::map<PublicKey, KeyState>> Read(const StoredLog& log);
  // An empty table, for a log with no entries yet.
  void Clear();

  // The writer's table as of the last commit. Serialised with the writer.
  const Authority& authority() const { return authority_; }
  // Applies `statement` (entry of `log`) to `authority` and puts the key
  // states it changed into `writes`; the keys go into `changed` too, if given.
  static void Apply(Authority& authority, schema::Statement::Reader statement, layout::LogNumber log,
                    leveldb::WriteBatch& writes, std::vector<PublicKey>* changed = nullptr);
  // Makes `after` (the table after a written batch) the committed table.
  void Commit(Authority after);

  // The key's state in the committed table; nullopt if never granted.
  // Thread-safe.
  std::optional<KeyState> KeyStateOf(const PublicKey& key) const;

 private:
  void Publish();

  Authority authority_;
  mutable std::mutex mu_;
  std::shared_ptr<const std::map<PublicKey, KeyState>> committed_;  // guarded by mu_
};

}  // namespace custos
