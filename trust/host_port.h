// A peer's or a listener's network address as the configuration files write
// it: "host:port" or "[v6 address]:port". Only the text form: nothing here
// resolves or connects (node/ does that).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "crypto/status.h"

namespace custos::trust {

struct HostPort {
  std::string host;  // without brackets
  uint16_t port = 0;

  std::string ToString() const;  // brackets a host that holds ':'
};

// InvalidArgument naming `field` if `text` is not HOST:PORT with a decimal
// port in 1..65535 (0..65535 with allow_port_zero: port 0 means "any free
// port", which only a listen address may ask for).
Result<HostPort> ParseHostPort(std::string_view text, std::string_view field, bool allow_port_zero = false);

}  // namespace custos::trust
