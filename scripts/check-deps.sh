#!/usr/bin/env bash
# Checks that the layers point one way (docs: each folder's README.md).
#
#   folder             may include (of ours), and link the same (custos::…)
#   crypto/            crypto/
#   schema/            schema/, crypto/
#   ledger/tlog/       ledger/tlog/, schema/, crypto/
#   ledger/storage/    ledger/storage/ and the rooms above it in this table (tlog), schema/, crypto/
#   ledger/admission/  itself, storage, tlog, schema/, crypto/
#   ledger/listings/   itself, admission, storage, tlog, …
#   ledger/rules/      itself, listings, admission, storage, tlog, …
#   ledger/personal/   itself, rules, listings, admission, storage, tlog, …
#   ledger/log/        itself, personal, rules, listings, admission, storage, tlog, …
#   ledger/query/      itself, rules, listings, admission, storage, tlog, …  (not log, personal)
#   trust/             trust/, every ledger room, schema/, crypto/
#   cli/, node/        anything of ours
#
# ledger/'s code lives in its rooms: a source file directly in ledger/ is refused,
# and so is an include of "ledger/x.h" (name the room). A room links
# custos::ledger_<room>; custos::ledger (every room) is for the layers above.
#
# and that nothing in trust/, ledger/ (or below them) includes networking, RPC or
# command-line headers: sockets, Asio, Beast, kj/async*, capnp/rpc*, capnp/ez-rpc,
# TLS (openssl/ssl.h) or CLI11.
#
# "Of ours" is an include whose first path component is one of our folders
# (crypto, schema, ledger, trust, node, cli). An include that climbs out with "../" is
# refused everywhere: name the folder instead. Test files (*_test.cc) may also
# include tests/ helpers.
#
# Usage: scripts/check-deps.sh [ROOT]     check the tree at ROOT (default: repo)
#        scripts/check-deps.sh --self-test  check that the checker catches faults
# Exit status: 0 clean, 1 a rule is broken, 2 bad usage.
# Registered with CTest as "layering" and "layering_self_test" (tests/layering.cmake).
set -euo pipefail

OURS=(crypto schema ledger trust node cli)
ROOMS=(tlog storage admission listings rules personal log query)
LAYERS=(crypto schema "${ROOMS[@]/#/ledger/}" trust node cli)

# Sets the array `allowed` to what LAYER may include. (No subshell.)
allowed_for() {
  local base="schema crypto"
  case "$1" in
    crypto) read -r -a allowed <<<"crypto" ;;
    schema) read -r -a allowed <<<"schema crypto" ;;
    ledger/tlog) read -r -a allowed <<<"ledger/tlog $base" ;;
    ledger/storage) read -r -a allowed <<<"ledger/storage ledger/tlog $base" ;;
    ledger/admission) read -r -a allowed <<<"ledger/admission ledger/storage ledger/tlog $base" ;;
    ledger/listings) read -r -a allowed <<<"ledger/listings ledger/admission ledger/storage ledger/tlog $base" ;;
    ledger/rules) read -r -a allowed <<<"ledger/rules ledger/listings ledger/admission ledger/storage ledger/tlog $base" ;;
    ledger/personal) read -r -a allowed <<<"ledger/personal ledger/rules ledger/listings ledger/admission ledger/storage ledger/tlog $base" ;;
    ledger/log) read -r -a allowed <<<"ledger/log ledger/personal ledger/rules ledger/listings ledger/admission ledger/storage ledger/tlog $base" ;;
    ledger/query) read -r -a allowed <<<"ledger/query ledger/rules ledger/listings ledger/admission ledger/storage ledger/tlog $base" ;;
    trust) read -r -a allowed <<<"trust ledger ${ROOMS[*]/#/ledger/} $base" ;;
    cli|node) read -r -a allowed <<<"${OURS[*]} ${ROOMS[*]/#/ledger/}" ;;
  esac
}

# Sets `layer` to the layer an include of ours names: its folder, or
# ledger/<room>. (No subshell: it runs for every include.)
layer_of_include() {
  local first=${1%%/*} rest=${1#*/}
  if [[ "$first" == ledger && "$rest" == */* ]]; then
    layer="ledger/${rest%%/*}"
  else
    layer=$first
  fi
}

# Sets `layer` to the layer a link custos::NAME names: custos::ledger_log is
# ledger/log, custos::schema_rpc belongs to schema/, custos::ledger is every room.
layer_of_target() {
  case "$1" in
    ledger) layer=ledger ;;
    ledger_*) layer="ledger/${1#ledger_}" ;;
    *) layer=${1%%_*} ;;
  esac
}

# Headers that mean "network, RPC or command line"; matched against the path
# inside <> or "" in the layers that must not know about them.
FORBIDDEN_BELOW_NODE='^(sys/socket\.h|netinet/|arpa/inet\.h|netdb\.h|sys/un\.h|asio\.hpp|asio/|boost/asio|boost/beast|kj/async|capnp/rpc|capnp/ez-rpc|openssl/ssl\.h|CLI/|CLI11\.hpp)'

is_ours() {
  local first=${1%%/*} f
  [[ "$first" == "$1" ]] && return 1
  for f in "${OURS[@]}"; do [[ "$first" == "$f" ]] && return 0; done
  return 1
}

contains() {
  local needle=$1 w
  shift
  for w in "$@"; do [[ "$w" == "$needle" ]] && return 0; done
  return 1
}

# check_tree ROOT: prints each violation as "file:line: message" and returns
# the number of violations (capped at 1 for the exit status).
check_tree() {
  local root=$1 violations=0 files=0 layer file line hdr target allowed
  if [[ -d "$root/ledger" ]]; then
    while IFS= read -r -d '' file; do
      echo "${file#"$root"/}: ledger/'s code lives in its rooms (ledger/<room>/); move it into one"
      violations=$((violations + 1))
    done < <(find "$root/ledger" -maxdepth 1 -type f \( -name '*.h' -o -name '*.cc' \) -print0 | sort -z)
  fi
  local here linked
  for here in "${LAYERS[@]}"; do
    layer=$here
    [[ -d "$root/$layer" ]] || continue
    allowed_for "$layer"
    # One grep per layer (not per file): "file:line:text" for every #include.
    local sources=()
    while IFS= read -r -d '' file; do sources+=("$file"); done \
      < <(find "$root/$layer" -type f \( -name '*.h' -o -name '*.hh' -o -name '*.hpp' \
            -o -name '*.cc' -o -name '*.cpp' -o -name '*.c++' -o -name '*.c' \) -print0 | sort -z)
    files=$((files + ${#sources[@]}))
    local record rel text include_re='^[[:space:]]*#[[:space:]]*include[[:space:]]*[<"]([^>"]+)[>"]'
    while IFS= read -r record; do
      file=${record%%:*}
      text=${record#*:}
      line=${text%%:*}
      text=${text#*:}
      [[ "$text" =~ $include_re ]] || continue
      hdr=${BASH_REMATCH[1]}
      rel=${file#"$root"/}
      if [[ "$hdr" == ../* || "$hdr" == */../* ]]; then
        echo "$rel:$line: include \"$hdr\" climbs out of the folder; name the folder instead"
        violations=$((violations + 1))
        continue
      fi
      if is_ours "$hdr"; then
        layer_of_include "$hdr"
        target=$layer
        layer=$here
        if [[ "$target" == ledger ]]; then
          echo "$rel:$line: include \"$hdr\" names no room of ledger/; name it (ledger/<room>/…)"
          violations=$((violations + 1))
        elif ! contains "$target" "${allowed[@]}"; then
          echo "$rel:$line: $layer/ may not include $target/ (\"$hdr\"); allowed: ${allowed[*]}"
          violations=$((violations + 1))
        fi
      elif [[ "$hdr" == tests/* && "$rel" == *_test.cc ]]; then
        :
      elif [[ "$layer" =~ ^(crypto|schema|ledger/[a-z]+|trust)$ && "$hdr" =~ $FORBIDDEN_BELOW_NODE ]]; then
        echo "$rel:$line: $layer/ may not know about networks, RPC or command lines (\"$hdr\")"
        violations=$((violations + 1))
      fi
    done < <([[ ${#sources[@]} -eq 0 ]] || grep -HnE '^[[:space:]]*#[[:space:]]*include' "${sources[@]}" || true)

    # The CMake targets must say the same as the includes. A folder's extra
    # targets are named after it (custos::schema_rpc belongs to schema/).
    if [[ -f "$root/$layer/CMakeLists.txt" ]]; then
      while IFS=: read -r line target; do
        layer_of_target "$target"
        linked=$layer
        layer=$here
        if ! contains "$linked" "${allowed[@]}"; then
          echo "$layer/CMakeLists.txt:$line: $layer links custos::$target; allowed: ${allowed[*]}"
          violations=$((violations + 1))
        fi
      done < <(sed 's/#.*//' "$root/$layer/CMakeLists.txt" \
                 | grep -noE 'custos::[a-z_]+' | sed -E 's/custos::([a-z_]+)/\1/' || true)
    fi
  done
  if [[ $violations -gt 0 ]]; then
    echo "layering: $violations violation(s) in $files file(s)"
    return 1
  fi
  echo "layering: $files file(s) checked, OK"
}

# self_test: plants each kind of fault in a scratch tree and checks that the
# checker finds it, and that a clean tree passes.
self_test() {
  local tmp failures=0
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' RETURN
  mkdir -p "$tmp"/{crypto,schema,ledger/tlog,ledger/storage,ledger/log,ledger/query,trust,cli,node}
  printf '#include "crypto/sha256.h"\n#include <openssl/evp.h>\n' >"$tmp/crypto/a.cc"
  printf '#include "crypto/bytes.h"\n#include "schema/custos.capnp.h"\n' >"$tmp/schema/b.cc"
  printf '#include "schema/json.h"\n#include "crypto/note.h"\n#include "ledger/tlog/merkle.h"\n#include <leveldb/db.h>\n' \
    >"$tmp/ledger/storage/c.cc"
  printf '#include "ledger/storage/store.h"\n#include "ledger/tlog/merkle.h"\n' >"$tmp/ledger/log/f.cc"
  printf '#include "ledger/query/bundle.h"\n#include "schema/json.h"\n#include "crypto/note.h"\n' >"$tmp/trust/d.cc"
  printf '#include "ledger/log/log.h"\n#include "trust/federation.h"\n#include <CLI/CLI.hpp>\n#include <kj/async-io.h>\n' \
    >"$tmp/cli/main.cc"
  printf '#include "trust/federation_config.h"\n#include <kj/async-io.h>\n' >"$tmp/node/e.cc"
  printf 'custos_library(ledger_storage DEPS custos::ledger_tlog custos::crypto) # not custos::cli\n' \
    >"$tmp/ledger/storage/CMakeLists.txt"
  printf 'custos_library(trust DEPS custos::ledger custos::ledger_log)\n' >"$tmp/trust/CMakeLists.txt"
  if ! check_tree "$tmp" >/dev/null; then
    echo "self-test: a clean tree was refused:"; check_tree "$tmp" || true
    failures=$((failures + 1))
  fi

  # Each case: file, line to add, text the report must contain.
  local cases=(
    'crypto/x.h|#include "schema/custos.capnp.h"|crypto/ may not include schema/'
    'crypto/x.cc|  #  include "ledger/log/log.h"|crypto/ may not include ledger/'
    'schema/x.h|#include "ledger/tlog/merkle.h"|schema/ may not include ledger/tlog/'
    'ledger/storage/x.cc|#include "cli/args.h"|ledger/storage/ may not include cli/'
    'ledger/log/x.h|#include "node/server.h"|ledger/log/ may not include node/'
    'ledger/storage/x.cc|#include <sys/socket.h>|may not know about networks'
    'ledger/log/x.cc|#include <boost/asio.hpp>|may not know about networks'
    'ledger/query/x.cc|#include <boost/beast/http.hpp>|may not know about networks'
    'ledger/tlog/x.cc|#include <kj/async-io.h>|may not know about networks'
    'ledger/log/x.cc|#include <capnp/rpc-twoparty.h>|may not know about networks'
    'ledger/storage/x.cc|#include <CLI/CLI.hpp>|may not know about networks'
    'ledger/log/x.h|#include "trust/federation.h"|ledger/log/ may not include trust/'
    'ledger/storage/x.h|#include "ledger/log/log.h"|ledger/storage/ may not include ledger/log/'
    'ledger/tlog/x.cc|#include "ledger/storage/layout.h"|ledger/tlog/ may not include ledger/storage/'
    'ledger/query/x.cc|#include "ledger/log/replica.h"|ledger/query/ may not include ledger/log/'
    'ledger/x.cc|#include "crypto/bytes.h"|lives in its rooms'
    'trust/x.cc|#include "ledger/store.h"|names no room of ledger/'
    'trust/x.cc|#include "node/config.h"|trust/ may not include node/'
    'trust/x.h|#include "cli/common.h"|trust/ may not include cli/'
    'trust/x.cc|#include <sys/socket.h>|may not know about networks'
    'trust/x.cc|#include <capnp/ez-rpc.h>|may not know about networks'
    'trust/x.cc|#include <openssl/ssl.h>|may not know about networks'
    'trust/CMakeLists.txt|target_link_libraries(x custos::node)|trust links custos::node'
    'crypto/x.cc|#include "../ledger/log/log.h"|climbs out'
    'ledger/storage/CMakeLists.txt|target_link_libraries(x custos::cli)|ledger/storage links custos::cli'
    'ledger/storage/CMakeLists.txt|target_link_libraries(x custos::ledger_rules)|ledger/storage links custos::ledger_rules'
    'ledger/query/CMakeLists.txt|target_link_libraries(x custos::ledger)|ledger/query links custos::ledger'
  )
  local c file add want out
  for c in "${cases[@]}"; do
    IFS='|' read -r file add want <<<"$c"
    cp "$tmp/$file" "$tmp/$file.orig" 2>/dev/null || : >"$tmp/$file.orig"
    printf '%s\n' "$add" >>"$tmp/$file"
    if out=$(check_tree "$tmp"); then
      echo "self-test: not caught: $file: $add"
      failures=$((failures + 1))
    elif [[ "$out" != *"$want"* ]]; then
      echo "self-test: caught, but the report lacks '$want': $out"
      failures=$((failures + 1))
    fi
    mv "$tmp/$file.orig" "$tmp/$file"
    [[ -s "$tmp/$file" ]] || rm -f "$tmp/$file"
  done
  echo "layering self-test: $(( ${#cases[@]} + 1 - failures )) passed, $failures failed"
  [[ $failures -eq 0 ]]
}

case "${1:-}" in
  --self-test) self_test ;;
  -h|--help) sed -n '2,24p' "$0" | sed 's/^# \{0,1\}//' ;;
  -*) echo "check-deps.sh: unknown option $1" >&2; exit 2 ;;
  *)
    root=${1:-"$(cd "$(dirname "$0")/.." && pwd)"}
    [[ -d "$root" ]] || { echo "check-deps.sh: no such folder: $root" >&2; exit 2; }
    check_tree "$(cd "$root" && pwd)"
    ;;
esac
