"""custos_verify: checks the answers of a Custos node (docs/http-api.md)
against a federation trust file, in Python with PyNaCl alone.

    from custos_verify import load_federation, verify_listing_answer
    trust = load_federation("federation.json")
    verdict = verify_listing_answer(open("answer.json").read(), trust)
    print(verdict.listed)

Every function raises MalformedError or VerificationError (both
CustosVerifyError) with a one-sentence reason that names the failing field;
TrustFileError when the trust file itself is unusable.
"""

from .checkpoint import Checkpoint, Note, VerifierKey, open_note, verify_cosignature
from .entry import EntryVerdict, verify_entry_answer
from .errors import CustosVerifyError, MalformedError, TrustFileError, VerificationError
from .listing import ListingVerdict, LogVerdict, verify_listing_answer
from .proofs import EMPTY_ROOT, leaf_hash, node_hash, verify_consistency, verify_inclusion
from .tlog import ConsistencyVerdict, verify_checkpoint, verify_consistency_answer
from .trust import Federation, TrustedCheckpoint, load_federation, parse_federation

__all__ = [
    "Checkpoint", "ConsistencyVerdict", "CustosVerifyError", "EMPTY_ROOT", "EntryVerdict", "Federation",
    "ListingVerdict", "LogVerdict", "MalformedError", "Note", "TrustFileError", "TrustedCheckpoint",
    "VerificationError", "VerifierKey", "leaf_hash", "load_federation", "node_hash", "open_note",
    "parse_federation", "verify_checkpoint", "verify_consistency", "verify_consistency_answer",
    "verify_cosignature", "verify_entry_answer", "verify_inclusion", "verify_listing_answer",
]
