// custos prove inclusion | prove consistency | verify
// (the node forms of prove are in cli/node_commands.cc)
#include <iostream>

#include "cli/bundle_commands.h"
#include "cli/command_line.h"
#include "cli/node_commands.h"
#include "crypto/note.h"
#include "ledger/tlog/checkpoint.h"
#include "ledger/tlog/merkle.h"

namespace custos::cli {

namespace {
constexpr size_t kMaxProofFile = 1 << 20;

// The tree size to prove against: --size if given, else the log's size.
Result<uint64_t> TreeSize(const Log& log, const std::string& size_text) {
  if (size_text.empty()) return log.size();
  return ParseIndex(size_text, "--size");
}

int ProveInclusion(const std::string& dir, const std::string& index_text, const std::string& size_text,
                   bool json) {
  auto index = ParseIndex(index_text, "--index");
  if (!index.ok()) return Fail(index.status());
  auto log = OpenLogAt(dir, /*with_node_key=*/false);
  if (!log.ok()) return Fail(log.status());
  auto size = TreeSize(**log, size_text);
  if (!size.ok()) return Fail(size.status());
  if (*index >= *size) {
    return Fail(Status::InvalidArgument("--index: " + std::to_string(*index) + " is not below the tree size " +
                                        std::to_string(*size)));
  }
  auto note = (*log)->CheckpointAt(*size);
  if (!note.ok()) return Fail(note.status());
  auto proof = (*log)->InclusionProof(*index, *size);
  if (!proof.ok()) return Fail(proof.status());
  TlogProof p{"", *index, *proof, *note};
  if (json) {
    nlohmann::json hashes = nlohmann::json::array();
    for (const auto& h : *proof) hashes.push_back(Base64Encode(h.span()));
    PrintJson({{"index", *index}, {"size", *size}, {"proof", hashes}, {"checkpoint", *note}, {"text", p.Format()}});
  } else {
    std::cout << p.Format();
  }
  return kExitOk;
}

int ProveConsistency(const std::string& dir, const std::string& old_text, const std::string& size_text,
                     bool json) {
  auto old_size = ParseIndex(old_text, "--old");
  if (!old_size.ok()) return Fail(old_size.status());
  auto log = OpenLogAt(dir, /*with_node_key=*/false);
  if (!log.ok()) return Fail(log.status());
  auto size = TreeSize(**log, size_text);
  if (!size.ok()) return Fail(size.status());
  if (*old_size > *size) {
    return Fail(Status::InvalidArgument("--old: " + std::to_string(*old_size) + " is larger than the size " +
                                        std::to_string(*size)));
  }
  auto proof = (*log)->ConsistencyProof(*old_size, *size);
  if (!proof.ok()) return Fail(proof.status());
  nlohmann::json hashes = nlohmann::json::array();
  for (const auto& h : *proof) {
    if (json) hashes.push_back(Base64Encode(h.span()));
    else std::cout << Base64Encode(h.span()) << "\n";
  }
  if (json) PrintJson({{"old", *old_size}, {"size", *size}, {"proof", hashes}});
  return kExitOk;
}

// Checks a tlog-proof and an entry against the log's verifier key, offline.
Status CheckProof(const std::string& vkey_text, const std::string& proof_text, const std::string& entry,
                  Checkpoint* out) {
  auto vkey = NoteVerifier::Parse(vkey_text);
  if (!vkey.ok()) return Status::InvalidArgument(vkey.status().message()).WithContext("--vkey");
  auto proof = TlogProof::Parse(proof_text);
  if (!proof.ok()) return Status::InvalidArgument(proof.status().message()).WithContext("--proof");
  auto note = OpenNote(proof->checkpoint, *vkey);
  if (!note.ok()) return Status::Corruption("checkpoint: " + note.status().message());
  auto cp = Checkpoint::Parse(note->text);
  if (!cp.ok()) return Status::Corruption(cp.status().message());
  if (cp->origin != vkey->name) {
    return Status::Corruption("checkpoint: origin \"" + cp->origin + "\" is not the key's log \"" + vkey->name + "\"");
  }
  *out = *cp;
  if (proof->index >= cp->size) {
    return Status::Corruption("proof: index " + std::to_string(proof->index) + " is not in a tree of size " +
                              std::to_string(cp->size));
  }
  Hash leaf = merkle::LeafHash(AsBytes(entry));
  Status st = merkle::VerifyInclusion(leaf, proof->index, cp->size, proof->proof, cp->root);
  if (!st.ok()) return Status::Corruption("inclusion: " + st.message() + " (is this the right entry file?)");
  return Status::OK();
}

int Verify(const std::string& vkey, const std::string& proof_file, const std::string& entry_file, bool json) {
  auto proof_text = ReadFileLimited(proof_file, kMaxProofFile, "--proof");
  if (!proof_text.ok()) return Fail(proof_text.status());
  auto entry = ReadFileLimited(entry_file, 1 << 20, "--entry");
  if (!entry.ok()) return Fail(entry.status());
  Checkpoint cp;
  Status st = CheckProof(vkey, *proof_text, *entry, &cp);
  if (json) {
    nlohmann::json j = {{"ok", st.ok()}};
    if (st.ok()) j.update({{"origin", cp.origin}, {"size", cp.size}, {"root", Base64Encode(cp.root.span())}});
    else j["reason"] = st.ToString();
    PrintJson(j);
  }
  if (!st.ok()) {
    // The reason goes to stdout, where the contract says it is printed.
    if (!json) std::cout << "FAILED: " << st.message() << "\n";
    return st.code() == Status::Code::kCorruption ? kExitVerifyFailed : kExitBadInput;
  }
  if (!json) std::cout << "OK\n";
  return kExitOk;
}
}  // namespace

void RegisterProofCommands(CLI::App& app, Globals& globals, int& exit_code) {
  struct Opts {
    std::string data, origin, index, size, old, vkey, proof, entry, bundle, file, trust, report, lang = "zh", extract;
  };
  auto o = std::make_shared<Opts>();
  auto* prove = app.add_subcommand("prove", "Make inclusion and consistency proofs (RFC 9162)");
  prove->require_subcommand(1);

  auto* inc = prove->add_subcommand(
      "inclusion",
      "Print a c2sp.org/tlog-proof@v1 text: the index, the inclusion proof and the\n"
      "signed checkpoint. With the entry bytes (custos entry) anyone can check it\n"
      "offline: custos verify --vkey VKEY --proof FILE --entry FILE.");
  EitherSource inc_source;
  inc_source.data = AddDataOption(inc, o->data);
  inc->add_option("--index", o->index, "Entry index")->required();
  inc->add_option("--size", o->size, "Tree size of a signed checkpoint (default: the latest)");
  inc_source.node_only.push_back(AddOriginOption(inc, o->origin));
  inc->add_flag("--json", globals.json, "Print index, size, proof hashes, checkpoint and the text as JSON");
  RunOnEither(
      inc, globals, inc_source, exit_code,
      [&globals, o] { return ProveInclusion(o->data, o->index, o->size, globals.json); },
      [&globals, o](NodeSession& s) { return ProveInclusionOnNode(s, o->origin, o->index, o->size, globals.json); });

  auto* con = prove->add_subcommand(
      "consistency", "Print the consistency proof from tree size --old to --size, one base64 hash per line");
  EitherSource con_source;
  con_source.data = AddDataOption(con, o->data);
  con->add_option("--old", o->old, "The older tree size")->required();
  con->add_option("--size", o->size, "The newer tree size (default: the log's size)");
  con_source.node_only.push_back(AddOriginOption(con, o->origin));
  con->add_flag("--json", globals.json, "Print {old, size, proof} as JSON");
  RunOnEither(
      con, globals, con_source, exit_code,
      [&globals, o] { return ProveConsistency(o->data, o->old, o->size, globals.json); },
      [&globals, o](NodeSession& s) { return ProveConsistencyOnNode(s, o->origin, o->old, o->size, globals.json); });

  auto* ver = app.add_subcommand(
      "verify",
      "Offline: check that an entry is in a log, from a tlog-proof and the log's\n"
      "verifier key (--vkey --proof --entry); or check an evidence bundle against\n"
      "a federation file (--bundle --trust [--file]): the file's digest, every\n"
      "signature, authority, proof, checkpoint, the witness policy and the custody\n"
      "chain. Prints OK (and, for a bundle, who registered what when and who has\n"
      "held it since), or FAILED and the reason (exit 1).\n"
      "With --report FILE.pdf (or FILE.html) it also writes the verification\n"
      "report a court files (存证核验报告; Chinese, or English with --lang en),\n"
      "also when the bundle fails; see docs/evidence-report.md.");
  ver->add_option("--vkey", o->vkey, "The log's verifier key string (custos key show on the node key)");
  ver->add_option("--proof", o->proof, "A .tlog-proof file (custos prove inclusion)");
  ver->add_option("--entry", o->entry, "The entry's raw bytes (custos entry)");
  ver->add_option("--bundle", o->bundle, "An evidence bundle (custos evidence bundle)");
  ver->add_option("--file", o->file, "With --bundle: the evidence file, checked against the registered digest");
  ver->add_option("--trust", o->trust, "With --bundle: the federation file (origins, keys, witness policy)");
  ver->add_option("--report", o->report,
                  "With --bundle: also write the verification report, as PDF (FILE.pdf) or HTML (FILE.html)");
  ver->add_option("--lang", o->lang, "The report's language: zh (default) or en");
  ver->add_option("--extract", o->extract,
                  "With --bundle: once it verifies, write its checkpoints and each step's entry and tlog-proof\n"
                  "into this directory, for standard tlog verifiers (Go's sumdb/note and tlog)");
  ver->add_flag("--json", globals.json, "Print {ok, origin, size, root} or {ok, reason} as JSON");
  RunOffline(ver, globals, exit_code, [&globals, o] {
    if (!o->bundle.empty()) {
      return VerifyBundle({o->bundle, o->file, o->trust, o->report, o->lang, o->extract, globals.json});
    }
    if (!o->report.empty()) return Fail(Status::InvalidArgument("--report: only with --bundle"));
    if (o->vkey.empty() || o->proof.empty() || o->entry.empty()) {
      return Fail(Status::InvalidArgument("verify: give --vkey, --proof and --entry, or --bundle and --trust"));
    }
    return Verify(o->vkey, o->proof, o->entry, globals.json);
  });
}

}  // namespace custos::cli
