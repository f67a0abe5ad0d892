// The seed of a randomised crypto test: CUSTOS_TEST_SEED from the environment
// if set (to replay a failure), else a fixed default. Printed either way.
#pragma once

#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <string>

namespace custos::testing {

inline uint64_t TestSeed(const char* test_name, uint64_t fallback) {
  uint64_t seed = fallback;
  if (const char* env = std::getenv("CUSTOS_TEST_SEED")) seed = std::stoull(env);
  std::cout << test_name << ": seed " << seed << " (replay with CUSTOS_TEST_SEED=" << seed << ")\n";
  return seed;
}

}  // namespace custos::testing
