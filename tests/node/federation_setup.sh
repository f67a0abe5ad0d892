# Sourced by the end-to-end tests that start real custosd processes on
# 127.0.0.1 (listing, bundle, personal data, the three-node scenario):
#   set -uo pipefail
#   source "$(dirname "$0")/federation_setup.sh" CUSTOSD CUSTOS EXAMPLES_DIR
# Sets CUSTOSD and CUSTOS (absolute paths), EXAMPLES, REPO, TESTS_DIR and
# FED_DIR: a fresh folder, made the working directory, removed at exit with
# every node stopped (KEEP_WORK=1 keeps it, with each node's node.log, for a
# post-mortem). Loads scripts/lib/federation.sh and tests/lib.sh.
TESTS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
REPO=$(cd "$TESTS_DIR/.." && pwd)
CUSTOSD=$(realpath "$1")
CUSTOS=$(realpath "$2")
EXAMPLES=$(cd "$3" && pwd)
FED_DIR=$(mktemp -d)
# shellcheck source=../../scripts/lib/federation.sh
source "$REPO/scripts/lib/federation.sh"
trap fed_cleanup EXIT
cd "$FED_DIR" || exit 2
# shellcheck source=../lib.sh
source "$TESTS_DIR/lib.sh"
