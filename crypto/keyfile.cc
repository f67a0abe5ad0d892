#include "crypto/keyfile.h"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "crypto/note.h"

namespace custos {

namespace {

constexpr std::string_view kSignerKeyPrefix = "PRIVATE+KEY+";
// A key file is one line of about 100 bytes; anything much larger is not one,
// and refusing it early bounds what we read from an untrusted path.
constexpr off_t kMaxKeyFileSize = 4096;

// Closes a file descriptor on every return path.
class UniqueFd final {
 public:
  explicit UniqueFd(int fd) : fd_(fd) {}
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  ~UniqueFd() { Close(); }
  int get() const { return fd_; }
  // Returns close()'s result so that a write error reported at close is not lost.
  int Close() {
    int rc = fd_ >= 0 ? ::close(fd_) : 0;
    fd_ = -1;
    return rc;
  }

 private:
  int fd_;
};

// Zeroes a buffer that held key material before it is freed.
void Wipe(std::string* s) { sodium_memzero(s->data(), s->size()); }
void Wipe(Bytes* b) { sodium_memzero(b->data(), b->size()); }

Status ErrnoStatus(const std::string& what, const std::string& path) {
  return Status::IOError(what + " " + path + ": " + std::strerror(errno));
}

std::string KeyIdHex(uint32_t id) {
  char buf[9];
  std::snprintf(buf, sizeof buf, "%08x", id);
  return buf;
}

// Splits `s` at the first '+'; the tail is empty if there is none.
std::pair<std::string_view, std::string_view> ChopPlus(std::string_view s) {
  size_t at = s.find('+');
  if (at == std::string_view::npos) return {s, {}};
  return {s.substr(0, at), s.substr(at + 1)};
}

// Checks the decoded "0x01 || seed" material of a signer key.
Status CheckSeedMaterial(const Bytes& raw) {
  if (raw.size() != 33) {
    return Status::InvalidArgument("signer key: key is not 33 bytes (0x01 || 32-byte seed)");
  }
  if (raw[0] != kAlgEd25519) {
    return Status::InvalidArgument("signer key: unsupported key type " + std::to_string(raw[0]) +
                                   " (want 1, Ed25519)");
  }
  return Status::OK();
}

// Decodes "base64(0x01 || seed)" into a key; the decoded seed is wiped here.
Result<SigningKey> DecodeSeed(std::string_view b64) {
  std::optional<Bytes> raw = Base64DecodeSecret(b64);
  if (!raw) return Status::InvalidArgument("signer key: key is not canonical base64");
  Status checked = CheckSeedMaterial(*raw);
  Result<SigningKey> key = checked.ok() ? SigningKey::FromSeed(ByteSpan(*raw).subspan(1))
                                        : Result<SigningKey>(checked);
  Wipe(&*raw);
  return key;
}

Status WriteAll(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return Status::IOError(std::strerror(n < 0 ? errno : EIO));
    data.remove_prefix(static_cast<size_t>(n));
  }
  return Status::OK();
}

// Makes the new directory entry durable, not just the file's contents.
Status SyncParentDir(const std::string& path) {
  size_t slash = path.rfind('/');
  std::string dir = slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash);
  UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (fd.get() < 0 || ::fsync(fd.get()) != 0) return ErrnoStatus("cannot sync directory", dir);
  return Status::OK();
}

// Writes, syncs and closes a freshly created file.
Status FillNewFile(UniqueFd* fd, const std::string& path, std::string_view contents) {
  Status s = WriteAll(fd->get(), contents);
  if (!s.ok()) return Status::IOError("cannot write " + path + ": " + s.message());
  if (::fsync(fd->get()) != 0) return ErrnoStatus("cannot sync", path);
  if (fd->Close() != 0) return ErrnoStatus("cannot close", path);
  return Status::OK();
}

// The checks made on an open key file before a byte of it is read.
Status CheckKeyFileStat(int fd, const std::string& path) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) return ErrnoStatus("cannot stat", path);
  if (!S_ISREG(st.st_mode)) return Status::InvalidArgument("key file " + path + " is not a regular file");
  if ((st.st_mode & 077) != 0) {
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
    return Status::FailedPrecondition("key file " + path + " is accessible by group or others (mode " +
                                      mode + "); run chmod 600 " + path);
  }
  if (st.st_size > kMaxKeyFileSize) {
    return Status::InvalidArgument("key file " + path + " is " + std::to_string(st.st_size) +
                                   " bytes; a key file is at most 4096");
  }
  return Status::OK();
}

// Reads at most kMaxKeyFileSize bytes; more (a file that grew) is an error.
Result<std::string> ReadSmall(int fd, const std::string& path) {
  std::string buf(kMaxKeyFileSize + 1, '\0');
  size_t len = 0;
  while (len < buf.size()) {
    ssize_t n = ::read(fd, buf.data() + len, buf.size() - len);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return ErrnoStatus("cannot read", path);
    if (n == 0) break;
    len += static_cast<size_t>(n);
  }
  if (len > static_cast<size_t>(kMaxKeyFileSize)) {
    Wipe(&buf);
    return Status::InvalidArgument("key file " + path + " is larger than 4096 bytes");
  }
  std::string out = buf.substr(0, len);
  Wipe(&buf);
  return out;
}

}  // namespace

std::string FormatSignerKey(const NamedKey& key) {
  Bytes raw{kAlgEd25519};
  raw.insert(raw.end(), key.key.seed().begin(), key.key.seed().end());
  std::string out = std::string(kSignerKeyPrefix) + key.name + "+" +
                    KeyIdHex(NoteKeyId(key.name, kAlgEd25519, key.key.public_key())) + "+" +
                    Base64EncodeSecret(raw);
  Wipe(&raw);
  return out;
}

Result<NamedKey> ParseSignerKey(std::string_view text) {
  if (!text.starts_with(kSignerKeyPrefix)) {
    return Status::InvalidArgument("signer key: does not start with PRIVATE+KEY+");
  }
  auto [name, rest] = ChopPlus(text.substr(kSignerKeyPrefix.size()));
  auto [hex, b64] = ChopPlus(rest);
  if (!IsValidKeyName(name)) return Status::InvalidArgument("signer key: invalid key name");
  std::optional<Bytes> id = hex.size() == 8 ? HexDecode(hex) : std::nullopt;
  if (!id) return Status::InvalidArgument("signer key: key id is not 8 hex digits");
  CUSTOS_ASSIGN_OR_RETURN(SigningKey key, DecodeSeed(b64));
  if (NoteKeyId(name, kAlgEd25519, key.public_key()) != GetBigEndian32(id->data())) {
    return Status::InvalidArgument("signer key: key id " + std::string(hex) +
                                   " does not match the name and key");
  }
  return NamedKey{std::string(name), std::move(key)};
}

Status WriteSecretFile(const std::string& path, std::string_view contents) {
  // O_EXCL: never replace an existing key (nor follow a planted symlink).
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
  if (fd.get() < 0 && errno == EEXIST) {
    return Status::AlreadyExists("key file " + path + " already exists; refusing to overwrite it");
  }
  if (fd.get() < 0) return ErrnoStatus("cannot create key file", path);
  Status s = FillNewFile(&fd, path, contents);
  if (!s.ok()) {
    ::unlink(path.c_str());  // a half-written key file would block the retry
    return s;
  }
  return SyncParentDir(path);
}

Result<std::string> ReadSecretFile(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY));
  if (fd.get() < 0 && errno == ENOENT) return Status::NotFound("key file " + path + " does not exist");
  if (fd.get() < 0) return ErrnoStatus("cannot open key file", path);
  CUSTOS_RETURN_IF_ERROR(CheckKeyFileStat(fd.get(), path));
  return ReadSmall(fd.get(), path);
}

Status WriteKeyFile(const std::string& path, const NamedKey& key) {
  if (!IsValidKeyName(key.name)) return Status::InvalidArgument("key name: invalid (empty, '+' or space)");
  std::string line = FormatSignerKey(key) + "\n";
  Status s = WriteSecretFile(path, line);
  Wipe(&line);
  return s;
}

Result<NamedKey> ReadKeyFile(const std::string& path) {
  CUSTOS_ASSIGN_OR_RETURN(std::string text, ReadSecretFile(path));
  std::string_view line = text;
  if (line.ends_with('\n')) line.remove_suffix(1);  // one trailing newline, as we write it
  Result<NamedKey> key = ParseSignerKey(line);
  Wipe(&text);
  if (!key.ok()) return key.status().WithContext("key file " + path);
  return key;
}

}  // namespace custos
