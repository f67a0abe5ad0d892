#include "ledger/admission/key_table.h"

namespace custos {

Result<std::map<PublicKey, KeyState>> KeyTable::Read(const StoredLog& log) {
  std::map<PublicKey, KeyState> keys;
  CUSTOS_RETURN_IF_ERROR(log.ForEachRecord(layout::kKeyPrefix, [&](std::string_view key, std::string_view value) {
    auto pub = PublicKey::FromSpan(AsBytes(key));
    auto state = KeyState::Decode(value);
    if (!pub || !state) return Status::Corruption("key table: malformed record");
    keys[*pub] = *state;
    return Status::OK();
  }));
  return keys;
}

Status KeyTable::Load(const StoredLog& log) {
  CUSTOS_ASSIGN_OR_RETURN(auto keys, Read(log));
  Authority table;
  table.set_node_key(log.node_key());
  for (const auto& [key, state] : keys) table.Set(key, state);
  authority_ = std::move(table);
  Publish();
  return Status::OK();
}

void KeyTable::Clear() {
  authority_ = Authority();
  Publish();
}

void KeyTable::Apply(Authority& authority, schema::Statement::Reader statement, layout::LogNumber log,
                     leveldb::WriteBatch& writes, std::vector<PublicKey>* changed) {
  authority.Apply(statement, [&](const PublicKey& key, const KeyState& state) {
    writes.Put(layout::KeyStateKey(log, key), state.Encode());
    if (changed != nullptr) changed->push_back(key);
  });
}

void KeyTable::Commit(Authority after) {
  authority_ = std::move(after);
  Publish();
}

void KeyTable::Publish() {
  auto keys = std::make_shared<const std::map<PublicKey, KeyState>>(authority_.keys());
  std::lock_guard<std::mutex> lock(mu_);
  committed_ = std::move(keys);
}

std::optional<KeyState> KeyTable::KeyStateOf(const PublicKey& key) const {
  std::shared_ptr<const std::map<PublicKey, KeyState>> keys;
  {
    std::lock_guard<std::mutex> lock(mu_);
    keys = committed_;
  }
  if (!keys) return std::nullopt;
  auto it = keys->find(key);
  if (it == keys->end()) return std::nullopt;
  return it->second;
}

}  // namespace custos
