// C2SP tlog-checkpoint bodies (c2sp.org/tlog-checkpoint) and tlog-proof
// texts (c2sp.org/tlog-proof@v1). See docs/checkpoint-format.md.
//
//   <origin>\n<size, decimal>\n<base64 root>\n[<extension line>\n]...
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/bytes.h"
#include "crypto/status.h"
#include "crypto/text.h"  // ParseDecimal, which checkpoint readers use

namespace custos {

struct Checkpoint {
  std::string origin;
  uint64_t size = 0;
  Hash root;
  std::vector<std::string> extensions;  // lines without their '\n'

  std::string Format() const;
  // Strict: decimal size without leading zeros, canonical base64 of 32 bytes,
  // non-empty origin and extension lines.
  static Result<Checkpoint> Parse(std::string_view text);
};

struct TlogProof {
  std::string extra;  // decoded; empty if absent
  uint64_t index = 0;
  std::vector<Hash> proof;
  std::string checkpoint;  // the signed note, verbatim

  std::string Format() const;
  static Result<TlogProof> Parse(std::string_view text);
};

}  // namespace custos
