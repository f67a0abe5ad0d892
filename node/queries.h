// The case-trail and referral-audit calls of the RPC server (schema/rpc.capnp
// caseTrail, auditReferrals; docs/audit.md): the answer is computed by
// ledger/query/audit.h from one snapshot of the store, then every entry it cites is
// given its inclusion proof against its log's checkpoint, which is sent with
// the cosignatures the node holds for it.
//
// Computing reads LevelDB (a referral audit scans every bureau log in full),
// so the server runs it on a thread of its own (node/offload.h) and fills the
// reply on the event loop: Compute* are thread-safe (they read the store
// only), Fill* must run on the loop that owns the reply.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/status.h"
#include "ledger/query/audit.h"
#include "ledger/storage/store.h"
#include "node/config.h"
#include "schema/rpc.capnp.h"

namespace custos::node {

// Each log's checkpoint and each cited entry's proof, gathered before the
// reply is built so that its size is known.
struct ProvedAnswer {
  struct Cited {
    // Points into the vectors of the answer that owns this; moving the answer
    // keeps it valid (a vector's move keeps its elements where they are).
    const audit::CitedEntry* entry = nullptr;
    std::vector<Hash> proof;
  };
  std::map<std::string, std::string> notes;  // origin -> checkpoint with its cosignatures
  std::vector<Cited> entries;
  size_t bytes = 0;  // an estimate of the reply's size
};

struct CaseTrailAnswer {
  audit::CaseTrail trail;
  ProvedAnswer proved;
};

struct ReferralAuditAnswer {
  audit::AuditReport report;
  std::vector<std::vector<uint32_t>> positions;  // per finding: its entries in proved.entries
  ProvedAnswer proved;
};

// Which origins of the federation have agency kind `kind` (the audit's
// bureaus are "ip-bureau", public security "public-security-bureau").
std::set<std::string> OriginsOfKind(const FederationConfig& federation, std::string_view kind);

// InvalidArgument for a bad case id; IOError / Corruption from the store.
Result<std::unique_ptr<CaseTrailAnswer>> ComputeCaseTrail(const Store& store, std::string_view case_id);
void FillCaseTrail(const CaseTrailAnswer& answer, rpc::CaseTrail::Builder out);

// The audit at `at` (0: the store's clock now); InvalidArgument for a negative one.
Result<std::unique_ptr<ReferralAuditAnswer>> ComputeReferralAudit(const Store& store, const FederationConfig& federation,
                                                                  int64_t at);
void FillReferralAudit(const ReferralAuditAnswer& answer, rpc::ReferralAudit::Builder out);

}  // namespace custos::node
