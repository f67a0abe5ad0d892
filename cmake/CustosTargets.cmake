# Helpers applied to every Custos target, so that warnings and sanitizers are
# decided in one place (as CCF's add_warning_checks() / add_san()).

function(custos_add_warnings target)
  target_compile_options(${target} PRIVATE
    -Wall -Wextra -Wpedantic -Werror
    -Wshadow -Wnon-virtual-dtor -Wcast-align -Wold-style-cast
    -Wimplicit-fallthrough)
  # GCC 12 at -O3 (the Release build scripts/bench.sh makes) reports
  # -Wrestrict inside libstdc++'s std::string concatenation (GCC PR 105329,
  # fixed in GCC 13): a false positive in <string>, not in this code.
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
    target_compile_options(${target} PRIVATE -Wno-restrict)
  endif()
  # Clang (the fuzz build, tests/fuzz) calls KJ_ASSERT_NONNULL's GNU statement
  # expression pedantic; the macro is KJ's.
  if(CMAKE_CXX_COMPILER_ID MATCHES "Clang")
    target_compile_options(${target} PRIVATE -Wno-gnu-statement-expression)
  endif()
endfunction()

function(custos_add_san target)
  if(CUSTOS_SANITIZE)
    target_compile_options(${target} PRIVATE
      -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer)
    target_link_options(${target} PRIVATE -fsanitize=address,undefined)
  endif()
endfunction()

# custos_san_at_O0(TARGET): in the sanitizer build, the target's own code is
# compiled at -O0 instead of -O1. For code whose speed the tests do not wait
# on (the tests themselves, the command line, test tools) and whose compile
# time they would: one cli/ file with the sanitizers took 16.7 s of CPU at
# -O0 and 26.7 s at -O1 (docs/testing.md).
function(custos_san_at_O0 target)
  if(CUSTOS_SANITIZE)
    target_compile_options(${target} PRIVATE -O0)
  endif()
endfunction()

# custos_library(NAME ALIAS SOURCES... [DEPS ...])
function(custos_library name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS;PRIVATE_DEPS" ${ARGN})
  add_library(${name} STATIC ${ARG_SOURCES})
  add_library(custos::${name} ALIAS ${name})
  # Unity builds (eight files per translation unit): the headers every file
  # of a library includes are parsed, and their inline code compiled, once per
  # unit instead of once per file (docs/testing.md).
  set_target_properties(${name} PROPERTIES OUTPUT_NAME custos_${name} UNITY_BUILD ON)
  target_include_directories(${name} PUBLIC ${PROJECT_SOURCE_DIR} ${PROJECT_BINARY_DIR})
  target_link_libraries(${name} PUBLIC ${ARG_DEPS} PRIVATE ${ARG_PRIVATE_DEPS})
  custos_add_warnings(${name})
  custos_add_san(${name})
  if(CUSTOS_FUZZ)
    target_compile_options(${name} PRIVATE -fsanitize=fuzzer-no-link)
  endif()
endfunction()

function(custos_executable name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS})
  custos_add_warnings(${name})
  custos_add_san(${name})
endfunction()
