#include "trust/host_port.h"

#include "ledger/tlog/checkpoint.h"

namespace custos::trust {

std::string HostPort::ToString() const {
  std::string h = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  return h + ":" + std::to_string(port);
}

Result<HostPort> ParseHostPort(std::string_view text, std::string_view field, bool allow_port_zero) {
  auto bad = [&](const std::string& why) {
    return Status::InvalidArgument(std::string(field) + ": \"" + std::string(text) + "\" is not HOST:PORT (" + why + ")");
  };
  size_t colon = text.rfind(':');
  if (colon == std::string_view::npos) return bad("no port");
  std::string_view host = text.substr(0, colon), port_text = text.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  else if (host.find(':') != std::string_view::npos) return bad("put an IPv6 address in brackets");
  if (host.empty()) return bad("empty host");
  if (host.find_first_of(" \t/[]") != std::string_view::npos) return bad("bad character in the host");
  uint64_t port = 0;
  if (!ParseDecimal(port_text, &port) || port > 65535) return bad("the port must be a number up to 65535");
  if (port == 0 && !allow_port_zero) return bad("port 0");
  return HostPort{std::string(host), static_cast<uint16_t>(port)};
}

}  // namespace custos::trust
