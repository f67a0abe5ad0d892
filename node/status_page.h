// The node's status page, GET / (docs/http-api.md, "Status page"): one HTML
// page with its CSS inline — no scripts, fonts or images from anywhere, as
// agencies' networks are closed — in Chinese by default, English with
// ?lang=en; every time in Beijing time with the zone shown. It shows the
// node's own log and every replica (size, checkpoint, the cosignatures on
// it), every peer (connected, held and announced sizes, lag, last contact,
// last error) and any alarm. Pure: the caller gathers what it shows.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "node/metrics.h"

namespace custos::node {

enum class PageLanguage { kChinese, kEnglish };

struct StatusLog {
  std::string origin;
  bool own = false;         // the node's own log, or a replica
  uint64_t size = 0;        // entries held
  std::string checkpoint;   // the latest signed note with the cosignatures held; "" if none
};

struct StatusPageInput {
  std::string origin;       // the node's own log
  std::string agency_kind;  // of the node, from the federation file ("" if not in it)
  std::vector<StatusLog> logs;
  LoopState loop;           // peers, alarms, connections
  std::string damage;       // the store's damage, "" if none
  int64_t now_ms = 0;
};

// The whole page (UTF-8 HTML5).
std::string RenderStatusPage(const StatusPageInput& in, PageLanguage lang);

}  // namespace custos::node
