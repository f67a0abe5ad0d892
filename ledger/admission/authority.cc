#include "ledger/admission/authority.h"

#include "crypto/binary.h"

namespace custos {

namespace {
using Which = schema::Statement::Body::Which;

constexpr uint8_t kKeyStateEncoding = 1;

std::string ShortKey(const PublicKey& key) { return HexEncode(key.span()).substr(0, 16) + "…"; }

std::string Millis(int64_t ms) { return std::to_string(ms) + " ms"; }
}  // namespace

// revoked is a u64 (0 or 1; any non-zero value reads as revoked).
std::string KeyState::Encode() const {
  return EncodeFields(kKeyStateEncoding, roles, valid_from, valid_until, uint64_t{revoked});
}

std::optional<KeyState> KeyState::Decode(std::string_view bytes) {
  KeyState s;
  uint8_t encoding = 0;
  uint64_t revoked = 0;
  if (!DecodeFields(bytes, encoding, s.roles, s.valid_from, s.valid_until, revoked) || encoding != kKeyStateEncoding) {
    return std::nullopt;
  }
  s.revoked = revoked != 0;
  return s;
}

std::optional<schema::Role> RequiredRole(Which kind) {
  switch (kind) {
    case Which::GENESIS:
      return std::nullopt;
    case Which::KEY_GRANT:
    case Which::KEY_REVOKE:
      return schema::Role::ADMIN;
    case Which::EVIDENCE_REGISTERED:
    case Which::CUSTODY_TRANSFERRED:
    case Which::CUSTODY_RECEIVED:
    case Which::EVIDENCE_EXAMINED:
    case Which::EVIDENCE_DISPOSED:
      return schema::Role::EVIDENCE;
    case Which::CASE_OPENED:
    case Which::CASE_REFERRED:
    case Which::REFERRAL_ANSWERED:
    case Which::CASE_DECIDED:
    case Which::CASE_CLOSED:
    case Which::CLUE_SHARED:
      return schema::Role::CASE;
    case Which::SUBJECT_LISTED:
    case Which::SUBJECT_DELISTED:
      return schema::Role::LISTING;
  }
  return schema::Role::ADMIN;  // an unknown kind needs the strongest role
}

const char* RoleName(schema::Role role) {
  switch (role) {
    case schema::Role::ADMIN: return "admin";
    case schema::Role::EVIDENCE: return "evidence";
    case schema::Role::CASE: return "case";
    case schema::Role::LISTING: return "listing";
  }
  return "unknown";
}

Status Authority::CheckGenesis(const PublicKey& author, schema::Genesis::Reader genesis, uint64_t index,
                               std::string_view statement_origin, std::string_view origin) const {
  if (index != 0) return Status::Unauthorized("genesis: only entry 0 can be a genesis");
  std::string_view g_origin(genesis.getOrigin().cStr(), genesis.getOrigin().size());
  if (g_origin != origin || statement_origin != origin) {
    return Status::Unauthorized("body.genesis.origin: \"" + std::string(g_origin) +
                                "\" is not this log's origin \"" + std::string(origin) + "\"");
  }
  auto nk = genesis.getNodeKey();
  auto node_key = PublicKey::FromSpan(ByteSpan(nk.begin(), nk.size()));
  if (!node_key || *node_key != author) {
    return Status::Unauthorized("genesis: must be signed by the node key it names");
  }
  return Status::OK();
}

Status Authority::Check(const PublicKey& author, schema::Statement::Reader statement, uint64_t index,
                        int64_t log_time, std::string_view origin) const {
  std::string_view s_origin(statement.getOrigin().cStr(), statement.getOrigin().size());
  auto kind = statement.getBody().which();
  if (kind == Which::GENESIS) {
    return CheckGenesis(author, statement.getBody().getGenesis(), index, s_origin, origin);
  }
  if (index == 0) return Status::Unauthorized("entry 0 must be the log's genesis");
  if (s_origin != origin) {
    return Status::Unauthorized("origin: statement is for \"" + std::string(s_origin) +
                                "\", this log is \"" + std::string(origin) + "\"");
  }
  auto role = *RequiredRole(kind);
  auto it = keys_.find(author);
  std::string who = "author key " + ShortKey(author);
  if (it == keys_.end()) return Status::Unauthorized(who + " is not known to this log");
  const KeyState& k = it->second;
  if (k.revoked) return Status::Unauthorized(who + " has been revoked");
  if (log_time < k.valid_from) {
    return Status::Unauthorized(who + " is not valid until " + Millis(k.valid_from) + " (now " +
                                Millis(log_time) + ")");
  }
  if (k.valid_until != 0 && log_time >= k.valid_until) {
    return Status::Unauthorized(who + " expired at " + Millis(k.valid_until) + " (now " +
                                Millis(log_time) + ")");
  }
  if ((k.roles & RoleBit(role)) == 0) {
    return Status::Unauthorized(who + " does not hold the role \"" + RoleName(role) + "\"");
  }
  return Status::OK();
}

}  // namespace custos
