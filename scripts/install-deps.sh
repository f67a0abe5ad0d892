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
  nginx-light # the same test serves published tiles with it (its own config, on 127.0.0.1)
  chromium fonts-noto-cjk  # it renders the status page headless (Chinese text needs the CJK fonts)
  python3-nacl  # clients/python verifies Ed25519 signatures with it
  libcairo2-dev libpango1.0-dev libqrencode-dev  # the verification report (cli/report): PDF, text layout, QR code
  poppler-utils zbar-tools  # the report's tests read its text (pdftotext), render its pages (pdftoppm), read its QR code (zbarimg)
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
# Packages with a service (nginx) must not start it: the tests run their own
# instances on 127.0.0.1, and a system nginx would listen on every address.
# A policy-rc.d that says "no" (exit 101) is in place during the install only,
# unless the machine has one of its own.
policy=/usr/sbin/policy-rc.d
own_policy=
if [[ ! -e $policy ]]; then
  own_policy=1
  printf '#!/bin/sh\nexit 101\n' | "${SUDO[@]}" tee "$policy" >/dev/null
  "${SUDO[@]}" chmod 755 "$policy"
fi
status=0
"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq || status=$?
if [[ $status -eq 0 ]]; then
  "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null || status=$?
fi
[[ -n $own_policy ]] && "${SUDO[@]}" rm -f "$policy"
[[ $status -eq 0 ]] || exit "$status"
echo "install-deps: done"
