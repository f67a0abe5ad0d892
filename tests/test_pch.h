// The headers nearly every test file includes, precompiled once and reused by
// every GoogleTest target (tests/CMakeLists.txt, docs/testing.md): parsing
// them was about 3.5 s of a 5 s compile of one test file under the
// sanitizers. Third-party and standard headers only, so that a change to the
// project's own headers never rebuilds the precompiled header.
#pragma once

#include <gtest/gtest.h>

#include <capnp/dynamic.h>
#include <capnp/message.h>
#include <capnp/serialize.h>
#include <kj/async-io.h>
#include <kj/async.h>
#include <kj/exception.h>
#include <leveldb/db.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <variant>
#include <vector>
