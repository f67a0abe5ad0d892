# shellcheck shell=bash
# Printing for the walkthroughs (scripts/demo.sh, scripts/demo-log.sh): numbered
# steps, short explanations, each command shown as a person would type it, and
# one clear line when a step does not do what it should. Set `work` to the
# walkthrough's folder (named in the failure message).

if [[ -t 1 ]]; then
  B=$'\e[1m' D=$'\e[2m' G=$'\e[32m' R=$'\e[31m' N=$'\e[0m'
else
  B='' D='' G='' R='' N=''
fi
step_no=0
current_step="setting up"
last_cmd=""

step() {
  step_no=$((step_no + 1))
  current_step="$step_no. $1"
  printf '\n%s== %s%s\n' "$B" "$current_step" "$N"
}
# say TEXT...: a short explanation of what to look at, wrapped and dimmed.
say() { printf '%s\n' "$*" | fold -s -w 78 | sed "s/^/   ${D}/; s/\$/${N}/"; }
# show CMD...: prints the command as a person would type it (on stderr, so
# that capturing or redirecting the output stays clean), then runs it.
show() { last_cmd="$*"; printf '%s$ %s%s\n' "$G" "$*" "$N" >&2; "$@"; }
# keep FILE CMD...: prints the command, runs it with its output kept in FILE
# (for the script to read; the person sees the output when the script prints it).
keep() {
  local file=$1
  shift
  last_cmd="$*"
  printf '%s$ %s%s\n' "$G" "$*" "$N" >&2
  "$@" >"$file"
}
# show_to FILE CMD...: prints the command with "> FILE", runs it into FILE.
show_to() {
  local file=$1
  shift
  last_cmd="$* > $file"
  printf '%s$ %s > %s%s\n' "$G" "$*" "$file" "$N" >&2
  "$@" >"$file"
}
fail() {
  printf '\n%sdemo: FAILED at step %s%s\n' "$R" "$current_step" "$N" >&2
  printf '%sdemo: %s%s\n' "$R" "$*" "$N" >&2
  printf 'demo: the files are left in %s\n' "${work:-?}" >&2
  exit 1
}
# In a subshell ($(...)), just pass the failure up; the main shell reports it.
trap 'rc=$?; [[ $BASHPID == "$$" ]] || exit "$rc"; fail "command failed (exit $rc): ${last_cmd:-$BASH_COMMAND}"' ERR

