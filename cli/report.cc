#include "cli/report.h"

#include <qrencode.h>

#include <limits>
#include <memory>
#include <set>
#include <string_view>

#include "crypto/text.h"

namespace custos::report {

namespace {

using Kind = Block::Kind;

// One string in each language.
struct Tr {
  std::string_view zh;
  std::string_view en;
  std::string operator()(Lang lang) const { return std::string(lang == Lang::kZh ? zh : en); }
};

// The largest time in seconds whose milliseconds fit an int64_t.
constexpr int64_t kMaxSeconds = std::numeric_limits<int64_t>::max() / 1000;

// Runs of this many steps of one kind in one log are summarised (as the text output does).
constexpr size_t kShortestSummarised = 5;

std::string KindLabel(const std::string& kind, Lang lang) {
  static const std::pair<std::string_view, Tr> kKinds[] = {
      {"evidenceRegistered", {"证据登记", "evidence registered"}},
      {"custodyTransferred", {"移交", "custody transferred"}},
      {"custodyReceived", {"接收", "custody received"}},
      {"evidenceExamined", {"查验", "evidence examined"}},
      {"evidenceDisposed", {"处置", "evidence disposed of"}},
  };
  for (const auto& [name, tr] : kKinds) {
    if (name == kind) return tr(lang) + (lang == Lang::kZh ? "（" + kind + "）" : "");
  }
  return kind;
}

std::string MethodLabel(const std::string& method, Lang lang) {
  static const std::pair<std::string_view, Tr> kMethods[] = {
      {"registrationPreservation", {"登记保存", "registration and preservation (登记保存)"}},
      {"sampling", {"抽样取证", "sampling (抽样取证)"}},
      {"notarisation", {"公证", "notarisation (公证)"}},
      {"audioVideoRecord", {"现场录音录像", "audio and video record (现场录音录像)"}},
      {"electronicCapture", {"电子数据提取", "electronic data capture (电子数据提取)"}},
      {"seizureSealing", {"查封扣押", "seizure and sealing (查封扣押)"}},
  };
  for (const auto& [name, tr] : kMethods) {
    if (name == method) return tr(lang);
  }
  return method;
}

class Builder {
 public:
  explicit Builder(const ReportInput& in) : in_(in), lang_(in.lang), a_(in.verdict->account) {}

  std::vector<Block> Build() {
    Add(Kind::kTitle, "", T({"存证核验报告", "Evidence Verification Report"}));
    Verdict();
    Evidence();
    Registration();
    Custody();
    Checkpoints();
    Completeness();
    Time();
    Checked();
    Recheck();
    About();
    return std::move(blocks_);
  }

 private:
  std::string T(Tr tr) const { return tr(lang_); }
  bool zh() const { return lang_ == Lang::kZh; }
  void Add(Kind kind, std::string label, std::string value) {
    blocks_.push_back({kind, std::move(label), std::move(value)});
  }
  void Field(Tr label, std::string value) { Add(Kind::kField, T(label), std::move(value)); }
  void HashField(Tr label, std::string value) { Add(Kind::kHash, T(label), std::move(value)); }

  // "苏州市知识产权局（suzhou-ipb.example/custos）": the trust file's name for
  // the origin in the report's language (else the other), and the origin.
  std::string Agency(const std::string& origin) const {
    const trust::PeerConfig* peer = in_.federation ? in_.federation->FindPeer(origin) : nullptr;
    std::string name;
    if (peer != nullptr) name = zh() ? (peer->name.zh.empty() ? peer->name.en : peer->name.zh)
                                     : (peer->name.en.empty() ? peer->name.zh : peer->name.en);
    if (name.empty()) return origin;
    return zh() ? name + "（" + origin + "）" : name + " (" + origin + ")";
  }

  std::string Bytes(uint64_t n) const { return std::to_string(n) + (zh() ? " 字节" : " bytes"); }

  void Verdict() {
    const bundle::Verdict& v = *in_.verdict;
    if (v.ok()) {
      Add(Kind::kVerdict, "ok",
          T({"核验结论：通过。保管链的每一步均由经授权的人员签名、载入其所在机构的日志，并由见证策略要求的机构副署；"
             "各日志中有关该证据的记录完整，无遗漏。",
             "Conclusion: verified. Every custody step is signed by an authorised officer, recorded in its "
             "agency's log and vouched for by the agencies the witness policy names; each log's records about "
             "the evidence are complete."}));
    } else {
      Add(Kind::kVerdict, "failed",
          T({"核验结论：未通过（", "Conclusion: NOT verified ("}) + bundle::FailureName(v.failure) +
              T({"）：", "): "}) + v.message);
    }
  }

  void Evidence() {
    Add(Kind::kSection, "", T({"一、证据", "1. The evidence"}));
    Field({"证据编号", "Evidence id"}, a_.evidence_id);
    Field({"案件编号", "Case id"}, a_.case_id);
    const char* algorithm = bundle::DigestAlgorithmName(a_.algorithm);
    HashField({"文件摘要", "Content digest"}, std::string(algorithm ? algorithm : "?") + " " + HexEncode(a_.digest.span()));
    Field({"文件大小", "Size"}, Bytes(a_.content_size));
    Field({"媒体类型", "Media type"}, a_.media_type);
    if (a_.file_checked) {
      Field({"文件比对", "File"}, zh() ? "已比对：所提交的文件 " + in_.file_path + " 与登记的摘要一致"
                                       : "compared: the file " + in_.file_path + " has the registered digest");
    } else {
      Field({"文件比对", "File"}, T({"未比对：核验时未提供文件", "not compared: no file was given"}));
    }
  }

  void Registration() {
    const bundle::RegistrationAccount& r = a_.registration;
    Add(Kind::kSection, "", T({"二、登记信息", "2. Registration"}));
    Field({"取证方式", "Method"}, MethodLabel(r.method, lang_));
    Field({"证据描述", "Description"}, r.description);
    Field({"地点", "Place"}, r.place);
    std::string officers;
    for (const auto& o : r.officers) {
      if (!officers.empty()) officers += zh() ? "；" : "; ";
      officers += zh() ? o.name + "（执法证号 " + o.badge + "）" : o.name + " (badge " + o.badge + ")";
    }
    Field({"办案人员", "Officers"}, officers);
    for (size_t i = 0; i < r.digests.size(); ++i) {
      const auto& d = r.digests[i];
      HashField({"登记摘要", "Digest"}, d.algorithm + " " + HexEncode(d.value.span()) + (zh() ? "，" : ", ") +
                                            Bytes(d.size) + (zh() ? "，" : ", ") + d.media_type);
    }
  }

  void Step(size_t i) {
    const bundle::StepAccount& s = a_.steps[i];
    Add(Kind::kItem, "", std::to_string(i + 1) + ". " + BeijingTime(s.log_time, lang_) + "  " + KindLabel(s.kind, lang_));
    Field({"机构与位置", "Log"}, Agency(s.origin) + (zh() ? "，第 " + std::to_string(s.index) + " 条"
                                                          : ", entry " + std::to_string(s.index)));
    std::string who = s.author_holder.empty() ? (zh() ? "日志管理密钥" : "the log's admin key")
                                              : s.author_holder + (zh() ? "（" + s.author_post + "）" : " (" + s.author_post + ")");
    Field({"签署人", "Signed by"}, who);
    HashField({"签名公钥", "Key"}, s.author);
    Field({"记录", "Record"}, zh() && !s.summary_zh.empty() ? s.summary_zh : s.summary);
    HashField({"叶哈希", "Leaf hash"}, HexEncode(s.leaf.span()));
  }

  void Custody() {
    Add(Kind::kSection, "", T({"三、保管链", "3. Chain of custody"}));
    Add(Kind::kText, "", zh() ? "共 " + std::to_string(a_.steps.size()) + " 步，按时间顺序（北京时间）："
                              : std::to_string(a_.steps.size()) + " steps, in order (Beijing time):");
    for (size_t i = 0; i < a_.steps.size();) {
      size_t j = i;
      while (j + 1 < a_.steps.size() && a_.steps[j + 1].origin == a_.steps[i].origin &&
             a_.steps[j + 1].kind == a_.steps[i].kind) {
        ++j;
      }
      if (j - i + 1 < kShortestSummarised) {
        for (size_t k = i; k <= j; ++k) Step(k);
      } else {
        Step(i);
        const auto& first = a_.steps[i + 1];
        const auto& last = a_.steps[j - 1];
        std::set<std::string> who;
        for (size_t k = i + 1; k < j; ++k) who.insert(a_.steps[k].author_holder.empty() ? a_.steps[k].author.substr(0, 16)
                                                                                       : a_.steps[k].author_holder);
        std::string names;
        for (const auto& n : who) names += (names.empty() ? "" : (zh() ? "、" : ", ")) + n;
        Add(Kind::kItem, "", std::to_string(i + 2) + "–" + std::to_string(j) + ". " +
                                 (zh() ? "另有 " + std::to_string(j - i - 1) + " 次" + KindLabel(a_.steps[i].kind, lang_)
                                       : std::to_string(j - i - 1) + " more steps: " + KindLabel(a_.steps[i].kind, lang_)));
        Add(Kind::kText, "",
            zh() ? Agency(first.origin) + "，第 " + std::to_string(first.index) + " 至 " + std::to_string(last.index) +
                       " 条，" + BeijingTime(first.log_time, lang_) + " 至 " + BeijingTime(last.log_time, lang_) +
                       "；签署人：" + names + "。每一步均已逐一核验；--json 输出列出全部。"
                 : Agency(first.origin) + ", entries " + std::to_string(first.index) + " to " +
                       std::to_string(last.index) + ", " + BeijingTime(first.log_time, lang_) + " to " +
                       BeijingTime(last.log_time, lang_) + "; signed by " + names +
                       ". Every one was checked; --json lists them all.");
        Step(j);
      }
      i = j + 1;
    }
    std::string now;
    if (a_.state_code == "held") {
      now = zh() ? "保管中：由 " + a_.holder + " 保管，" + Agency(a_.holder_origin)
                 : "held by " + a_.holder + ", " + Agency(a_.holder_origin);
    } else if (a_.state_code == "in-transit") {
      now = zh() ? "移交途中：接收方 " + a_.holder + "，" + Agency(a_.holder_origin)
                 : "in transit to " + a_.holder + ", " + Agency(a_.holder_origin);
    } else if (a_.state_code == "disposed") {
      now = (zh() ? "已处置：" : "disposed of: ") + a_.disposition;
    } else {
      now = a_.state;
    }
    Field({"现状", "Now"}, now);
  }

  void Checkpoints() {
    Add(Kind::kSection, "", T({"四、检查点与副署", "4. Checkpoints and cosignatures"}));
    Add(Kind::kText, "", T({"每条记录都通过包含证明对应到下列检查点；检查点由其日志签名，并由见证方副署（副署时间为副署方自己的时钟）。",
                            "Every record is proved included in one of these checkpoints; each checkpoint is signed "
                            "by its log and cosigned by witnesses (a cosignature's time is the cosigner's clock)."}));
    for (const auto& c : a_.checkpoints) {
      Add(Kind::kItem, "", Agency(c.origin) + (zh() ? "：日志大小 " : ": log size ") + std::to_string(c.size));
      HashField({"根哈希", "Root hash"}, Base64Encode(c.root.span()));
      std::string cosigned;
      for (size_t i = 0; i < c.cosigners.size(); ++i) {
        if (!cosigned.empty()) cosigned += zh() ? "；" : "; ";
        // A cosignature's time is up to 2^63 - 1 seconds: no overflow in milliseconds.
        const uint64_t seconds = i < c.cosigned_at.size() ? c.cosigned_at[i] : 0;
        const int64_t ms = seconds > static_cast<uint64_t>(kMaxSeconds) ? kMaxSeconds * 1000 : static_cast<int64_t>(seconds) * 1000;
        cosigned += Agency(c.cosigners[i]) + (zh() ? "，于 " : ", at ") + BeijingTime(ms, lang_);
      }
      Field({"副署", "Cosigned by"}, cosigned.empty() ? T({"无（见证策略之外）", "none by a cosigner of the policy"}) : cosigned);
      for (const auto& t : c.timestamps) {
        Field({"可信时间戳", "Time stamp"},
              zh() ? "由时间戳服务机构 " + t.tsa + "（" + t.subject + "）证明该检查点于 " + BeijingTime(t.time_ms, lang_) +
                         " 已存在（RFC 3161，序列号 " + t.serial + "）"
                   : "time attested by " + t.tsa + " (" + t.subject + ") at " + BeijingTime(t.time_ms, lang_) +
                         ": the checkpoint existed then (RFC 3161, serial " + t.serial + ")");
      }
    }
    Field({"见证策略", "Witness policy"}, a_.policy);
  }

  void Completeness() {
    Add(Kind::kSection, "", T({"五、完整性", "5. Completeness"}));
    if (a_.complete) {
      Add(Kind::kText, "",
          zh() ? "每条日志的检查点都承诺了该证据在该日志中的全部记录（保管映射）以及每个签名密钥的全部授权与撤销（授权映射）。"
                 "本包中的保管步骤即为各日志中有关证据 " + a_.evidence_id + " 的全部记录，且包含了所依赖的 " +
                     std::to_string(a_.keys_proved) + " 个密钥的全部授权与撤销记录：没有记录被遗漏。"
               : "Each log's checkpoint commits to every record about the evidence in that log (the custody map) "
                 "and to every grant and revoke of each key (the authority map). The bundle's steps are all the "
                 "records about evidence " + a_.evidence_id + " in each log, and it holds every grant and revoke of "
                 "the " + std::to_string(a_.keys_proved) + " keys it relies on: nothing was left out.");
    } else {
      Add(Kind::kText, "", T({"未能证明完整（见核验结论）。", "Completeness was not proved (see the conclusion)."}));
    }
  }

  void Time() {
    Add(Kind::kSection, "", T({"六、时间来源", "6. Time"}));
    size_t stamped = 0;
    for (const auto& c : a_.checkpoints) stamped += c.timestamps.empty() ? 0 : 1;
    if (stamped > 0) {
      Add(Kind::kText, "",
          zh() ? std::to_string(stamped) + " 个检查点带有可信时间戳（RFC 3161），由信任文件所列的时间戳服务机构签发并已核验："
                 "检查点所承诺的每条记录不晚于该时间存在。各步骤自身的时间取自日志节点的时钟。"
               : std::to_string(stamped) + " checkpoint(s) carry a trusted timestamp (RFC 3161) by a time-stamping "
                 "authority the trust file names, checked: every record such a checkpoint commits to existed by that "
                 "time. A step's own time is its log node's clock.");
      return;
    }
    Add(Kind::kText, "",
        T({"各步骤的时间取自记录所在日志节点的时钟；检查点的副署时间取自副署方的时钟。本包不含可信时间戳（RFC 3161），"
           "时间仅由各机构的时钟及相互副署证明。",
           "A step's time is its log node's clock; a cosignature's time is its cosigner's clock. This bundle "
           "carries no trusted timestamp (RFC 3161): the times rest on the agencies' clocks and their mutual "
           "cosignatures."}));
  }

  void Checked() {
    Add(Kind::kSection, "", T({"七、核验内容", "7. What was checked"}));
    static const Tr kChecks[] = {
        {"包的格式与版本；", "the bundle's format and version;"},
        {"每个检查点的日志签名（Ed25519，按信任文件中的公钥），以及见证策略要求的副署；",
         "each checkpoint's log signature (Ed25519, by the trust file's key) and the cosignatures the witness "
         "policy requires;"},
        {"每条记录的规范编码、作者签名及其在检查点中的包含证明（RFC 6962）；",
         "each record's canonical encoding, its author's signature and its inclusion proof in the checkpoint "
         "(RFC 6962);"},
        {"作者的授权：从日志创世记录起重放授权与撤销；", "each author's authority, replayed from the log's genesis through grants and revokes;"},
        {"保管链的连续性：登记、移交与接收一一对应，处置之后无后续步骤；",
         "the chain's continuity: registration, each transfer matched by its receipt, nothing after disposal;"},
        {"完整性：保管映射与授权映射的证明；", "completeness: the custody and authority map proofs;"},
        {"检查点上的可信时间戳（RFC 3161，按信任文件中的时间戳服务机构证书）；",
         "the checkpoints' trusted timestamps (RFC 3161, by the TSA certificates in the trust file);"},
        {"若提供了文件：文件摘要与登记摘要一致。", "if a file was given: its digest is the registered one."},
    };
    for (const Tr& c : kChecks) Add(Kind::kText, "", "• " + T(c));
  }

  void Recheck() {
    Add(Kind::kSection, "", T({"八、复核方法", "8. How to check again"}));
    Add(Kind::kText, "", T({"任何人可用以下命令独立复核（custos 命令行工具为开源软件）。包文件的 SHA-256 应与本报告所列一致：",
                            "Anyone can check again with these commands (the custos command line is open source). "
                            "The bundle file's SHA-256 must be the one this report gives:"}));
    Add(Kind::kCommand, "", "sha256sum " + in_.bundle_path);
    const std::string file = in_.file_path.empty() ? "<" + T({"证据文件", "evidence file"}) + ">" : in_.file_path;
    Add(Kind::kCommand, "", "custos verify --bundle " + in_.bundle_path + " --trust " + in_.trust_path + " --file " + file);
    Add(Kind::kCommand, "", "custos verify --bundle " + in_.bundle_path + " --trust " + in_.trust_path + " --json");
    Add(Kind::kText, "",
        T({"检查点是 C2SP 签名注记（signed note），包含证明遵循 RFC 6962，可不依赖 custos，用 Go 语言的 "
           "golang.org/x/mod/sumdb/note 与 golang.org/x/mod/sumdb/tlog 独立验证：先把包拆成各检查点及每一步的条目与包含证明，"
           "再逐一验证（goverify 为 custos 源码中 tests/interop/goverify 的约三百行 Go 程序；拆出的 CHECK.txt 列出每一条命令）：",
           "Checkpoints are C2SP signed notes and inclusion proofs follow RFC 6962, so they can be checked without "
           "custos, with Go's golang.org/x/mod/sumdb/note and golang.org/x/mod/sumdb/tlog: split the bundle into "
           "its checkpoints and each step's entry and proof, then check each (goverify is the Go program in "
           "custos's source, tests/interop/goverify; the CHECK.txt written beside the parts lists every command):"}));
    Add(Kind::kCommand, "", "custos verify --bundle " + in_.bundle_path + " --trust " + in_.trust_path + " --extract parts");
    Add(Kind::kCommand, "", "cd parts && goverify note \"$(cat log-1.vkey)\" log-1.note");
    Add(Kind::kCommand, "", "cd parts && goverify inclusion \"$(cat log-1.vkey)\" step-1.tlog-proof step-1.entry");
  }

  void About() {
    Add(Kind::kSection, "", T({"九、报告信息", "9. About this report"}));
    Field({"证据包", "Bundle"}, in_.bundle_path);
    HashField({"包 SHA-256", "Bundle SHA-256"}, HexEncode(in_.bundle_sha256.span()));
    Field({"包的制作", "Bundle made by"}, Agency(a_.made_by) + (zh() ? "，于 " : ", at ") + BeijingTime(a_.made_at, lang_));
    Field({"信任文件", "Trust file"}, in_.trust_path);
    Field({"报告生成", "Report written"}, BeijingTime(in_.made_at_ms, lang_));
    Add(Kind::kQr, T({"证据包 SHA-256 二维码", "QR code of the bundle's SHA-256"}),
        "sha256:" + HexEncode(in_.bundle_sha256.span()));
  }

  const ReportInput& in_;
  const Lang lang_;
  const bundle::Account& a_;
  std::vector<Block> blocks_;
};

std::string Escape(std::string_view s) { return HtmlEscape(s); }

std::string QrSvg(const std::vector<std::vector<bool>>& m) {
  const size_t n = m.size();
  std::string path;
  for (size_t y = 0; y < n; ++y) {
    for (size_t x = 0; x < n; ++x) {
      if (m[y][x]) path += "M" + std::to_string(x + 4) + " " + std::to_string(y + 4) + "h1v1h-1z";
    }
  }
  const std::string size = std::to_string(n + 8);
  return "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"160\" height=\"160\" viewBox=\"0 0 " + size + " " + size +
         "\" shape-rendering=\"crispEdges\"><rect width=\"100%\" height=\"100%\" fill=\"#fff\"/><path d=\"" + path +
         "\" fill=\"#000\"/></svg>";
}

}  // namespace

Result<Lang> ParseLang(std::string_view text) {
  if (text == "zh") return Lang::kZh;
  if (text == "en") return Lang::kEn;
  return Status::InvalidArgument("--lang: \"" + std::string(text) + "\" is not a report language (want zh or en)");
}

std::string BeijingTime(int64_t ms, Lang lang) {
  // FormatBeijing: "YYYY-MM-DD HH:MM:SS UTC+08:00" (no overflow for a time from outside).
  return FormatBeijing(ms).substr(0, 19) + (lang == Lang::kZh ? " 北京时间 (UTC+8)" : " Beijing time (UTC+8)");
}

Result<std::vector<std::vector<bool>>> QrModules(std::string_view data) {
  const std::string text(data);
  std::unique_ptr<QRcode, void (*)(QRcode*)> code(QRcode_encodeString(text.c_str(), 0, QR_ECLEVEL_M, QR_MODE_8, 1),
                                                  QRcode_free);
  if (code == nullptr) return Status::InvalidArgument("QR code: cannot encode " + std::to_string(data.size()) + " bytes");
  const auto n = static_cast<size_t>(code->width);
  std::vector<std::vector<bool>> m(n, std::vector<bool>(n));
  for (size_t y = 0; y < n; ++y) {
    for (size_t x = 0; x < n; ++x) m[y][x] = (code->data[y * n + x] & 1) != 0;
  }
  return m;
}

std::vector<Block> BuildReport(const ReportInput& in) { return Builder(in).Build(); }

std::string RenderHtml(const std::vector<Block>& blocks, Lang lang) {
  std::string title;
  for (const Block& b : blocks) {
    if (b.kind == Kind::kTitle) title = b.value;
  }
  std::string out = "<!DOCTYPE html>\n<html lang=\"" + std::string(lang == Lang::kZh ? "zh-CN" : "en") +
                    "\">\n<head>\n<meta charset=\"utf-8\">\n<title>" + Escape(title) +
                    "</title>\n<style>\n"
                    "body{font-family:\"Noto Sans CJK SC\",\"Noto Sans\",sans-serif;max-width:50em;margin:2em auto;"
                    "padding:0 1em;color:#111;line-height:1.5}\n"
                    "h1{text-align:center;font-size:1.6em;border-bottom:2px solid #333;padding-bottom:.3em}\n"
                    "h2{font-size:1.15em;margin-top:1.6em;border-bottom:1px solid #999}\n"
                    ".verdict{padding:.6em 1em;border:2px solid}.ok{border-color:#2a7a2a;background:#eef8ee}"
                    ".failed{border-color:#a22;background:#fbeeee}\n"
                    ".item{font-weight:bold;margin-top:.8em}\n"
                    "table{border-collapse:collapse;width:100%}td{vertical-align:top;padding:.1em .4em}"
                    "td.l{width:9em;color:#444;white-space:nowrap}\n"
                    ".mono,pre{font-family:\"Noto Sans Mono CJK SC\",monospace;font-size:.85em;word-break:break-all}\n"
                    "pre{background:#f4f4f4;padding:.4em .6em;white-space:pre-wrap}\n"
                    "figure{text-align:center}\n"
                    "@media print{body{margin:0}}\n"
                    "</style>\n</head>\n<body>\n";
  bool in_table = false;
  auto close_table = [&] {
    if (in_table) out += "</table>\n";
    in_table = false;
  };
  for (const Block& b : blocks) {
    const bool row = b.kind == Kind::kField || b.kind == Kind::kHash;
    if (!row) close_table();
    switch (b.kind) {
      case Kind::kTitle: out += "<h1>" + Escape(b.value) + "</h1>\n"; break;
      case Kind::kVerdict: out += "<p class=\"verdict " + b.label + "\">" + Escape(b.value) + "</p>\n"; break;
      case Kind::kSection: out += "<h2>" + Escape(b.value) + "</h2>\n"; break;
      case Kind::kItem: out += "<div class=\"item\">" + Escape(b.value) + "</div>\n"; break;
      case Kind::kText: out += "<p>" + Escape(b.value) + "</p>\n"; break;
      case Kind::kCommand: out += "<pre>" + Escape(b.value) + "</pre>\n"; break;
      case Kind::kField:
      case Kind::kHash:
        if (!in_table) out += "<table>\n";
        in_table = true;
        out += "<tr><td class=\"l\">" + Escape(b.label) + "</td><td" + (b.kind == Kind::kHash ? " class=\"mono\"" : "") +
               ">" + Escape(b.value) + "</td></tr>\n";
        break;
      case Kind::kQr: {
        auto modules = QrModules(b.value);
        if (modules.ok()) {
          out += "<figure>" + QrSvg(*modules) + "<figcaption>" + Escape(b.label) + "<br><span class=\"mono\">" +
                 Escape(b.value) + "</span></figcaption></figure>\n";
        }
        break;
      }
    }
  }
  close_table();
  out += "</body>\n</html>\n";
  return out;
}

}  // namespace custos::report
