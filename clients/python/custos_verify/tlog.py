"""Verifying a log's checkpoint on its own (`GET /tlog/<origin>/checkpoint`)
and a consistency answer (`GET /v1/logs/<origin>/consistency?old=M`,
docs/http-api.md) against a checkpoint the client already trusts."""

from dataclasses import dataclass

from . import fields as F
from .checkpoint import Checkpoint, Note
from .encoding import hash_list
from .errors import CustosVerifyError, MalformedError, VerificationError, at
from .proofs import verify_consistency


def verify_checkpoint(note, federation, origin=None):
    """Verifies a signed checkpoint against the trust file and returns a
    trust.TrustedCheckpoint. `origin`: the log it must be of (default: the
    one its first line names, whose key the trust file must hold)."""
    if isinstance(note, (bytes, bytearray)):
        try:
            note = bytes(note).decode("utf-8")
        except UnicodeDecodeError:
            raise MalformedError("checkpoint: note: not UTF-8 or holds a control character") from None
    if origin is None:
        try:
            origin = Checkpoint.parse(Note.parse(note).text).origin
        except MalformedError as e:
            raise at("checkpoint", e) from None
    return federation.check_checkpoint(note, origin)


@dataclass(frozen=True)
class ConsistencyVerdict:
    origin: str
    old_size: int
    size: int
    cosigners: tuple  # of the new checkpoint


def verify_consistency_answer(answer, federation, old_note):
    """Verifies a consistency answer against `old_note`, a checkpoint of the
    same log the client holds: both checkpoints pass the trust file's rule,
    the answer's "old" is the old checkpoint's size, and the proof shows the
    old tree is a prefix of the new one."""
    if not isinstance(answer, dict):
        answer = F.parse_answer(answer)
    F.refuse_problem(answer)
    origin = F.string(answer, "origin")
    old_size = F.integer(answer, "old")
    size = F.integer(answer, "treeSize")
    proof = hash_list(F.array(answer, "consistencyProof"), "consistencyProof")
    try:
        old = verify_checkpoint(old_note, federation, origin).checkpoint
    except CustosVerifyError as e:
        raise at("old checkpoint", e) from None
    try:
        new = federation.check_checkpoint(F.string(answer, "checkpoint"), origin)
    except CustosVerifyError as e:
        raise at("checkpoint", e) from None
    if old.size != old_size:
        raise VerificationError(f"old: the answer proves from size {old_size}, the old checkpoint is of size {old.size}")
    if new.checkpoint.size != size:
        raise VerificationError(f"treeSize: the answer says {size}, its checkpoint is of size {new.checkpoint.size}")
    try:
        verify_consistency(old.size, size, old.root, new.checkpoint.root, proof)
    except CustosVerifyError as e:
        raise VerificationError(f"consistencyProof: {e}") from None
    return ConsistencyVerdict(origin, old.size, size, new.cosigners)
