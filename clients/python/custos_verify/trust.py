"""Whom a client trusts: the federation file that `custos --trust` reads
(trust/federation_config.cc, docs/node.md, examples/node/federation.json),
and the one rule for a checkpoint, as trust/federation.cc and
trust/witness_group.cc apply it:

1. the origin must be in the file, and its note key (alg 0x01) must have
   signed the note (every line by that key verifies, at least one);
2. the note's text must be a checkpoint whose origin line is that origin;
3. the witness policy: each peer it names cosigns with its note key as a
   cosignature/v1 key (alg 0x04) under its origin. For each signature line:
   a line by the log's own origin is skipped (no log witnesses itself); a
   line by a policy cosigner (name and key id) must verify, else the whole
   checkpoint is refused; a line by any other key counts for nothing. At
   least `quorum` distinct cosigners must have verified.

    {"peers": [{"origin", "verifierKey", "address", "agencyKind"}, ...],
     "witnessPolicy": {"cosigners": [origin, ...], "quorum": N}}
"""

from dataclasses import dataclass

from . import fields

from .checkpoint import (
    ALG_COSIGNATURE_V1,
    ALG_ED25519,
    Checkpoint,
    VerifierKey,
    open_note,
    verify_cosignature,
)
from .errors import CustosVerifyError, MalformedError, TrustFileError, VerificationError

# The federation file's limits and vocabulary (trust/federation.h, trust/federation_config.h).
MAX_TRUST_FILE_BYTES = 1 << 20
AGENCY_KINDS = ("ip-bureau", "public-security-bureau", "procuratorate", "court", "credit-platform")
_PEER_FIELDS = ("origin", "verifierKey", "address", "agencyKind")


@dataclass(frozen=True)
class Peer:
    origin: str
    key: VerifierKey  # the origin's note key, alg 0x01
    address: str
    agency_kind: str


@dataclass(frozen=True)
class TrustedCheckpoint:
    """A checkpoint note opened with its origin's key and held to the policy."""

    note: object  # checkpoint.Note
    checkpoint: Checkpoint
    cosigners: tuple  # the policy's cosigners whose cosignature verified, in note order
    others: tuple  # names on signature lines by keys outside the policy (not checked)


class Federation:
    """An immutable trust file: each origin's note key and the witness policy."""

    def __init__(self, peers, cosigners, quorum):
        self.peers = {p.origin: p for p in peers}
        # As WitnessGroup: each cosigner's key as a cosignature/v1 key, by name.
        self.cosigners = sorted(
            (VerifierKey.for_key(o, self.peers[o].key.public_key, ALG_COSIGNATURE_V1) for o in cosigners),
            key=lambda k: k.name,
        )
        self.quorum = quorum

    def describe_policy(self):
        """"2 of a, b, c"; "0 of no cosigners"."""
        names = ", ".join(k.name for k in self.cosigners) or "no cosigners"
        return f"{self.quorum} of {names}"

    def origin_key(self, origin):
        peer = self.peers.get(origin)
        return peer.key if peer else None

    def open_checkpoint(self, note, origin):
        """Steps 1 and 2; returns (Note, Checkpoint). VerificationError
        "checkpoint of O: …" naming what failed."""
        what = f"checkpoint of {origin}"
        key = self.origin_key(origin)
        if key is None:
            raise VerificationError(f"{what}: the trust file has no key for this origin")
        try:
            opened = open_note(note, key)
        except CustosVerifyError as e:
            raise VerificationError(f"{what}: the origin's signature: {e}") from None
        try:
            cp = Checkpoint.parse(opened.text)
        except MalformedError as e:
            raise VerificationError(f"{what}: {e}") from None
        if cp.origin != origin:
            raise VerificationError(f'{what}: it is a checkpoint of "{cp.origin}"')
        return opened, cp

    def count_cosignatures(self, note, cp):
        """Step 3 without the quorum: (cosigners, others)."""
        cosigners, others = [], []
        for sig in note.signatures:
            if sig.name == cp.origin:
                continue
            witness = next((k for k in self.cosigners if k.name == sig.name and k.key_id == sig.key_id), None)
            if witness is None:
                others.append(sig.name)
                continue
            try:
                verify_cosignature(note.text, sig, witness)
            except CustosVerifyError as e:
                raise VerificationError(
                    f"cosignature by {sig.name} on the checkpoint of {cp.origin} at size {cp.size}: {e}"
                ) from None
            if sig.name not in cosigners:
                cosigners.append(sig.name)
        return cosigners, others

    def require_quorum(self, cosigners, cp):
        if len(cosigners) >= self.quorum:
            return
        could = sum(1 for k in self.cosigners if k.name != cp.origin)
        raise VerificationError(
            f"witness policy: {self.quorum} of {could} cosignatures are required, the checkpoint of "
            f"{cp.origin} at size {cp.size} has {len(cosigners)} valid cosignature(s); the witness "
            f"policy needs {self.describe_policy()}"
        )

    def check_checkpoint(self, note, origin):
        """The whole rule: returns a TrustedCheckpoint or raises
        VerificationError (MalformedError never escapes: a note that does not
        parse is a checkpoint that does not verify)."""
        opened, cp = self.open_checkpoint(note, origin)
        cosigners, others = self.count_cosignatures(opened, cp)
        self.require_quorum(cosigners, cp)
        return TrustedCheckpoint(opened, cp, tuple(cosigners), tuple(others))


def parse_json_object(text, label, error=MalformedError):
    """A JSON object, with no field given twice (the C++ parser would keep
    the last one silently; refusing is the safe side) and no NaN."""
    try:
        value = fields.parse_answer(text, label)
    except MalformedError as e:
        raise error(str(e)) from None
    return value


def _only_known(obj, known, where):
    for k in obj:
        if k not in known:
            raise TrustFileError(f"{where}{k}: unknown field (known: {', '.join(known)})")


def _string(obj, name, where):
    if name not in obj:
        raise TrustFileError(f"{where}{name}: missing (a string is required)")
    value = obj[name]
    if not isinstance(value, str):
        raise TrustFileError(f"{where}{name}: must be a string")
    if not value:
        raise TrustFileError(f"{where}{name}: must not be empty")
    return value


def _check_host_port(text, where):
    """HOST:PORT as trust/host_port.cc ParseHostPort (port 1-65535)."""
    host, colon, port = text.rpartition(":")
    bad = f'{where}: "{text}" is not HOST:PORT'
    if not colon:
        raise TrustFileError(f"{bad} (no port)")
    if len(host) >= 2 and host[0] == "[" and host[-1] == "]":
        host = host[1:-1]
    elif ":" in host:
        raise TrustFileError(f"{bad} (put an IPv6 address in brackets)")
    if not host:
        raise TrustFileError(f"{bad} (empty host)")
    if any(c in " \t/[]" for c in host):
        raise TrustFileError(f"{bad} (bad character in the host)")
    if not port or len(port) > 20 or not port.isascii() or not port.isdigit() or (len(port) > 1 and port[0] == "0") or int(port) > 65535:
        raise TrustFileError(f"{bad} (the port must be a number up to 65535)")
    if int(port) == 0:
        raise TrustFileError(f"{bad} (port 0)")


def _parse_peer(obj, where):
    if not isinstance(obj, dict):
        raise TrustFileError(f"{where[:-1]}: must be an object")
    _only_known(obj, _PEER_FIELDS, where)
    origin = _string(obj, "origin", where)
    try:
        key = VerifierKey.parse(_string(obj, "verifierKey", where), "verifierKey")
    except MalformedError as e:
        raise TrustFileError(f"{where}{e}") from None
    if key.alg != ALG_ED25519:
        raise TrustFileError(f"{where}verifierKey: must be a note signer key (type 0x01)")
    if key.name != origin:
        raise TrustFileError(f'{where}verifierKey: the key is named "{key.name}", not the peer\'s origin "{origin}"')
    address = _string(obj, "address", where)
    _check_host_port(address, f"{where}address")
    kind = _string(obj, "agencyKind", where)
    if kind not in AGENCY_KINDS:
        raise TrustFileError(f'{where}agencyKind: "{kind}" is not one of {", ".join(AGENCY_KINDS)}')
    return Peer(origin, key, address, kind)


def _parse_policy(obj, peers, label):
    where = f"{label}: witnessPolicy."
    if not isinstance(obj, dict):
        raise TrustFileError(f"{label}: witnessPolicy: must be an object")
    _only_known(obj, ("cosigners", "quorum"), where)
    cosigners = obj.get("cosigners")
    if not isinstance(cosigners, list):
        raise TrustFileError(f"{where}cosigners: a list of peer origins is required")
    seen = []
    for c in cosigners:
        if not isinstance(c, str):
            raise TrustFileError(f"{where}cosigners: every item must be a string (a peer's origin)")
        if c not in peers:
            raise TrustFileError(f'{where}cosigners: "{c}" is not a listed peer')
        if c in seen:
            raise TrustFileError(f'{where}cosigners: "{c}" is listed twice')
        seen.append(c)
    quorum = obj.get("quorum")
    if isinstance(quorum, bool) or not isinstance(quorum, int) or quorum < 0:
        raise TrustFileError(f"{where}quorum: a whole number from 0 to the number of cosigners is required")
    if quorum > len(seen):
        raise TrustFileError(f"{where}quorum: {quorum} is more than the {len(seen)} cosigners listed")
    return seen, quorum


def parse_federation(text, label="federation"):
    """Parses a federation file's text, strictly (ParseFederation): unknown
    or missing fields, a key that is not an alg-0x01 key named after its
    origin, a repeated origin or key, a policy naming a non-peer or a quorum
    above its cosigners are TrustFileError "<label>: <field>: …"."""
    obj = parse_json_object(text, label, TrustFileError)
    _only_known(obj, ("peers", "witnessPolicy"), f"{label}: ")
    if not isinstance(obj.get("peers"), list):
        raise TrustFileError(f"{label}: peers: a list of peers is required")
    peers = [_parse_peer(p, f"{label}: peers[{i}].") for i, p in enumerate(obj["peers"])]
    origins, keys = set(), set()
    for i, p in enumerate(peers):
        if p.origin in origins:
            raise TrustFileError(f'{label}: peers[{i}].origin: "{p.origin}" is listed twice')
        if p.key.public_key in keys:
            raise TrustFileError(f"{label}: peers[{i}].verifierKey: the same key is listed for another peer")
        origins.add(p.origin)
        keys.add(p.key.public_key)
    cosigners, quorum = [], 0
    if "witnessPolicy" in obj:
        cosigners, quorum = _parse_policy(obj["witnessPolicy"], origins, label)
    return Federation(peers, cosigners, quorum)


def load_federation(path, flag="--trust"):
    """Reads and parses the federation file at `path` (LoadFederationFile).
    TrustFileError for an empty path, a file over 1 MiB, one that cannot be
    read or is not UTF-8, or parse_federation's errors labelled "--trust PATH"."""
    if not path:
        raise TrustFileError(f"{flag}: the federation file is required")
    raw = fields.read_bounded(path, MAX_TRUST_FILE_BYTES, TrustFileError, flag)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise TrustFileError(f"{flag} {path}: not valid JSON") from None
    return parse_federation(text, f"{flag} {path}")
