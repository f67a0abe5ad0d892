// Who may append what (docs/authority.md).
//
// Every statement family needs a role: log administration (key grant, key
// revoke) needs `admin`; evidence custody needs `evidence`; cases, referrals
// and clues need `case`; dishonesty listings need `listing`. The genesis entry
// (index 0 only) is signed by the node key it names and makes its admin keys
// admins with no time limit. A key grant replaces the key's roles and validity
// window; a key revoke ends the key for good until it is granted again.
// Decisions are made at the entry's logTime, so a verifier replaying the log
// reaches exactly the decisions the node made.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "crypto/ed25519.h"
#include "crypto/status.h"
#include "schema/custos.capnp.h"

namespace custos {

// Bit i is set when the key holds schema::Role value i.
using RoleSet = uint8_t;
inline RoleSet RoleBit(schema::Role role) { return static_cast<RoleSet>(1u << static_cast<unsigned>(role)); }

struct KeyState {
  RoleSet roles = 0;
  int64_t valid_from = 0;
  int64_t valid_until = 0;  // 0: no end
  bool revoked = false;

  // Fixed 26-byte encoding stored under the authority key (docs/leveldb-layout.md).
  std::string Encode() const;
  static std::optional<KeyState> Decode(std::string_view bytes);
  bool operator==(const KeyState&) const = default;
};

// The role a statement's family needs; nullopt for genesis (node key only).
std::optional<schema::Role> RequiredRole(schema::Statement::Body::Which kind);
const char* RoleName(schema::Role role);

// The key table of one log. Not thread-safe; the log's writer owns it.
class Authority {
 public:
  // Unauthorized with the reason when `author` may not append `statement` as
  // entry `index` at `log_time`. `origin` is the log's origin; the log's
  // genesis is checked against it.
  Status Check(const PublicKey& author, schema::Statement::Reader statement, uint64_t index,
               int64_t log_time, std::string_view origin) const;

  // Applies the statement's effect on the key table (genesis, grant, revoke;
  // nothing for other kinds). Calls `changed(key, state)` for each key that changed.
  template <typename F>
  void Apply(schema::Statement::Reader statement, F&& changed);

  void Set(const PublicKey& key, const KeyState& state) { keys_[key] = state; }
  const std::map<PublicKey, KeyState>& keys() const { return keys_; }
  const std::optional<PublicKey>& node_key() const { return node_key_; }
  void set_node_key(const PublicKey& key) { node_key_ = key; }

 private:
  Status CheckGenesis(const PublicKey& author, schema::Genesis::Reader genesis, uint64_t index,
                      std::string_view statement_origin, std::string_view origin) const;
  std::map<PublicKey, KeyState> keys_;
  std::optional<PublicKey> node_key_;
};

template <typename F>
void Authority::Apply(schema::Statement::Reader statement, F&& changed) {
  auto body = statement.getBody();
  auto set = [&](ByteSpan key_bytes, const KeyState& state) {
    auto key = PublicKey::FromSpan(key_bytes);
    if (!key) return;  // ValidateStatement refuses wrong lengths before this point
    keys_[*key] = state;
    changed(*key, state);
  };
  auto span = [](capnp::Data::Reader d) { return ByteSpan(d.begin(), d.size()); };
  switch (body.which()) {
    case schema::Statement::Body::GENESIS: {
      auto g = body.getGenesis();
      if (auto nk = PublicKey::FromSpan(span(g.getNodeKey()))) node_key_ = *nk;
      for (auto admin : g.getAdminKeys()) set(span(admin), KeyState{RoleBit(schema::Role::ADMIN), 0, 0, false});
      break;
    }
    case schema::Statement::Body::KEY_GRANT: {
      auto g = body.getKeyGrant();
      KeyState state{0, g.getValidFrom(), g.getValidUntil(), false};
      for (auto role : g.getRoles()) state.roles |= RoleBit(role);
      set(span(g.getKey()), state);
      break;
    }
    case schema::Statement::Body::KEY_REVOKE: {
      auto r = body.getKeyRevoke();
      auto key = PublicKey::FromSpan(span(r.getKey()));
      if (!key) break;
      KeyState state = keys_.count(*key) ? keys_.at(*key) : KeyState{};
      state.revoked = true;
      set(span(r.getKey()), state);
      break;
    }
    default:
      break;
  }
}

}  // namespace custos
