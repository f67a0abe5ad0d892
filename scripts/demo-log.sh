#!/usr/bin/env bash
# The single-log walkthrough, offline (no node): installs what is missing,
# builds, then makes keys, creates a log, appends every example statement,
# proves one entry and checks the proof offline, printing what a person should
# look at along the way. (scripts/demo.sh is the federation walkthrough.)
#
# Usage: scripts/demo-log.sh        (everything happens in a fresh temp folder,
#                                    which is printed and left for you to look at)
#        CUSTOS_DEMO_NO_BUILD=1 scripts/demo-log.sh   skip install and build
#        CUSTOS=/path/to/custos scripts/demo-log.sh   use another binary (no build)
#        CUSTOS_DEMO_REMOVE=1 scripts/demo-log.sh     remove the folder after a success
# Exit status: 0 when every step did what it should, 1 otherwise.
set -Eeuo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"

ORIGIN="suzhou-ipb.example/custos"
# The committed example officer key (examples/keys/officer.key) has this public
# key; examples/key-grant.json grants it its roles.
OFFICER_PUB=2289e2ac94b4ae603249716db691931571a2c8093619203fa996e4b203fd2427

# shellcheck source=lib/demo.sh
source "$repo/scripts/lib/demo.sh"

# ------------------------------------------------------------------ build

if [[ -n "${CUSTOS:-}" ]]; then
  bin=$CUSTOS
else
  bin=$repo/build/cli/custos
  if [[ -z "${CUSTOS_DEMO_NO_BUILD:-}" ]]; then
    step "install what is missing, build (release)"
    bash scripts/install-deps.sh
    bash scripts/build.sh release
  fi
fi
[[ -x "$bin" ]] || fail "no custos binary at $bin"
custos() { "$bin" "$@"; }

# hex_of_vkey VKEY: the Ed25519 public key, in hex, inside a verifier key string
# name+hhhhhhhh+base64(0x01 || pub). The name never contains '+'.
hex_of_vkey() {
  local rest=${1#*+}
  rest=${rest#*+}
  printf '%s' "$rest" | base64 -d | od -An -v -tx1 | tr -d ' \n' | sed 's/^01//'
}
# b64_of_hex HEX: the same bytes in base64.
b64_of_hex() { printf '%b' "$(printf '%s' "$1" | sed 's/../\\x&/g')" | base64 -w0; }
# hex_of_b64 B64: the same bytes in hex.
hex_of_b64() { printf '%s' "$1" | base64 -d | od -An -v -tx1 | tr -d ' \n'; }

# fill_refs FILE MAP: FILE with the leafHash of each reference to an entry
# ("index": N, then "leafHash": "...") replaced by the real leaf hash of entry N
# from MAP ("N=hex N=hex ..."). The example files carry placeholders there
# (examples/README.md, "References to other entries").
fill_refs() {
  awk -v map="$2" '
    BEGIN { n = split(map, kv, " "); for (i = 1; i <= n; i++) { split(kv[i], p, "="); h[p[1]] = p[2] } }
    {
      if (match($0, /"index": *"?[0-9]+/)) { idx = substr($0, RSTART, RLENGTH); gsub(/[^0-9]/, "", idx) }
      if (idx != "" && (idx in h) && match($0, /"leafHash": *"[0-9a-fA-F]+"/)) {
        $0 = substr($0, 1, RSTART - 1) "\"leafHash\": \"" h[idx] "\"" substr($0, RSTART + RLENGTH)
        idx = ""
      }
      print
    }' "$1"
}

# examples_in_order: the example statements other than key grants, in the order
# examples/README.md names them, then any it does not name (custody before
# cases before listings, as a case's life goes).
examples_in_order() {
  local -a all=() named=() fallback=(
    evidence-registered custody-transferred custody-received evidence-examined
    evidence-disposed case-opened case-referred referral-answered case-decided
    case-closed clue-shared subject-listed subject-delisted)
  local f n
  for f in examples/*.json; do
    n=$(basename "$f" .json)
    case "$n" in key-grant|key-revoke|genesis) continue ;; esac
    all+=("$n")
  done
  if [[ -f examples/README.md ]]; then
    while read -r n; do named+=("$n"); done < <(
      grep -oE '[a-z0-9][a-z0-9-]*\.json' examples/README.md | sed 's/\.json$//' | awk '!seen[$0]++')
  fi
  named+=("${fallback[@]}")
  local -A done_=()
  for n in "${named[@]}" "${all[@]}"; do
    [[ -n "${done_[$n]:-}" || ! -f "examples/$n.json" ]] && continue
    case "$n" in key-grant|key-revoke|genesis) continue ;; esac
    # A statement for another agency's log (the police's answer to the
    # referral) belongs in that log: docs/rules.md.
    [[ "$(grep -m1 -oE '"origin": *"[^"]*"' "examples/$n.json" | cut -d'"' -f4)" == "$ORIGIN" ]] || continue
    done_[$n]=1
    echo "$n"
  done
}

# ------------------------------------------------------------------ the walkthrough

work=$(mktemp -d -t custos-demo.XXXXXX)
step "a fresh folder"
echo "   $work"
say "Everything below happens in this folder: keys, the log's database, the" \
  "proof files. It is left in place afterwards so that you can look at it."
cd "$work"
ln -s "$repo/examples" examples
data=log

step "keys"
say "Each key file holds an Ed25519 private key and is written with mode 0600." \
  "What 'key generate' prints is the verifier key string:" \
  "name+<4-byte key id in hex>+base64(0x01 || public key), the C2SP signed-note" \
  "form that Go's golang.org/x/mod/sumdb/note reads. The node's key is named" \
  "after the log origin, because a checkpoint's signature line carries that name."
# Each verifier key string is also kept in a .vkey file beside its key.
keep node.vkey custos key generate --name "$ORIGIN" --out node.key
node_vkey=$(<node.vkey) && echo "$node_vkey"
keep admin.vkey custos key generate --name admin.suzhou-ipb.example --out admin.key
admin_vkey=$(<admin.vkey) && echo "$admin_vkey"
show install -m 600 examples/keys/officer.key officer.key
keep officer.vkey custos key show --key officer.key
officer_vkey=$(<officer.vkey) && echo "$officer_vkey"
[[ "$(stat -c %a node.key)" == 600 && "$(stat -c %a admin.key)" == 600 ]] \
  || fail "a generated key file is not mode 0600"
[[ "$(hex_of_vkey "$officer_vkey")" == "$OFFICER_PUB" ]] \
  || fail "examples/keys/officer.key is not the key that examples/key-grant.json grants"
say "Look at: the three strings differ only in name, key id and key; the" \
  "officer's public key is $OFFICER_PUB, the one examples/key-grant.json grants."

step "create the log"
say "The genesis entry (index 0) names the origin, the node key and the first" \
  "admin key. Only an admin may grant roles to other keys."
show custos log init --data "$data" --origin "$ORIGIN" --node-key node.key --admin "$admin_vkey"
say "Look at: the log's verifier key is the node key's string from step 2. It is" \
  "all a verifier needs to trust: every checkpoint of this log is signed with it."

step "grant the officer its roles (signed by the admin)"
say "Each submission prints '<index> <base64 leaf hash>': the entry's place in" \
  "the log and SHA-256(0x00 || entry bytes), the RFC 6962 leaf hash."
keep grant.out custos submit --data "$data" --key admin.key --statement examples/key-grant.json
cat grant.out

step "append the examples (signed by the officer)"
say "The node checks each signature, that the officer's key holds the role for" \
  "that kind of statement, and every identifier (credit codes, resident ids," \
  "patent numbers), then appends it after the previous entry's hash."
say "Three files refer to earlier entries by (origin, index, leaf hash); the" \
  "examples carry placeholder hashes there, so each is first copied into" \
  "statements/ with the real leaf hash from the receipt of the entry it names."
declare -A index_of=() leaf_of=()
leaf_map=""
remember() { leaf_map+=" $1=$(hex_of_b64 "$2")"; }
read -r idx leaf <"grant.out"
remember "$idx" "$leaf"
mkdir -p statements
while read -r name; do
  file="examples/$name.json"
  if grep -q '"leafHash"' "$file"; then
    fill_refs "$file" "$leaf_map" >"statements/$name.json"
    file="statements/$name.json"
    ref=$(grep -oE '"index": *"?[0-9]+' "$file" | head -n1 | tr -dc 0-9)
    new=$(grep -oE '"leafHash": *"[0-9a-fA-F]+"' "$file" | head -n1 | cut -d'"' -f4)
    echo "   $name refers to entry $ref: leafHash set to $new"
  fi
  keep submit.out custos submit --data "$data" --key officer.key --statement "$file"
  out=$(<submit.out)
  printf '%s   %s(%s)%s\n' "$out" "$D" "$name" "$N"
  read -r idx leaf <<<"$(tail -n1 <<<"$out")"
  [[ "$idx" =~ ^[0-9]+$ && -n "$leaf" ]] || fail "submit did not print '<index> <leaf hash>': $out"
  index_of[$name]=$idx
  leaf_of[$name]=$leaf
  remember "$idx" "$leaf"
done < <(examples_in_order)
[[ ${#index_of[@]} -gt 0 ]] || fail "no example statements found in examples/"
if [[ -f examples/key-revoke.json ]]; then
  say "Last, the admin revokes a key (another officer's, whose device was lost):" \
    "from this entry on, that key can no longer append."
  show custos submit --data "$data" --key admin.key --statement examples/key-revoke.json
fi

step "the checkpoint"
show custos checkpoint --data "$data" | tee checkpoint.txt
say "Look at: line 1 is the origin, line 2 the number of entries (the tree" \
  "size), line 3 the base64 Merkle root over all leaf hashes. After the blank" \
  "line, the signature line: '— <key name> base64(key id || Ed25519 signature)'," \
  "made with the node key. Anyone with the node's verifier key string can check it."
[[ "$(sed -n 1p checkpoint.txt)" == "$ORIGIN" ]] || fail "checkpoint line 1 is not the origin"
grep -q "^— $ORIGIN " checkpoint.txt || fail "checkpoint has no signature line by $ORIGIN"

# The entry we prove: registered evidence if there is one, else the first example.
pick=evidence-registered
[[ -n "${index_of[$pick]:-}" ]] || pick=$(examples_in_order | head -n1)
i=${index_of[$pick]}

step "one entry, as JSON ($pick, index $i)"
show custos entry --data "$data" --index "$i" --json
say "Look at: the index, prevHash (the leaf hash of entry $((i - 1)), which makes" \
  "the log a hash chain), logTime, and the submission: the statement, the" \
  "author's key and signature."
show_to entry.bin custos entry --data "$data" --index "$i"
echo "   ($(stat -c %s entry.bin) bytes of canonical Cap'n Proto written to entry.bin)"
hex=$({ printf '\0'; cat entry.bin; } | sha256sum | cut -d' ' -f1)
computed=$(b64_of_hex "$hex")
say "The leaf hash, computed here with nothing but sha256sum over 0x00 || entry.bin:"
echo "   $computed"
[[ "$computed" == "${leaf_of[$pick]}" ]] \
  || fail "leaf hash of entry.bin ($computed) differs from what submit printed (${leaf_of[$pick]})"
say "Look at: it is the same as the one 'submit' printed for $pick."

step "prove the entry's inclusion"
show_to entry.tlog-proof custos prove inclusion --data "$data" --index "$i"
cat entry.tlog-proof
say "A c2sp.org/tlog-proof@v1 file: the index, the Merkle audit path (one base64" \
  "hash per line, RFC 9162), and the signed checkpoint it leads to. With" \
  "entry.bin it is all a court needs: no network, no access to the node."

step "verify offline"
show custos verify --vkey "$node_vkey" --proof entry.tlog-proof --entry entry.bin | tee verify.out
grep -q '^OK' verify.out || fail "custos verify did not print OK"
say "Look at: OK. It hashed entry.bin into the leaf hash, walked the audit path" \
  "to the root, and checked the root against the checkpoint signed by the key" \
  "given with --vkey."

step "a consistency proof"
size=$(sed -n 2p checkpoint.txt)
old=$((size > 2 ? size / 2 : 1))
show custos prove consistency --data "$data" --old "$old"
say "These hashes prove that the tree of $old entries is a prefix of the tree of" \
  "$size: nothing that was in the log then has been changed or removed since."

step "check the whole log"
show custos log verify --data "$data"
say "This re-checks every entry: the hash chain, every author signature, every" \
  "authority decision, the Merkle tree and the checkpoint signature."

step "a tampered proof is rejected"
# Change one character of the first audit-path hash (the first base64 hash line
# before the checkpoint); if the path is empty, change the entry instead.
cp entry.tlog-proof tampered.tlog-proof
cp entry.bin tampered.bin
line=$(grep -nE '^[A-Za-z0-9+/]{43}=$' entry.tlog-proof | head -n1 | cut -d: -f1 || true)
blank=$(grep -n '^$' entry.tlog-proof | head -n1 | cut -d: -f1 || true)
if [[ -n "$line" && "$line" -lt "${blank:-999999}" ]]; then
  new=A
  if [[ "$(sed -n "${line}p" entry.tlog-proof | cut -c1)" == A ]]; then new=B; fi
  sed -i "${line}s/^./$new/" tampered.tlog-proof
  say "Changed one character of line $line of the proof (an audit-path hash):"
  diff entry.tlog-proof tampered.tlog-proof | sed 's/^/   /' || true
else
  printf 'X' | dd of=tampered.bin bs=1 seek=$(( $(stat -c %s tampered.bin) - 1 )) conv=notrunc status=none
  say "The audit path is empty (a one-entry tree), so the entry's last byte was changed instead."
fi
rc=0
show custos verify --vkey "$node_vkey" --proof tampered.tlog-proof --entry tampered.bin || rc=$?
echo "   (exit status $rc)"
[[ $rc -eq 1 ]] || fail "custos verify on a tampered proof exited $rc, not 1 (verification failed)"
say "Look at: no OK this time, but the reason — the audit path no longer leads to" \
  "the signed root — and exit status 1, which means a verification failed."

trap - ERR
printf '\n%sdemo: all steps passed.%s The files are in %s\n' "$B" "$N" "$work"
[[ -z "${CUSTOS_DEMO_REMOVE:-}" ]] || rm -rf "$work"
