"""RFC 6962 / RFC 9162 Merkle tree hashing and proofs, as
ledger/tlog/merkle.cc computes and checks them (docs/checkpoint-format.md):

    leaf hash  = SHA-256(0x00 || leaf)
    node hash  = SHA-256(0x01 || left || right)
    empty tree = SHA-256("")

Inclusion proofs (RFC 9162 §2.1.3) and consistency proofs (§2.1.4) list
their hashes from the leaf (or the old tree's edge) upward, the order of Go's
tlog.ProveRecord / tlog.ProveTree. A proof of the wrong length is refused
before any hashing.
"""

import hashlib

from .encoding import HASH_SIZE
from .errors import MalformedError, VerificationError

LEAF_PREFIX = b"\x00"
NODE_PREFIX = b"\x01"
EMPTY_ROOT = hashlib.sha256(b"").digest()


def leaf_hash(leaf):
    return hashlib.sha256(LEAF_PREFIX + bytes(leaf)).digest()


def node_hash(left, right):
    return hashlib.sha256(NODE_PREFIX + left + right).digest()


def root_from_leaf_hashes(leaf_hashes):
    """The root of the tree with these leaf hashes (RFC 6962 §2.1, the
    largest power of two below n on the left); a reference for tests."""
    n = len(leaf_hashes)
    if n == 0:
        return EMPTY_ROOT
    if n == 1:
        return leaf_hashes[0]
    k = 1 << ((n - 1).bit_length() - 1)
    return node_hash(root_from_leaf_hashes(leaf_hashes[:k]), root_from_leaf_hashes(leaf_hashes[k:]))


def inclusion_proof_size(index, size):
    """Hashes in the proof for leaf `index` of a tree of `size` (index < size):
    the levels where the paths to `index` and to the last leaf differ, then
    one left sibling for each 1 bit above them."""
    inner = (index ^ (size - 1)).bit_length()
    return inner + bin(index >> inner).count("1")


def _skip_lone_levels(fn, sn):
    while fn & 1 == 0 and fn != 0:
        fn >>= 1
        sn >>= 1
    return fn, sn


def _check_hashes(what, *hashes):
    for h in hashes:
        if not isinstance(h, (bytes, bytearray)) or len(h) != HASH_SIZE:
            raise MalformedError(f"{what}: a hash is not 32 bytes")


def root_from_inclusion_proof(leaf, index, size, proof):
    """The root `proof` implies for leaf hash `leaf` at `index` in a tree of
    `size`. MalformedError if index >= size or a hash is not 32 bytes;
    VerificationError if the proof has the wrong length."""
    _check_hashes("inclusion proof", leaf, *proof)
    if index < 0 or index >= size:
        raise MalformedError(f"inclusion proof index {index} is not below size {size}")
    want = inclusion_proof_size(index, size)
    if len(proof) != want:
        raise VerificationError(
            f"inclusion proof has {len(proof)} hashes, want {want} for index {index} in size {size}"
        )
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            fn, sn = _skip_lone_levels(fn, sn)
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return r


def verify_inclusion(leaf, index, size, proof, root):
    """Raises VerificationError unless `proof` proves `leaf` is leaf `index`
    of the tree of `size` whose root is `root`."""
    _check_hashes("inclusion proof root", root)
    got = root_from_inclusion_proof(leaf, index, size, proof)
    if got != root:
        raise VerificationError(f"computed root {got.hex()} does not match {root.hex()}")


def consistency_proof_size(old_size, new_size):
    """For 0 < old_size < new_size: the inclusion proof of the largest perfect
    subtree ending at old_size, after that subtree's hash unless it is the
    whole old tree."""
    shift = (old_size & -old_size).bit_length() - 1
    node = (old_size - 1) >> shift
    return (0 if node == 0 else 1) + inclusion_proof_size(node, ((new_size - 1) >> shift) + 1)


def verify_consistency(old_size, new_size, old_root, new_root, proof):
    """Raises VerificationError unless `proof` proves the tree of `old_size`
    with `old_root` is a prefix of the tree of `new_size` with `new_root`;
    MalformedError if old_size > new_size. From size 0 the proof is empty and
    old_root must be the empty tree's; for equal sizes it is empty and the
    roots must be equal."""
    _check_hashes("consistency proof", old_root, new_root, *proof)
    if old_size > new_size:
        raise MalformedError(f"consistency old size {old_size} exceeds new size {new_size}")
    if old_size == 0 or old_size == new_size:
        if proof:
            raise VerificationError(
                f"consistency proof from size {old_size} has {len(proof)} hashes, want 0"
            )
        if old_size == 0 and old_root != EMPTY_ROOT:
            raise VerificationError(f"computed old root {EMPTY_ROOT.hex()} does not match {old_root.hex()}")
        if old_size == new_size and old_root != new_root:
            raise VerificationError(f"computed root {old_root.hex()} does not match {new_root.hex()}")
        return
    want = consistency_proof_size(old_size, new_size)
    if len(proof) != want:
        raise VerificationError(
            f"consistency proof has {len(proof)} hashes, want {want} from size {old_size} to {new_size}"
        )
    # When old_size is a power of two the seed is the old root itself.
    path = ([old_root] if old_size & (old_size - 1) == 0 else []) + list(proof)
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            fn, sn = _skip_lone_levels(fn, sn)
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    if fr != old_root:
        raise VerificationError(f"computed old root {fr.hex()} does not match {old_root.hex()}")
    if sr != new_root:
        raise VerificationError(f"computed new root {sr.hex()} does not match {new_root.hex()}")
