"""What the unit tests share: the fixtures in data/ (answers of a live
two-node federation, captured by live_test.sh with CAPTURE_DIR) and
deterministic Ed25519 keys for notes the tests sign themselves."""

import copy
import json
import pathlib

import nacl.signing

from custos_verify.checkpoint import ALG_COSIGNATURE_V1, NoteSignature, VerifierKey, cosigned_message, key_id
from custos_verify.trust import load_federation

DATA = pathlib.Path(__file__).resolve().parent / "data"
REPO = pathlib.Path(__file__).resolve().parents[3]
IPB = "suzhou-ipb.example/custos"
PSB = "suzhou-psb.example/custos"
COMPANY = "91320583MA1WR6T306"


def text(name):
    return (DATA / name).read_text(encoding="utf-8")


def answer(name):
    """A fresh copy of a JSON fixture, for a test to change."""
    return copy.deepcopy(json.loads(text(name)))


def trust():
    return load_federation(str(DATA / "trust.json"))


def trust_json():
    return json.loads(text("trust.json"))


def signing_key(n):
    """A fixed key per n, so that runs are repeatable."""
    return nacl.signing.SigningKey(bytes([n]) * 32)


def public(sk):
    return bytes(sk.verify_key)


def vkey(name, sk):
    return str(VerifierKey.for_key(name, public(sk)))


def sign_line(text_, name, sk):
    """The alg 0x01 signature line of `name` with key `sk` on note text `text_`."""
    sig = sk.sign(text_.encode("utf-8")).signature
    return NoteSignature(name, key_id(name, 0x01, public(sk)), sig).line()


def cosign_line(text_, name, sk, timestamp=1_700_000_000):
    sig = sk.sign(cosigned_message(text_, timestamp)).signature
    raw = timestamp.to_bytes(8, "big") + sig
    return NoteSignature(name, key_id(name, ALG_COSIGNATURE_V1, public(sk)), raw).line()


def federation_json(peers, cosigners, quorum):
    """A trust file's text for `peers` [(origin, signing key)]."""
    return json.dumps({
        "peers": [{"origin": o, "verifierKey": vkey(o, sk), "address": f"127.0.0.1:{7300 + i}",
                   "agencyKind": "court"} for i, (o, sk) in enumerate(peers)],
        "witnessPolicy": {"cosigners": cosigners, "quorum": quorum},
    })
