// custos key generate | key show | key token
#include <sodium.h>

#include <iostream>

#include "cli/command_line.h"
#include "crypto/note.h"
#include "crypto/sha256.h"
#include "crypto/sm2.h"
#include "crypto/sm2_note.h"

namespace custos::cli {

namespace {
// `witness`: the cosignature/v1 key (algorithm 0x04) under which the key
// cosigns as a witness, instead of its note signer key.
void PrintKey(const NamedKey& key, bool json, bool witness = false) {
  NoteVerifier v = NoteVerifier::ForKey(key.name, key.key.public_key(), witness ? kAlgCosignatureV1 : kAlgEd25519);
  if (!json) {
    std::cout << v.ToString() << "\n";
    return;
  }
  PrintJson({{"name", key.name},
             {"verifierKey", v.ToString()},
             {"publicKey", HexEncode(key.key.public_key().span())},
             {"keyId", v.ToString().substr(key.name.size() + 1, 8)}});
}

int Generate(const std::string& name, const std::string& out, bool json) {
  if (!IsValidKeyName(name)) {
    return Fail(Status::InvalidArgument("--name: \"" + name + "\" is not a valid key name (no '+', no spaces, not empty)"));
  }
  NamedKey key{name, SigningKey::Generate()};
  Status st = WriteKeyFile(out, key);
  if (!st.ok()) return Fail(st.WithContext("--out"));
  PrintKey(key, json);
  return kExitOk;
}

// A read token for the HTTP read plane: 32 random bytes as hex, shown once;
// the node keeps only its SHA-256 (http.readTokens).
int Token(const std::string& name, bool json) {
  if (name.empty()) return Fail(Status::InvalidArgument("--name: give the client's name, e.g. credit-platform-a"));
  uint8_t secret[32];
  randombytes_buf(secret, sizeof secret);
  const std::string token = HexEncode(ByteSpan(secret, sizeof secret));
  sodium_memzero(secret, sizeof secret);
  const std::string hash = HexEncode(Sha256::Digest(token).span());
  if (json) {
    PrintJson({{"name", name}, {"token", token}, {"sha256", hash}});
    return kExitOk;
  }
  std::cout << "token: " << token << "\n"
            << "give the token to " << name << " (it is shown only here); put this in the node's http.readTokens:\n"
            << nlohmann::json{{"name", name}, {"sha256", hash}}.dump() << "\n";
  return kExitOk;
}

int Show(const std::string& path, bool json, bool witness) {
  auto key = ReadKeyFile(path);
  if (!key.ok()) return Fail(key.status().WithContext("--key"));
  PrintKey(*key, json, witness);
  return kExitOk;
}
void PrintSm2Key(const std::string& name, const Sm2Key& key, bool json) {
  const std::string vkey = Sm2NoteVerifier::ForKey(name, key.PublicKey()).ToString();
  if (json) {
    PrintJson({{"name", name}, {"sm2Key", vkey}, {"publicKey", HexEncode(key.PublicKey())}});
  } else {
    std::cout << vkey << "\n";
  }
}

// An SM2 key for a node's second checkpoint signature (docs/sm2.md): a PEM
// file (mode 0600) and the verifier key string for the federation's sm2Key.
int GenerateSm2(const std::string& name, const std::string& out, bool json) {
  if (!IsValidKeyName(name)) {
    return Fail(Status::InvalidArgument("--name: \"" + name + "\" is not a valid key name (no '+', no spaces, not empty)"));
  }
  auto key = Sm2Key::Generate();
  if (!key.ok()) return Fail(key.status());
  std::string pem = key->ToPem();
  Status st = WriteSecretFile(out, pem);
  sodium_memzero(pem.data(), pem.size());
  if (!st.ok()) return Fail(st.WithContext("--out"));
  PrintSm2Key(name, *key, json);
  return kExitOk;
}

int ShowSm2(const std::string& name, const std::string& path, bool pem, bool json) {
  auto text = ReadSecretFile(path);
  if (!text.ok()) return Fail(text.status().WithContext("--key"));
  auto key = Sm2Key::FromPem(*text);
  sodium_memzero(text->data(), text->size());
  if (!key.ok()) return Fail(key.status().WithContext("--key " + path));
  if (pem) {
    std::cout << key->PublicKeyPem();
    return kExitOk;
  }
  if (!IsValidKeyName(name)) return Fail(Status::InvalidArgument("--name: give the log's origin the key signs for"));
  PrintSm2Key(name, *key, json);
  return kExitOk;
}
}  // namespace

void RegisterKeyCommands(CLI::App& app, Globals& globals, int& exit_code) {
  // Option values live as long as the callbacks that read them.
  struct Opts {
    std::string name, out, key;
    bool witness = false;
    bool pem = false;
  };
  auto o = std::make_shared<Opts>();
  auto* key = app.add_subcommand("key", "Make and inspect Ed25519 signing keys");
  key->require_subcommand(1);

  auto* gen = key->add_subcommand(
      "generate",
      "Make a new signing key and write it to a key file (mode 0600).\n"
      "Prints the verifier key string NAME+KEYID+BASE64 that others use to check\n"
      "your signatures. For a log's node key, NAME must be the log's origin.");
  gen->add_option("--name", o->name, "Key name, e.g. the officer's id or the log origin")->required();
  gen->add_option("--out", o->out, "Key file to create; never overwritten")->required();
  gen->add_flag("--json", globals.json, "Print name, verifierKey, publicKey and keyId as JSON");
  RunOffline(gen, globals, exit_code, [&globals, o] { return Generate(o->name, o->out, globals.json); });

  auto* token = key->add_subcommand(
      "token",
      "Make a read token for a node's HTTP read plane (docs/http-api.md, \"Read tokens\"):\n"
      "prints the token, for the client to send as \"Authorization: Bearer TOKEN\", and the\n"
      "line for the node's http.readTokens, which holds only the token's SHA-256. Revoke it\n"
      "by removing that line and restarting the node.");
  token->add_option("--name", o->name, "Who the token is for, e.g. credit-platform-a")->required();
  token->add_flag("--json", globals.json, "Print name, token and sha256 as JSON");
  RunOffline(token, globals, exit_code, [&globals, o] { return Token(o->name, globals.json); });

  auto* show = key->add_subcommand("show", "Print the verifier key string of a key file");
  show->add_option("--key", o->key, "Key file")->required();
  show->add_flag("--witness", o->witness,
                 "Print the key's cosignature/v1 verifier key (algorithm 0x04): how a node's key is\n"
                 "named when it witnesses a log (a federation peer's, or one given in tlogWitness)");
  show->add_flag("--json", globals.json, "Print as JSON");
  RunOffline(show, globals, exit_code, [&globals, o] { return Show(o->key, globals.json, o->witness); });

  auto* sm2 = key->add_subcommand(
      "sm2",
      "Make an SM2 key (国密, SM3 inside) for a node's second checkpoint signature:\n"
      "writes it as PEM (mode 0600) and prints the verifier key for the federation\n"
      "file's sm2Key. Give it to custosd as sm2KeyFile (docs/sm2.md).");
  sm2->add_option("--name", o->name, "The log's origin")->required();
  sm2->add_option("--out", o->out, "PEM file to create; never overwritten")->required();
  sm2->add_flag("--json", globals.json, "Print name, sm2Key and publicKey as JSON");
  RunOffline(sm2, globals, exit_code, [&globals, o] { return GenerateSm2(o->name, o->out, globals.json); });

  auto* sm2_show = key->add_subcommand("sm2-show", "Print the SM2 verifier key (or, with --pem, the public key PEM) of an SM2 key file");
  sm2_show->add_option("--key", o->key, "SM2 PEM key file")->required();
  sm2_show->add_option("--name", o->name, "The log's origin (the verifier key is named by it)");
  sm2_show->add_flag("--pem", o->pem, "Print the public key as PEM, for openssl pkeyutl -verify");
  sm2_show->add_flag("--json", globals.json, "Print as JSON");
  RunOffline(sm2_show, globals, exit_code, [&globals, o] { return ShowSm2(o->name, o->key, o->pem, globals.json); });
}

}  // namespace custos::cli
