#include "ledger/tlog/checkpoint.h"

#include "crypto/text.h"

namespace custos {

namespace {
constexpr std::string_view kProofHeader = "c2sp.org/tlog-proof@v1";
constexpr size_t kMaxProofHashes = 64;  // a tree of 2^64 leaves needs fewer

Result<Hash> ParseHashLine(std::string_view line, const std::string& what) {
  auto bytes = Base64Decode(line);
  if (!bytes || bytes->size() != Hash::kSize) {
    return Status::InvalidArgument(what + ": not a base64 SHA-256 hash");
  }
  return *Hash::FromSpan(*bytes);
}
}  // namespace

std::string Checkpoint::Format() const {
  std::string out = origin + "\n" + std::to_string(size) + "\n" + Base64Encode(root.span()) + "\n";
  for (const auto& ext : extensions) out += ext + "\n";
  return out;
}

Result<Checkpoint> Checkpoint::Parse(std::string_view text) {
  Checkpoint c;
  std::string_view line;
  if (!NextLine(&text, &line) || line.empty()) return Status::InvalidArgument("checkpoint: missing origin line");
  c.origin = std::string(line);
  if (!NextLine(&text, &line) || !ParseDecimal(line, &c.size)) {
    return Status::InvalidArgument("checkpoint: second line is not a tree size");
  }
  if (!NextLine(&text, &line)) return Status::InvalidArgument("checkpoint: missing root hash line");
  CUSTOS_ASSIGN_OR_RETURN(c.root, ParseHashLine(line, "checkpoint root"));
  while (!text.empty()) {
    if (!NextLine(&text, &line) || line.empty()) {
      return Status::InvalidArgument("checkpoint: malformed extension line");
    }
    c.extensions.emplace_back(line);
  }
  return c;
}

std::string TlogProof::Format() const {
  std::string out = std::string(kProofHeader) + "\n";
  if (!extra.empty()) out += "extra " + Base64Encode(AsBytes(extra)) + "\n";
  out += "index " + std::to_string(index) + "\n";
  for (const auto& h : proof) out += Base64Encode(h.span()) + "\n";
  out += "\n" + checkpoint;
  return out;
}

Result<TlogProof> TlogProof::Parse(std::string_view text) {
  TlogProof p;
  std::string_view line;
  if (!NextLine(&text, &line) || line != kProofHeader) {
    return Status::InvalidArgument("proof: first line must be \"c2sp.org/tlog-proof@v1\"");
  }
  if (!NextLine(&text, &line)) return Status::InvalidArgument("proof: truncated after the header");
  if (line.starts_with("extra ")) {
    auto extra = Base64Decode(line.substr(6));
    if (!extra) return Status::InvalidArgument("proof: extra line is not base64");
    p.extra.assign(extra->begin(), extra->end());
    if (!NextLine(&text, &line)) return Status::InvalidArgument("proof: missing index line");
  }
  if (!line.starts_with("index ") || !ParseDecimal(line.substr(6), &p.index)) {
    return Status::InvalidArgument("proof: missing or malformed \"index N\" line");
  }
  while (true) {
    if (!NextLine(&text, &line)) return Status::InvalidArgument("proof: missing blank line before the checkpoint");
    if (line.empty()) break;
    if (p.proof.size() == kMaxProofHashes) return Status::InvalidArgument("proof: too many hashes");
    CUSTOS_ASSIGN_OR_RETURN(Hash h, ParseHashLine(line, "proof hash " + std::to_string(p.proof.size() + 1)));
    p.proof.push_back(h);
  }
  if (text.empty()) return Status::InvalidArgument("proof: missing checkpoint");
  p.checkpoint = std::string(text);
  return p;
}

}  // namespace custos
