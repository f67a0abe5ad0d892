// What a client checks of a case trail beyond each entry's proof
// (trust/answer_checker.h; docs/audit.md): that the node left nothing out of
// order and put nothing in that is not about the case.
#pragma once

#include <span>
#include <string_view>

#include "crypto/status.h"
#include "trust/answer_checker.h"

namespace custos::trust {

// Checks a trail's checked entries, in the order the answer gave them:
// ascending by (logTime, origin, index), and each about `case_id`: naming
// it (caseId, or a listing's caseRef), or naming evidence that an entry of
// the trail registered for it. Corruption "entry N of ORIGIN: …" naming the
// first entry that breaks a rule.
Status CheckCaseTrail(std::span<const CheckedEntry> entries, std::string_view case_id);

}  // namespace custos::trust
