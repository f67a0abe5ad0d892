#include "ledger/tlog/witness_request.h"

#include "crypto/text.h"
#include "ledger/tlog/checkpoint.h"

namespace custos::merkle {

Result<AddCheckpointRequest> ParseAddCheckpoint(std::string_view body) {
  AddCheckpointRequest out;
  std::string_view line;
  if (!NextLine(&body, &line) || !line.starts_with("old ")) {
    return Status::InvalidArgument("add-checkpoint: the first line must be \"old <size>\"");
  }
  std::string_view size = line.substr(4);
  if (!ParseDecimal(size, &out.old_size)) {
    return Status::InvalidArgument("add-checkpoint: old size \"" + std::string(size) + "\" is not a decimal without leading zeros");
  }
  for (;;) {
    if (!NextLine(&body, &line)) return Status::InvalidArgument("add-checkpoint: no empty line before the checkpoint");
    if (line.empty()) break;
    if (out.proof.size() == kMaxWitnessProofLines) {
      return Status::InvalidArgument("add-checkpoint: more than 63 consistency proof lines");
    }
    auto bytes = Base64Decode(line);
    auto hash = bytes ? Hash::FromSpan(*bytes) : std::nullopt;
    if (!hash) {
      return Status::InvalidArgument("add-checkpoint: proof line " + std::to_string(out.proof.size() + 1) +
                                     " is not the base64 of 32 bytes");
    }
    out.proof.push_back(*hash);
  }
  out.checkpoint = std::string(body);
  return out;
}

std::string FormatAddCheckpoint(const AddCheckpointRequest& request) {
  std::string out = "old " + std::to_string(request.old_size) + "\n";
  for (const Hash& h : request.proof) out += Base64Encode(h.span()) + "\n";
  return out + "\n" + request.checkpoint;
}

}  // namespace custos::merkle
