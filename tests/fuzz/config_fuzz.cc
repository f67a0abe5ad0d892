// Fuzz target: the files an operator hands the node and the command line:
// a federation file, a node configuration, a data directory's custos.json
// and a HOST:PORT (trust/federation_config.h, node/config.h).
#include "node/config.h"
#include "tests/fuzz/fuzz.h"
#include "trust/federation_config.h"
#include "trust/host_port.h"

using namespace custos;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text = fuzz::TextOf(data, size);
  (void)trust::ParseFederation(text, "federation");
  (void)node::ParseNodeConfig(text, "config", "/etc/custos");
  (void)node::ParseDataDirInfo(text, "custos.json", "/data");
  (void)trust::ParseHostPort(text, "address");
  return 0;
}
