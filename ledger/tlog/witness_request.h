// The body of a C2SP tlog-witness add-checkpoint request
// (c2sp.org/tlog-witness): "old <size>\n", up to 63 base64 consistency proof
// lines, an empty line, then the signed checkpoint note. Pure functions of
// text; node/tlog_witness.h answers such requests.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/bytes.h"
#include "crypto/status.h"

namespace custos::merkle {

inline constexpr size_t kMaxWitnessProofLines = 63;

struct AddCheckpointRequest {
  uint64_t old_size = 0;
  std::vector<Hash> proof;  // RFC 6962 consistency proof, old_size to the checkpoint's size
  std::string checkpoint;   // the signed note, as sent
};

// InvalidArgument naming what is wrong: no "old" line, a size that is not a
// canonical decimal, a proof line that is not the base64 of 32 bytes, more
// than 63 of them, no empty line before the checkpoint.
Result<AddCheckpointRequest> ParseAddCheckpoint(std::string_view body);
std::string FormatAddCheckpoint(const AddCheckpointRequest& request);

}  // namespace custos::merkle
