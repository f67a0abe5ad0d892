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

# docs/openapi.yaml: every field it requires is in the live answers.
# openapi_fields PATH=FILE...: each FILE holds a 200 answer of PATH.
openapi_fields() {
  python3 - "$REPO/docs/openapi.yaml" "$@" <<'PY'
import json, sys, yaml
spec = yaml.safe_load(open(sys.argv[1]))
schemas = spec["components"]["schemas"]
def check(value, schema, where):
    if "$ref" in schema:
        schema = schemas[schema["$ref"].split("/")[-1]]
    if schema.get("type") == "object":
        missing = [k for k in schema.get("required", []) if k not in value]
        assert not missing, f"{where}: missing {missing}"
        for k, sub in schema.get("properties", {}).items():
            if k in value and value[k] is not None:
                check(value[k], sub, f"{where}.{k}")
    if schema.get("type") == "array":
        for i, item in enumerate(value):
            check(item, schema["items"], f"{where}[{i}]")
for arg in sys.argv[2:]:
    path, file = arg.split("=", 1)
    if path == "problem":
        schema = {"$ref": "#/components/schemas/Problem"}
    else:
        method = "post" if path == "/v1/listings/{kind}" else "get"
        schema = spec["paths"][path][method]["responses"]["200"]["content"]["application/json"]["schema"]
    check(json.load(open(file)), schema, path)
PY
}
