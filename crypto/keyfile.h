// Key files (docs/key-file.md).
//
// A key file holds one Ed25519 signing key in the text form used by Go's
// golang.org/x/mod/sumdb/note signer keys:
//
//   PRIVATE+KEY+<name>+<key id, 8 hex>+<base64(0x01 || 32-byte seed)>\n
//
// so the same file works with `note.NewSigner`. It is written with mode 0600;
// reading a key file that group or others can read is refused.
#pragma once

#include <string>
#include <string_view>

#include "crypto/ed25519.h"
#include "crypto/status.h"

namespace custos {

struct NamedKey {
  std::string name;
  SigningKey key;
};

// Formats / parses the key-file line (without touching the file system and
// without the trailing newline). The result of FormatSignerKey holds the
// secret seed: wipe or drop it promptly, never log it.
// ParseSignerKey fails with InvalidArgument naming what is wrong: the prefix,
// the key name, the key id (not 8 hex digits, or not the id of this name and
// key), the base64, the length or the key type byte (must be 0x01).
std::string FormatSignerKey(const NamedKey& key);
Result<NamedKey> ParseSignerKey(std::string_view text);

// Writes a new key file with mode 0600 (O_CREAT|O_EXCL, then fsync of the file
// and of its directory). Fails with AlreadyExists if `path` exists (a key is
// never overwritten), InvalidArgument if the key name is invalid, IOError on a
// file-system failure (a partly written file is removed).
Status WriteKeyFile(const std::string& path, const NamedKey& key);

// Reads a key file: one signer-key line, the trailing newline optional. Fails
// with NotFound if it does not exist; FailedPrecondition if the file's mode
// lets group or others read, write or execute it ("key file X is accessible by
// group or others (mode 0644); run chmod 600 X"); InvalidArgument if it is
// not a regular file, is larger than 4 KiB or its contents are malformed
// (message prefixed with "key file X: "); IOError on a file-system failure.
Result<NamedKey> ReadKeyFile(const std::string& path);

// The same rules for any secret file (an SM2 PEM key, crypto/sm2.h): written
// new with mode 0600, never over an existing file; read only when group and
// others have no access, at most 4 KiB. Errors as WriteKeyFile / ReadKeyFile.
Status WriteSecretFile(const std::string& path, std::string_view contents);
Result<std::string> ReadSecretFile(const std::string& path);

}  // namespace custos
