// The case-trail and referral-audit calls of the RPC server (schema/rpc.capnp
// caseTrail, auditReferrals; docs/audit.md): the answer is computed by
// ledger/audit.h from one snapshot of the store, then every entry it cites is
// given its inclusion proof against its log's checkpoint, which is sent with
// the cosignatures the node holds for it.
//
// Runs on the calling thread (the RPC event loop).
// TODO(perf): a referral audit scans every bureau log in full; past a few
// hundred thousand entries it should run on a worker thread (node/offload.h)
// so the loop keeps serving.
#pragma once

#include <cstdint>
#include <functional>
#include <set>
#include <string>
#include <string_view>

#include "crypto/status.h"
#include "ledger/store.h"
#include "node/config.h"
#include "schema/rpc.capnp.h"

namespace custos::node {

// Which origins of the federation the audit treats as bureaus (agencyKind
// "ip-bureau") and as public security ("public-security-bureau").
std::set<std::string> OriginsOfKind(const FederationConfig& federation, std::string_view kind);

// Builds the caseTrail answer into `out`, sized by calling `init` with the
// byte estimate. InvalidArgument for a bad case id; IOError / Corruption from
// the store.
Status AnswerCaseTrail(const Store& store, std::string_view case_id,
                       const std::function<rpc::CaseTrail::Builder(size_t)>& init);

// Builds the auditReferrals answer at `at` (0: the store's clock now).
Status AnswerReferralAudit(const Store& store, const FederationConfig& federation, int64_t at,
                           const std::function<rpc::ReferralAudit::Builder(size_t)>& init);

}  // namespace custos::node
