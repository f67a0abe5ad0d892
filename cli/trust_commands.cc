// custos trust draft | trust sign | trust verify: the signed trust root
// (trust/trust_root.h, docs/trust-root.md).
#include <algorithm>
#include <iostream>

#include "cli/command_line.h"
#include "trust/federation.h"
#include "trust/trust_root.h"

namespace custos::cli {

namespace {

// The largest trust root version read: the federation file's own limit.
constexpr size_t kMaxVersionBytes = trust::kMaxFederationFileBytes;

Result<trust::TrustRootVersion> ReadVersion(const std::string& path, bool allow_unsigned) {
  CUSTOS_ASSIGN_OR_RETURN(std::string file, ReadFileLimited(path, kMaxVersionBytes, "trust root"));
  return trust::ParseTrustRootVersion(file, path, allow_unsigned);
}

std::string CommaList(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
  return out.empty() ? "nobody" : out;
}

int Draft(const std::string& from, const std::string& previous_path, const std::string& federation,
          const std::string& out, bool json) {
  if (previous_path.empty() == federation.empty()) {
    return Fail(Status::InvalidArgument(
        "give --federation NAME for a first version, or --previous FILE for the version that follows FILE"));
  }
  auto input = ReadFileLimited(from, kMaxVersionBytes, "--from");
  if (!input.ok()) return Fail(input.status());
  std::optional<trust::TrustRootVersion> previous;
  if (!previous_path.empty()) {
    auto prev = ReadVersion(previous_path, /*allow_unsigned=*/false);
    if (!prev.ok()) return Fail(prev.status().WithContext("--previous"));
    previous = std::move(prev).value();
  }
  auto text = trust::DraftTrustRootText(*input, "--from " + from, previous ? &*previous : nullptr, federation);
  if (!text.ok()) return Fail(text.status());
  auto draft = trust::ParseTrustRootVersion(*text, out, /*allow_unsigned=*/true);
  if (!draft.ok()) return Fail(draft.status());
  Status st = WriteFile(out, *text);
  if (!st.ok()) return Fail(st.WithContext("--out"));
  const auto& c = draft->config;
  if (json) {
    PrintJson({{"federation", c.federation},
               {"version", c.version},
               {"sha256", HexEncode(draft->digest.span())},
               {"members", c.peers.size()},
               {"changeQuorum", c.change_quorum},
               {"file", out}});
    return kExitOk;
  }
  std::cout << "drafted version " << c.version << " of " << c.federation << " in " << out << " (" << c.peers.size()
            << " members, changeQuorum " << c.change_quorum << ")\n"
            << "sha256 of its text: " << HexEncode(draft->digest.span()) << "\n"
            << "next: " << c.change_quorum << " of its members"
            << (previous ? " and " + std::to_string(previous->config.change_quorum) + " of version " +
                               std::to_string(previous->config.version) + "'s"
                         : std::string())
            << " sign it, each with: custos trust sign --key NODE_KEY " << out << "\n";
  return kExitOk;
}

int Sign(const std::string& key_path, const std::string& path, const std::string& out_path, bool json) {
  auto key = ReadKeyFile(key_path);
  if (!key.ok()) return Fail(key.status().WithContext("--key"));
  auto file = ReadFileLimited(path, kMaxVersionBytes, "trust root");
  if (!file.ok()) return Fail(file.status());
  auto version = trust::ParseTrustRootVersion(*file, path, /*allow_unsigned=*/true);
  if (!version.ok()) return Fail(version.status());
  // A draft has no signature yet; a note gets one more line (or its own
  // line replaced by a fresh one).
  auto signed_note = version->signatures.empty() ? SignNote(version->text, key->name, key->key)
                                                 : AddNoteSignature(*file, key->name, key->key);
  if (!signed_note.ok()) return Fail(signed_note.status().WithContext("sign"));
  const std::string out = out_path.empty() ? path : out_path;
  Status st = WriteFile(out, *signed_note);
  if (!st.ok()) return Fail(st.WithContext(out_path.empty() ? "write" : "--out"));
  auto now = trust::ParseTrustRootVersion(*signed_note, out);
  if (!now.ok()) return Fail(now.status());
  const trust::PeerConfig* member = now->config.FindPeer(key->name);
  const bool is_member = member != nullptr && member->verifier.key == key->key.public_key();
  std::vector<std::string> names;
  for (const auto& s : now->signatures) names.push_back(s.name);
  if (json) {
    PrintJson({{"file", out},
               {"version", now->config.version},
               {"signer", key->name},
               {"member", is_member},
               {"signatures", names}});
    return kExitOk;
  }
  std::cout << out << ": version " << now->config.version << " signed as " << key->name << "\n"
            << "signature lines now: " << CommaList(names) << "\n";
  if (!is_member) {
    std::cout << "note: " << key->name << " with this key is not a member of version " << now->config.version
              << "; its signature counts only as a member of the version before\n";
  }
  return kExitOk;
}

nlohmann::json ChainJson(const trust::TrustChain& chain) {
  auto versions = nlohmann::json::array();
  for (const auto& v : chain.versions) {
    versions.push_back({{"version", v.version},
                        {"sha256", HexEncode(v.digest.span())},
                        {"members", v.members},
                        {"changeQuorum", v.change_quorum},
                        {"signedByMembers", v.signed_by_members},
                        {"signedByPrevious", v.signed_by_previous},
                        {"changes", v.changes}});
  }
  return {{"federation", chain.federation}, {"verified", true}, {"versions", versions}};
}

int Verify(const std::vector<std::string>& files, const std::string& pin_key, const std::string& pin_version,
           const std::string& out, bool json) {
  trust::TrustPin pin;
  if (pin_key.empty() == pin_version.empty()) {
    return Fail(Status::InvalidArgument(
        "pin exactly one: --pin-key VKEY (a member's key, obtained out of band) or --pin-version SHA256"));
  }
  if (!pin_key.empty()) {
    auto key = NoteVerifier::Parse(pin_key);
    if (!key.ok()) return Fail(key.status().WithContext("--pin-key"));
    if (key->alg != kAlgEd25519) return Fail(Status::InvalidArgument("--pin-key: must be a node's note key (type 0x01)"));
    pin.key = *key;
  } else {
    auto bytes = HexDecode(pin_version);
    auto hash = bytes ? Hash::FromSpan(*bytes) : std::nullopt;
    if (!hash) return Fail(Status::InvalidArgument("--pin-version: must be a SHA-256, 64 hex digits"));
    pin.version = hash;
  }
  std::vector<trust::TrustRootVersion> versions;
  for (const auto& f : files) {
    auto v = ReadVersion(f, /*allow_unsigned=*/false);
    if (!v.ok()) return Fail(v.status());
    versions.push_back(std::move(v).value());
  }
  // Files in any order (a shell glob puts v10 before v2): the chain is by number.
  std::stable_sort(versions.begin(), versions.end(),
                   [](const auto& a, const auto& b) { return a.config.version < b.config.version; });
  auto chain = trust::VerifyTrustChain(versions, pin);
  if (!chain.ok()) return Fail(chain.status().WithContext("trust root"), /*verifying=*/true);
  if (!out.empty()) {
    Status st = WriteFile(out, std::string(trust::FederationJsonOf(chain->latest_text)));
    if (!st.ok()) return Fail(st.WithContext("--out"));
  }
  if (json) {
    auto j = ChainJson(*chain);
    if (!out.empty()) j["federationFile"] = out;
    PrintJson(j);
    return kExitOk;
  }
  const auto& first = chain->versions.front();
  const auto& last = chain->versions.back();
  std::cout << "trust root " << chain->federation << ": versions " << first.version << " to " << last.version
            << " verified from the pinned " << (pin.key ? "key of " + pin.key->name : std::string("version")) << "\n";
  for (const auto& v : chain->versions) {
    std::cout << "  version " << v.version << "  sha256 " << HexEncode(v.digest.span()) << "\n"
              << "    signed by " << v.signed_by_members.size() << " of its " << v.members
              << " members (changeQuorum " << v.change_quorum << "): " << CommaList(v.signed_by_members) << "\n";
    if (&v != &first) {
      std::cout << "    and by the version before's members: " << CommaList(v.signed_by_previous) << "\n";
      std::cout << "    changes: " << (v.changes.empty() ? "none" : CommaList(v.changes)) << "\n";
    }
  }
  std::cout << "latest: version " << last.version << ", " << chain->latest.peers.size() << " members, witness policy "
            << chain->latest.policy.quorum << " of " << CommaList(chain->latest.policy.cosigners) << "\n";
  if (!out.empty()) std::cout << "wrote its federation file to " << out << " (use it as --trust)\n";
  return kExitOk;
}

}  // namespace

void RegisterTrustCommands(CLI::App& app, Globals& globals, int& exit_code) {
  struct Opts {
    std::string from, previous, federation, out, key, file, pin_key, pin_version;
    std::vector<std::string> files;
  };
  auto o = std::make_shared<Opts>();
  auto* trust = app.add_subcommand(
      "trust",
      "The signed trust root: the federation file as versions signed by its members\n"
      "(docs/trust-root.md)");
  trust->require_subcommand(1);

  auto* draft = trust->add_subcommand(
      "draft",
      "Make the text of a new version from a federation file, for the members to sign.\n"
      "The first version needs --federation NAME; a later one --previous FILE, whose\n"
      "number and SHA-256 it takes. The federation file's changeQuorum says how many\n"
      "members must sign each version (kept from the previous version when absent).");
  draft->add_option("--from", o->from, "Federation file (JSON) stating who belongs")->required();
  draft->add_option("--federation", o->federation, "The federation's name, for version 1 (e.g. jiangsu-patent)");
  draft->add_option("--previous", o->previous, "The signed version this one follows");
  draft->add_option("--out", o->out, "Where to write the draft")->required();
  draft->add_flag("--json", globals.json, "Print federation, version, sha256, members as JSON");
  RunOffline(draft, globals, exit_code,
             [&globals, o] { return Draft(o->from, o->previous, o->federation, o->out, globals.json); });

  auto* sign = trust->add_subcommand(
      "sign",
      "Add your node key's signature to a version (a draft or one others signed).\n"
      "Sign only a text you have read: the signature says your agency agrees to it.");
  sign->add_option("--key", o->key, "Your node key file (named by your log's origin)")->required();
  sign->add_option("file", o->file, "The version to sign; rewritten in place unless --out")->required();
  sign->add_option("--out", o->out, "Write the signed version here instead");
  sign->add_flag("--json", globals.json, "Print the result as JSON");
  RunOffline(sign, globals, exit_code, [&globals, o] { return Sign(o->key, o->file, o->out, globals.json); });

  auto* verify = trust->add_subcommand(
      "verify",
      "Check a chain of versions from one pinned key or version, and write the latest\n"
      "version's federation file for --trust. Exit 0 verified, 1 refused, 2 bad input.\n"
      "Example: custos trust verify --pin-key \"$(cat ipb.vkey)\" --out federation.json v*.note");
  verify->add_option("files", o->files, "Version files, any order (the chain is by number)")->required();
  verify->add_option("--pin-key", o->pin_key, "A member's verifier key, obtained out of band; it must sign the first version");
  verify->add_option("--pin-version", o->pin_version, "Or the SHA-256 of the first version's text (hex)");
  verify->add_option("--out", o->out, "Write the latest version's federation file here");
  verify->add_flag("--json", globals.json, "Print the verified chain as JSON");
  RunOffline(verify, globals, exit_code, [&globals, o] {
    return Verify(o->files, o->pin_key, o->pin_version, o->out, globals.json);
  });
}

}  // namespace custos::cli
