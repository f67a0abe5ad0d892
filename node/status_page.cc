#include "node/status_page.h"

#include <algorithm>
#include <initializer_list>
#include <cstdint>
#include <optional>

#include "crypto/bytes.h"
#include "crypto/note.h"
#include "crypto/text.h"
#include "ledger/tlog/checkpoint.h"

namespace custos::node {

namespace {

// Every text of the page says itself in both languages at the place it is used.
class Say {
 public:
  explicit Say(PageLanguage lang) : zh_(lang == PageLanguage::kChinese) {}
  const char* operator()(const char* zh, const char* en) const { return zh_ ? zh : en; }
  bool chinese() const { return zh_; }

 private:
  bool zh_;
};

std::string Escape(std::string_view s) { return HtmlEscape(s); }

std::string AgencyKind(std::string_view kind, const Say& say) {
  if (kind == "ip-bureau") return say("知识产权局", "IP bureau");
  if (kind == "public-security-bureau") return say("公安机关", "public security bureau");
  if (kind == "procuratorate") return say("检察院", "procuratorate");
  if (kind == "court") return say("法院", "court");
  if (kind == "credit-platform") return say("信用平台", "credit platform");
  return Escape(kind);
}

// "2024-05-01 08:00:00 UTC+08:00 (12 s ago)"; "—" for 0.
std::string When(int64_t ms, int64_t now_ms, const Say& say) {
  if (ms == 0) return "—";
  std::string out = FormatBeijing(ms);
  const int64_t ago = (now_ms - ms) / 1000;
  if (ago >= 0) out += say("（", " (") + std::to_string(ago) + say(" 秒前）", " s ago)");
  return out;
}

struct Cosigner {
  std::string name;
  int64_t time_ms = 0;
};

// A checkpoint note's size and root, and the cosignature/v1 lines on it
// (signatures of 8 + 64 bytes: the time, then Ed25519), newest first. The
// node checked them when it stored them; the page only shows them.
struct ShownCheckpoint {
  uint64_t size = 0;
  std::string root;
  std::vector<Cosigner> cosigners;
};

std::optional<ShownCheckpoint> Show(const std::string& note_text) {
  auto note = Note::Parse(note_text);
  if (!note.ok()) return std::nullopt;
  auto cp = Checkpoint::Parse(note->text);
  if (!cp.ok()) return std::nullopt;
  ShownCheckpoint out{cp->size, Base64Encode(cp->root.span()), {}};
  for (const auto& sig : note->signatures) {
    if (sig.sig.size() != 72) continue;
    uint64_t seconds = 0;
    for (int i = 0; i < 8; ++i) seconds = seconds << 8 | sig.sig[i];
    if (seconds > static_cast<uint64_t>(INT64_MAX / 1000)) continue;
    out.cosigners.push_back({sig.name, static_cast<int64_t>(seconds) * 1000});
  }
  std::sort(out.cosigners.begin(), out.cosigners.end(),
            [](const Cosigner& a, const Cosigner& b) { return a.time_ms > b.time_ms; });
  return out;
}

constexpr const char* kStyle = R"(
body{font-family:"Noto Sans CJK SC","Noto Sans SC","Source Han Sans SC","PingFang SC","Microsoft YaHei",sans-serif;
margin:0;color:#1d2733;background:#f4f6f8;font-size:15px;line-height:1.5}
header{background:#1f3a5f;color:#fff;padding:16px 28px;display:flex;justify-content:space-between;align-items:baseline}
header h1{margin:0;font-size:22px;font-weight:600}
header .who{font-size:14px;opacity:.9}
header a{color:#fff}
main{padding:8px 28px 28px}
section{background:#fff;border:1px solid #d9dee5;border-radius:6px;margin:16px 0;padding:12px 18px}
h2{font-size:17px;margin:4px 0 10px}
table{border-collapse:collapse;width:100%;font-size:14px}
th,td{text-align:left;padding:6px 8px;border-bottom:1px solid #e6e9ee;vertical-align:top}
th{background:#eef1f5;font-weight:600}
code{font-family:"Noto Sans Mono","DejaVu Sans Mono",monospace;font-size:12.5px;white-space:nowrap}
code.hash{white-space:normal;word-break:break-all}
.ok{color:#1b7f3b;font-weight:600}.bad{color:#b3261e;font-weight:600}.muted{color:#66707a}
.alarm{background:#fdecea;border-color:#f2b8b5}
.calm{background:#edf7ef;border-color:#b7dfc0}
ul{margin:4px 0;padding-left:20px}
footer{padding:0 28px 24px;font-size:13px;color:#66707a}
)";

// Opens a table with these column headings.
void TableHead(std::string& out, std::initializer_list<const char*> headings) {
  out += "<table><thead><tr>";
  for (const char* h : headings) out += std::string("<th>") + h + "</th>";
  out += "</tr></thead><tbody>";
}

void LogsTable(std::string& out, const StatusPageInput& in, const Say& say) {
  out += "<section id=\"logs\"><h2>";
  out += say("日志", "Logs");
  out += "</h2>";
  TableHead(out, {say("日志来源", "Origin"), say("角色", "Role"), say("条目", "Entries"),
                  say("最新检查点", "Latest checkpoint"), say("联署（最新在前）", "Cosignatures (newest first)")});
  for (const auto& log : in.logs) {
    out += "<tr class=\"log\" data-origin=\"" + Escape(log.origin) + "\"><td><code>" + Escape(log.origin) +
           "</code></td><td>";
    out += log.own ? say("本节点日志", "own log") : say("副本", "replica");
    out += "</td><td class=\"size\">" + std::to_string(log.size) + "</td><td>";
    auto shown = Show(log.checkpoint);
    if (!shown) {
      out += "<span class=\"muted\">";
      out += say("尚无检查点", "no checkpoint yet");
      out += "</span></td><td>—</td></tr>";
      continue;
    }
    out += say("规模 ", "size ") + std::to_string(shown->size) + "<br><code class=\"hash\">" + Escape(shown->root) +
           "</code></td><td>";
    if (shown->cosigners.empty()) {
      out += "<span class=\"muted\">";
      out += say("尚无联署", "none yet");
      out += "</span>";
    } else {
      out += "<ul>";
      for (const auto& c : shown->cosigners) {
        out += "<li class=\"cosigner\"><code>" + Escape(c.name) + "</code> " + When(c.time_ms, in.now_ms, say) + "</li>";
      }
      out += "</ul>";
    }
    out += "</td></tr>";
  }
  out += "</tbody></table></section>";
}

void PeersTable(std::string& out, const StatusPageInput& in, const Say& say) {
  out += "<section id=\"peers\"><h2>";
  out += say("对等节点", "Peers");
  out += "</h2>";
  if (in.loop.peers.empty()) {
    out += "<p class=\"muted\">";
    out += say("本节点不跟随任何对等节点。", "This node follows no peer.");
    out += "</p></section>";
    return;
  }
  TableHead(out, {say("日志来源", "Origin"), say("机关类别", "Agency"), say("地址", "Address"),
                  say("连接", "Connection"), say("已验证条目", "Verified here"), say("对方已公布", "Announced"),
                  say("落后", "Lag"), say("最近联系（北京时间）", "Last contact (Beijing time)"),
                  say("最近错误", "Last error")});
  for (const auto& p : in.loop.peers) {
    const uint64_t lag = p.known_size - std::min(p.known_size, p.held_size);
    out += "<tr class=\"peer\" data-origin=\"" + Escape(p.origin) + "\"><td><code>" + Escape(p.origin) + "</code></td><td>" +
           AgencyKind(p.agency_kind, say) + "</td><td><code>" + Escape(p.address) + "</code></td><td>";
    out += p.connected ? std::string("<span class=\"ok\">") + say("已连接", "connected") + "</span>"
                       : std::string("<span class=\"bad\">") + say("未连接", "not connected") + "</span>";
    out += "</td><td>" + std::to_string(p.held_size) + "</td><td>" + std::to_string(p.known_size) + "</td><td class=\"lag\">" +
           std::to_string(lag) + "</td><td>" + When(p.last_contact_ms, in.now_ms, say) + "</td><td>" +
           (p.last_error.empty() ? std::string("—") : Escape(p.last_error)) + "</td></tr>";
  }
  out += "</tbody></table></section>";
}

void Alarms(std::string& out, const StatusPageInput& in, const Say& say) {
  std::vector<std::string> alarms = in.loop.alarms;
  if (!in.damage.empty()) alarms.insert(alarms.begin(), say("存储损坏：", "store damaged: ") + in.damage);
  if (in.loop.published_ms == 0 || in.now_ms - in.loop.published_ms > 10000) {
    alarms.push_back(say("节点事件循环超过 10 秒未更新状态", "the node's event loop has not reported for over 10 s"));
  }
  if (alarms.empty()) {
    out += "<section id=\"alarms\" class=\"calm\"><h2>";
    out += say("告警", "Alarms");
    out += "</h2><p class=\"ok\">";
    out += say("无告警：未发现任何日志签署两种历史，复制均通过校验。",
               "No alarm: no log was found signing two histories, and every replica verifies.");
    out += "</p></section>";
    return;
  }
  out += "<section id=\"alarms\" class=\"alarm\"><h2>";
  out += say("告警", "Alarms");
  out += "</h2><ul>";
  for (const auto& a : alarms) out += "<li class=\"bad\">" + Escape(a) + "</li>";
  out += "</ul></section>";
}

}  // namespace

std::string RenderStatusPage(const StatusPageInput& in, PageLanguage lang) {
  const Say say(lang);
  std::string out = "<!DOCTYPE html>\n<html lang=\"";
  out += say("zh-CN", "en");
  out += "\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
         "<meta http-equiv=\"refresh\" content=\"10\"><title>";
  out += say("Custos 节点状态 · ", "Custos node status · ") + Escape(in.origin) + "</title><style>" + kStyle +
         "</style></head><body><header><div><h1>";
  out += say("Custos 节点状态", "Custos node status");
  out += "</h1><div class=\"who\"><code>" + Escape(in.origin) + "</code>";
  if (!in.agency_kind.empty()) out += " · " + AgencyKind(in.agency_kind, say);
  out += "</div></div><div class=\"who\">";
  out += say("<a href=\"?lang=en\" id=\"switch\">English</a>", "<a href=\"?lang=zh\" id=\"switch\">中文</a>");
  out += "</div></header><main><p class=\"muted\" id=\"generated\">";
  out += say("生成于 ", "Generated at ") + FormatBeijing(in.now_ms);
  out += say("（北京时间）；每 10 秒刷新。", " (Beijing time); refreshes every 10 s.");
  out += "</p>";
  Alarms(out, in, say);
  LogsTable(out, in, say);
  PeersTable(out, in, say);
  out += "</main><footer>";
  out += say("机读接口：", "For machines: ");
  out += "<a href=\"/v1/logs\">/v1/logs</a> · <a href=\"/healthz\">/healthz</a> · <a href=\"/readyz\">/readyz</a>";
  for (const auto& log : in.logs) {
    out += " · <a href=\"/tlog/" + Escape(log.origin) + "/checkpoint\"><code>/tlog/" + Escape(log.origin) +
           "/checkpoint</code></a>";
  }
  out += "</footer></body></html>\n";
  return out;
}

}  // namespace custos::node
