# shellcheck shell=bash
# Sourced by the shell libraries that call python3 (scripts/lib/federation.sh,
# tests/lib.sh). Calls go to Debian's interpreter, which scripts/install-deps.sh
# installs, when it is there: a version manager's shim first in PATH (pyenv's
# is a shell script) costs ~0.8 s a call against ~0.02 s, and an end-to-end
# test makes hundreds of calls.
if [[ -x /usr/bin/python3 ]]; then
  python3() { /usr/bin/python3 "$@"; }
fi
