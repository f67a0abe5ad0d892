// Federation files for tests: one peer ("psb.example/custos", the key
// TestKey("peer")), with extra peer fields and a witness policy as given.
#pragma once

#include <gtest/gtest.h>

#include <string>

#include "crypto/note.h"
#include "crypto/status.h"
#include "tests/ledger/log_test_util.h"

namespace custos::testing {

inline constexpr char kPeerVkeyName[] = "psb.example/custos";

inline std::string PeerVkey(const char* name = kPeerVkeyName) {
  return NoteVerifier::ForKey(name, TestKey("peer").public_key()).ToString();
}

// `peer_fields` is appended inside the peer's object (", \"extra\": 1");
// `policy`, when not empty, is the witnessPolicy object.
inline std::string FederationJson(const std::string& peer_fields, const std::string& policy = "") {
  return R"({"peers": [{"origin": "psb.example/custos", "verifierKey": ")" + PeerVkey() +
         R"(", "address": "127.0.0.1:7301", "agencyKind": "public-security-bureau")" + peer_fields + "}]" +
         (policy.empty() ? "" : ", \"witnessPolicy\": " + policy) + "}";
}

// `st` is InvalidArgument and its message holds `want`.
inline void ExpectInvalidArgument(const Status& st, const std::string& want) {
  EXPECT_FALSE(st.ok());
  EXPECT_EQ(st.code(), Status::Code::kInvalidArgument) << st.ToString();
  EXPECT_NE(st.message().find(want), std::string::npos) << "want \"" << want << "\" in: " << st.message();
}

}  // namespace custos::testing
