#include "node/logging.h"

#include <spdlog/sinks/null_sink.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <string>

namespace custos::node {

Result<std::shared_ptr<spdlog::logger>> NewNodeLogger(std::string_view origin, std::string_view level_name) {
  auto level = spdlog::level::from_str(std::string(level_name));
  // from_str answers "off" for a name it does not know.
  if (level == spdlog::level::off || level == spdlog::level::critical) {
    return Status::InvalidArgument("log level \"" + std::string(level_name) +
                                   "\" is not one of trace, debug, info, warn, error");
  }
  // Not registered in spdlog's global registry: the logger belongs to its node.
  auto logger = std::make_shared<spdlog::logger>(std::string(origin), std::make_shared<spdlog::sinks::stderr_sink_mt>());
  logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e%z %l [%n] %v");
  logger->set_level(level);
  logger->flush_on(spdlog::level::trace);
  return logger;
}

std::shared_ptr<spdlog::logger> NewNullLogger() {
  return std::make_shared<spdlog::logger>("null", std::make_shared<spdlog::sinks::null_sink_mt>());
}

}  // namespace custos::node
