# A test-only interface for tests/node/tls_test.cc: Cap'n Proto RPC over the
# TLS streams of node/tls.h.
@0x961e64aa1be5bd42;

using Cxx = import "/capnp/c++.capnp";
$Cxx.namespace("custos::node::test");

interface TlsTestEcho {
  # Returns what it is given.
  echo @0 (data :Data) -> (data :Data);
}
