"""The errors a verifier raises. Each message is one sentence that starts with
the field that failed, e.g. ``logs[0].mapProof.siblings[2]: not canonical
base64``, so that a caller can show it as it is.

- ``MalformedError``: the input is not in the form its format requires (a
  field missing, of the wrong type, not canonical base64, a note that does not
  parse). The answer cannot even be checked.
- ``VerificationError``: the input is well formed but does not check: a
  signature, a proof, the witness policy, an origin the trust file does not
  list, or a claim of the node that its own proofs contradict.
- ``TrustFileError``: the trust (federation) file itself is unusable; this is
  the caller's mistake, not the node's.

All three derive from ``CustosVerifyError``.
"""


class CustosVerifyError(Exception):
    """Base class of every error this package raises on purpose."""


class MalformedError(CustosVerifyError):
    """The input does not have the form its format requires."""


class VerificationError(CustosVerifyError):
    """A signature, proof, policy or claim does not check."""


class TrustFileError(CustosVerifyError):
    """The trust (federation) file cannot be used."""


def at(field, error):
    """Returns `error` (a CustosVerifyError) with `field` put in front of its
    message, keeping its class: ``at("logs[0]", e)`` -> ``logs[0]: <e>``."""
    return type(error)(f"{field}: {error}")
