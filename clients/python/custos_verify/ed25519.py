"""Ed25519 verification through libsodium (Debian's python3-nacl), the
library the C++ side uses too (crypto/ed25519.cc): the same strict rules for
non-canonical signatures and small-order keys."""

try:
    import nacl.exceptions
    import nacl.signing
except ImportError as e:  # pragma: no cover - depends on the host
    raise ImportError(
        "custos_verify needs PyNaCl: apt-get install python3-nacl (Debian), or pip install pynacl"
    ) from e

PUBLIC_KEY_SIZE = 32
SIGNATURE_SIZE = 64


def verify(public_key, message, signature):
    """True iff `signature` (64 bytes) is a valid Ed25519 signature of
    `message` by `public_key` (32 bytes). Never raises on bad input."""
    if len(public_key) != PUBLIC_KEY_SIZE or len(signature) != SIGNATURE_SIZE:
        return False
    try:
        nacl.signing.VerifyKey(bytes(public_key)).verify(bytes(message), bytes(signature))
        return True
    except (nacl.exceptions.CryptoError, nacl.exceptions.ValueError, nacl.exceptions.TypeError):
        return False
