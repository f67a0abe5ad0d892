// The evidence verification report (存证核验报告) of `custos verify --bundle
// … --report FILE` (docs/evidence-report.md): what a court files beside the
// bundle. Chinese by default, English on request; Beijing time; agencies by
// the names the trust file gives them.
//
// The report is built once as a list of blocks (BuildReport) and rendered
// from it as HTML (RenderHtml) or as PDF with cairo and pango (WritePdf), so
// the two say the same thing.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "crypto/bytes.h"
#include "crypto/status.h"
#include "trust/bundle_verify.h"
#include "trust/federation_config.h"

namespace custos::report {

enum class Lang { kZh, kEn };

// "zh" or "en"; InvalidArgument naming --lang otherwise.
Result<Lang> ParseLang(std::string_view text);

struct Block {
  enum class Kind {
    kTitle,    // the report's title
    kVerdict,  // the conclusion, one line (value: "ok" or "failed")
    kSection,  // a section heading
    kItem,     // one entry of a list (a custody step, a checkpoint), in bold
    kField,    // label: value
    kHash,     // label: value, the value in a fixed-width font (hashes, keys)
    kText,     // a paragraph
    kCommand,  // a command line to run, fixed-width
    kQr,       // a QR code of `value`, with `label` as its caption
  };
  Kind kind;
  std::string label;
  std::string value;
};

struct ReportInput {
  const bundle::Verdict* verdict = nullptr;
  const trust::FederationConfig* federation = nullptr;  // agency names
  Lang lang = Lang::kZh;
  std::string bundle_path;  // as given on the command line
  std::string trust_path;
  std::string file_path;    // "" if no file was checked
  Hash bundle_sha256;       // of the bundle file's bytes
  int64_t made_at_ms = 0;   // when the report is written
};

std::vector<Block> BuildReport(const ReportInput& in);

// A whole HTML document (UTF-8, one file: the style and the QR code inline).
std::string RenderHtml(const std::vector<Block>& blocks, Lang lang);

// Writes an A4 PDF to `path` (cairo's PDF surface, text laid out by pango in
// the Noto CJK fonts). IOError naming the path if cairo cannot write it.
Status WritePdf(const std::vector<Block>& blocks, Lang lang, const std::string& path);

// The modules of a QR code of `data` (libqrencode, error correction level
// M), row by row, dark = true. InvalidArgument if it cannot be encoded.
Result<std::vector<std::vector<bool>>> QrModules(std::string_view data);

// "2026-12-05 14:03:22 北京时间 (UTC+8)" / "2026-12-05 14:03:22 Beijing time (UTC+8)".
std::string BeijingTime(int64_t ms, Lang lang);

}  // namespace custos::report
