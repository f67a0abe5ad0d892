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

// Formats / parses the key-file line (without touching the file system).
std::string FormatSignerKey(const NamedKey& key);
Result<NamedKey> ParseSignerKey(std::string_view text);

// Writes a new key file with mode 0600. Fails with AlreadyExists if `path`
// exists (a key is never overwritten), IOError on a file-system failure.
Status WriteKeyFile(const std::string& path, const NamedKey& key);

// Reads a key file. Fails with FailedPrecondition if the file's mode lets
// group or others read or write it ("key file X is readable by others (mode
// 0644); run chmod 600 X"), InvalidArgument if its contents are malformed.
Result<NamedKey> ReadKeyFile(const std::string& path);

}  // namespace custos
