// The node's log lines: spdlog to standard error, every line naming the
// node's origin, e.g.
//   2024-07-03T09:46:40.123+0000 info [suzhou-ipb.example/custos] listening on 127.0.0.1:7300
// Loggers are passed to the parts that log (no global logger).
#pragma once

#include <memory>
#include <string_view>

#include "crypto/status.h"

namespace spdlog {
class logger;
}  // namespace spdlog

namespace custos::node {

// A logger writing to standard error at `level` (trace, debug, info, warn,
// error); InvalidArgument for another level name.
Result<std::shared_ptr<spdlog::logger>> NewNodeLogger(std::string_view origin, std::string_view level);

// A logger that drops everything (tests).
std::shared_ptr<spdlog::logger> NewNullLogger();

}  // namespace custos::node
