#!/usr/bin/env bash
# Installs, with apt-get, the Debian 12 packages that Custos needs and that are
# not installed yet. Idempotent: when nothing is missing it prints nothing and
# touches nothing (no `apt-get update`).
#
# Usage: scripts/install-deps.sh
set -euo pipefail

# Everything the build, the tests and the walkthrough use. The golang ones are
# for the Go interop tests (golang.org/x/mod/sumdb/note and .../tlog), from
# Debian's own package rather than the network.
PACKAGES=(
  build-essential cmake ninja-build pkg-config ccache
  clang-14 libclang-rt-14-dev lld-14  # the sanitizer and libFuzzer build (scripts/build.sh san)
  libsodium-dev libleveldb-dev libsnappy-dev
  capnproto libcapnp-dev libssl-dev libboost-dev
  libcli11-dev libspdlog-dev nlohmann-json3-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  golang-go golang-golang-x-mod-dev
  tmux
  python3 jq  # the tests and scripts read JSON with them
  python3-yaml  # tests/node/http_test.sh reads docs/openapi.yaml
  curl        # the HTTP read plane tests (tests/node/http_test.sh)
)

is_installed() {
  [[ "$(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null || true)" == installed ]]
}

missing=()
for pkg in "${PACKAGES[@]}"; do
  is_installed "$pkg" || missing+=("$pkg")
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

SUDO=()
if [[ $(id -u) -ne 0 ]]; then
  if command -v sudo >/dev/null 2>&1; then
    SUDO=(sudo)
  else
    echo "install-deps: missing packages: ${missing[*]}" >&2
    echo "install-deps: not root and no sudo; install them by hand" >&2
    exit 1
  fi
fi

export DEBIAN_FRONTEND=noninteractive
echo "install-deps: installing ${missing[*]}"
"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive \
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "install-deps: done"
