// custos log init | log verify | log backup | submit | checkpoint | entry
// (the node forms of the last three are in cli/node_commands.cc)

#include <filesystem>
#include <iostream>

#include "cli/command_line.h"
#include "cli/node_commands.h"
#include "cli/private_data.h"
#include "cli/repair_commands.h"
#include "crypto/note.h"
#include "ledger/admission/submission.h"
#include "ledger/log/backup.h"
#include "ledger/log/verify.h"
#include "ledger/tlog/checkpoint.h"
#include "node/config.h"
#include "schema/json.h"

namespace custos::cli {

namespace {

int Init(const std::string& dir, const std::string& origin, const std::string& node_key_file,
         const std::vector<std::string>& admin_vkeys, bool json) {
  std::vector<PublicKey> admins;
  for (const auto& v : admin_vkeys) {
    auto parsed = NoteVerifier::Parse(v);
    if (!parsed.ok()) return Fail(parsed.status().WithContext("--admin \"" + v + "\""));
    admins.push_back(parsed->key);
  }
  auto node_key = ReadKeyFile(node_key_file);
  if (!node_key.ok()) return Fail(node_key.status().WithContext("--node-key"));
  std::error_code ec;
  if (std::filesystem::exists(dir + "/custos.json")) {
    return Fail(Status::AlreadyExists("--data: " + dir + " already holds a log"));
  }
  std::filesystem::create_directories(dir, ec);
  if (ec) return Fail(Status::IOError("--data: cannot create " + dir + ": " + ec.message()));
  DataDir data{dir, origin, std::filesystem::absolute(node_key_file).string()};
  auto log = Log::Create(data.Options(), origin, *node_key, admins);
  if (!log.ok()) return Fail(log.status());
  Status st = data.Save();
  if (!st.ok()) return Fail(st);
  if (json) {
    PrintJson({{"origin", origin}, {"verifierKey", (*log)->VerifierKey()}, {"size", (*log)->size()},
               {"checkpoint", (*log)->checkpoint()}});
  } else {
    std::cout << "created log " << origin << " in " << dir << "\n"
              << "log verifier key: " << (*log)->VerifierKey() << "\n";
  }
  return kExitOk;
}

int Submit(const std::string& dir, const std::string& key_file, const std::string& statement_file,
           const std::string& batch_file, const std::string& private_file, bool json) {
  auto key = ReadKeyFile(key_file);
  if (!key.ok()) return Fail(key.status().WithContext("--key"));
  auto data = DataDir::Load(dir);
  if (!data.ok()) return Fail(data.status());
  auto lines = ReadStatements(statement_file, batch_file);
  if (!lines.ok()) return Fail(lines.status());
  auto privates = BindPrivates(private_file, batch_file, *lines);
  if (!privates.ok()) return Fail(privates.status());
  std::vector<Bytes> subs;
  for (const auto& line : *lines) {
    auto sub = PrepareSubmission(line.json, data->origin, *key);
    if (!sub.ok()) return Fail(sub.status().WithContext(line.where));
    subs.push_back(std::move(sub).value());
  }
  auto log = data->Open(/*with_node_key=*/true);
  if (!log.ok()) return Fail(log.status());
  // Nothing is appended on top of a damaged store: every block is read once.
  if (Status scrubbed = (*log)->store().Scrub(); !scrubbed.ok()) return Fail(scrubbed, /*verifying=*/true);
  auto results = (*log)->Append(subs, BatchMode::kAllOrNothing, *privates);
  int rc = kExitOk;
  for (size_t i = 0; i < results.size(); ++i) {
    // Aborted ones were fine themselves; only the reasons for refusal are news.
    if (!results[i].ok() && results[i].status().code() != Status::Code::kAborted) {
      rc = Fail(results[i].status().WithContext((*lines)[i].where));
    }
  }
  if (rc != kExitOk) {
    std::cerr << "custos: nothing was appended; the log is unchanged\n";
    return rc;
  }
  nlohmann::json out = nlohmann::json::array();
  for (const auto& r : results) {
    if (json) {
      out.push_back({{"index", r->index}, {"leafHash", Base64Encode(r->leaf_hash.span())}});
    } else {
      std::cout << r->index << " " << Base64Encode(r->leaf_hash.span()) << "\n";
    }
  }
  if (json) PrintJson({{"appended", out}, {"checkpoint", (*log)->checkpoint()}});
  return kExitOk;
}

int ShowCheckpoint(const std::string& dir, bool json) {
  auto log = OpenLogAt(dir, /*with_node_key=*/false);
  if (!log.ok()) return Fail(log.status());
  if (!json) {
    std::cout << (*log)->checkpoint();
    return kExitOk;
  }
  PrintJson({{"origin", (*log)->origin()}, {"size", (*log)->size()},
             {"root", Base64Encode((*log)->root().span())}, {"note", (*log)->checkpoint()},
             {"verifierKey", (*log)->VerifierKey()}});
  return kExitOk;
}

int ShowEntry(const std::string& dir, const std::string& index_text, bool json) {
  auto index = ParseIndex(index_text, "--index");
  if (!index.ok()) return Fail(index.status());
  auto log = OpenLogAt(dir, /*with_node_key=*/false);
  if (!log.ok()) return Fail(log.status());
  auto entry = (*log)->Entry(*index);
  if (!entry.ok()) return Fail(entry.status().WithContext("--index"));
  if (!json) {
    std::cout.write(reinterpret_cast<const char*>(entry->data()), static_cast<std::streamsize>(entry->size()));
    return kExitOk;
  }
  auto parsed = ReadStoredEntry(*entry, *index);
  if (!parsed.ok()) return Fail(parsed.status(), /*verifying=*/true);
  nlohmann::json private_member;  // null unless the entry lists a person
  if (auto digest = personal::EntryListedDigest(*entry)) {
    auto held = personal::ReadPayload((*log)->store(), layout::kOwnLog, *index);
    if (!held.ok()) return Fail(held.status());
    auto shown = PrivateJson(*digest, *held);
    if (!shown.ok()) return Fail(shown.status(), /*verifying=*/true);
    private_member = std::move(shown).value();
  }
  PrintEntryJson(schema::LogEntryToJson(parsed->get(), /*pretty=*/true), private_member);
  return kExitOk;
}

// The verifier keys of the federation file's peers, or none without one.
Result<std::vector<NoteVerifier>> FederationKeys(const std::string& federation_file) {
  std::vector<NoteVerifier> keys;
  if (federation_file.empty()) return keys;
  CUSTOS_ASSIGN_OR_RETURN(std::string text, ReadFileLimited(federation_file, 1 << 20, "--federation"));
  CUSTOS_ASSIGN_OR_RETURN(auto federation, node::ParseFederation(text, "--federation " + federation_file));
  for (const auto& peer : federation.peers) keys.push_back(peer.verifier);
  return keys;
}

nlohmann::json ReportJson(const VerifyReport& r) {
  return {{"origin", r.origin}, {"size", r.size}, {"root", Base64Encode(r.root.span())}};
}

// Checks the log, and with --federation every replica of a peer the store
// holds; read-only, so it may run beside a live node.
int VerifyLog(const std::string& dir, const std::string& federation_file, bool json) {
  auto data = DataDir::Load(dir);
  if (!data.ok()) return Fail(data.status());
  auto replicas = FederationKeys(federation_file);
  if (!replicas.ok()) return Fail(replicas.status());
  Progress progress("verifying");
  auto reports = VerifyStoredLogs(data->Options(), *replicas, [&](const std::string& log, uint64_t done, uint64_t total) {
    progress.Update("verifying " + log, done, total);
  });
  progress.Finish();
  if (reports.ok() && reports->front().origin != data->origin) {
    // The directory contradicts itself: submit would sign statements for an
    // origin the log refuses, and custosd would refuse to start.
    reports = Status::Corruption("--data: " + dir + "/custos.json names origin \"" + data->origin +
                                 "\", the log's genesis names \"" + reports->front().origin + "\"");
  }
  if (!reports.ok()) {
    if (json) PrintJson({{"ok", false}, {"reason", reports.status().ToString()}});
    return Fail(reports.status(), /*verifying=*/true);
  }
  const VerifyReport& own = reports->front();
  nlohmann::json replica_json = nlohmann::json::array();
  for (size_t i = 1; i < reports->size(); ++i) replica_json.push_back(ReportJson((*reports)[i]));
  if (json) {
    PrintJson({{"ok", true}, {"size", own.size}, {"root", Base64Encode(own.root.span())}, {"replicas", replica_json}});
    return kExitOk;
  }
  std::cout << "OK: " << Entries(own.size) << " verified; root " << Base64Encode(own.root.span()) << "\n";
  for (size_t i = 1; i < reports->size(); ++i) {
    std::cout << "OK: replica of " << (*reports)[i].origin << ": " << Entries((*reports)[i].size) << " verified\n";
  }
  return kExitOk;
}

// A consistent copy of a data directory, live or not, checked before it is
// called a backup.
int Backup(const std::string& dir, const std::string& out, bool json) {
  auto data = DataDir::Load(dir);
  if (!data.ok()) return Fail(data.status());
  std::error_code ec;
  if (std::filesystem::exists(out, ec)) {
    return Fail(Status::InvalidArgument("--out: " + out + " exists; a backup goes into a new directory"));
  }
  LogOptions options = data->Options();
  options.read_only = true;
  auto from = Store::Open(options, OpenMode::kOpenExisting);
  if (!from.ok()) return Fail(from.status().WithContext("--data " + dir), /*verifying=*/true);
  std::filesystem::create_directories(out, ec);
  if (ec) return Fail(Status::IOError("--out: cannot create " + out + ": " + ec.message()));
  DataDir copy{out, data->origin, std::filesystem::absolute(data->node_key_file).string()};
  Progress progress("copying");
  auto backup = BackupAndVerify(**from, copy.ledger_path(), {}, [&](const std::string& stage, uint64_t done,
                                                                    uint64_t total) { progress.Update(stage, done, total); });
  progress.Finish();
  if (!backup.ok()) return Fail(backup.status().WithContext("backup"), /*verifying=*/true);
  if (Status saved = copy.Save(); !saved.ok()) return Fail(saved);
  const VerifyReport& own = backup->logs.front();
  if (json) {
    PrintJson({{"ok", true}, {"out", out}, {"size", own.size}, {"records", backup->copied.records},
               {"entries", backup->copied.entries}, {"checkpoint", own.checkpoint}});
  } else {
    std::cout << "OK: backed up " << backup->copied.records << " records (" << backup->copied.entries
              << " entries of every log) into " << out << "; its own log of " << Entries(own.size)
              << " verifies\n";
  }
  return kExitOk;
}
}  // namespace

void RegisterLogCommands(CLI::App& app, Globals& globals, int& exit_code) {
  struct Opts {
    std::string data, origin, node_key, statement, batch, index, private_file, out, federation;
    std::vector<std::string> admins;
    size_t per_call = 0;
  };
  auto o = std::make_shared<Opts>();
  auto* log = app.add_subcommand("log", "Create and check a log");
  log->require_subcommand(1);

  auto* init = log->add_subcommand(
      "init",
      "Create a log: its genesis entry names the origin, the node key that signs\n"
      "checkpoints, and the first admin keys, who then grant roles to officers\n"
      "with key-grant statements (see examples/key-grant.json).");
  init->add_option("--data", o->data, "Directory for the log (created)")->required();
  init->add_option("--origin", o->origin, "The log's origin, e.g. suzhou-ipb.example/custos")->required();
  init->add_option("--node-key", o->node_key, "Node key file; its name must equal the origin")->required();
  init->add_option("--admin", o->admins, "Verifier key string of an admin (repeat for more)")->required();
  init->add_flag("--json", globals.json, "Print origin, verifierKey and checkpoint as JSON");
  RunOffline(init, globals, exit_code,
             [&globals, o] { return Init(o->data, o->origin, o->node_key, o->admins, globals.json); });

  auto* verify = log->add_subcommand(
      "verify",
      "Check a whole stored log: hash chain, tree and tiles, every signature, every\n"
      "authority decision, the checkpoint; with --federation, every replica too.\n"
      "Read-only: it can check a running node's store. Exit 1 and the first failure if any.");
  verify->add_option("--data", o->data, "The log's directory (a running node's is fine: nothing is written)")->required();
  verify->add_option("--federation", o->federation,
                     "Also check every replica of a peer in this federation file that the store holds");
  verify->add_flag("--json", globals.json, "Print {ok, size, root, replicas} or {ok, reason} as JSON");
  RunOffline(verify, globals, exit_code, [&globals, o] { return VerifyLog(o->data, o->federation, globals.json); });

  auto* backup = log->add_subcommand(
      "backup",
      "Copy a data directory consistently, as of one moment, into a new directory\n"
      "that `custos log verify` accepts and custosd can start from. The source may\n"
      "be a running node's: nothing in it is written. The copy is verified before\n"
      "this reports OK. The node key file is not copied; custos.json of the copy\n"
      "names it by its absolute path. See docs/operations.md before restoring.");
  backup->add_option("--data", o->data, "The log's directory (a running node's is fine)")->required();
  backup->add_option("--out", o->out, "The new directory for the copy (must not exist)")->required();
  backup->add_flag("--json", globals.json, "Print {ok, out, size, records, entries, checkpoint} as JSON");
  RunOffline(backup, globals, exit_code, [&globals, o] { return Backup(o->data, o->out, globals.json); });

  AddRepairCommand(*log, globals, exit_code);

  auto* submit = app.add_subcommand(
      "submit",
      "Sign statements with your key (--key FILE) and append them to the log, or\n"
      "submit them to the node. Fills in origin, time and nonce when the JSON leaves\n"
      "them out. Prints \"<index> <base64 leaf hash>\" per appended entry. Offline a\n"
      "batch is all or nothing: one bad line appends nothing. A node accepts or\n"
      "refuses each statement on its own, and its receipts are checked against\n"
      "--node-vkey before they are printed.");
  EitherSource submit_source;
  submit_source.data = AddDataOption(submit, o->data);
  submit_source.key_offline = true;
  submit->add_option("--statement", o->statement, "One JSON statement (see examples/)");
  submit->add_option("--batch", o->batch, "JSON Lines file, one statement per line");
  submit->add_option("--private", o->private_file, kPrivateHelp);
  submit_source.node_only.push_back(
      submit->add_option("--per-call", o->per_call, "Against a node: submissions per RPC call (default 4096, the node's limit)"));
  submit->add_flag("--json", globals.json, "Print the receipts and the new checkpoint as JSON");
  RunOnEither(
      submit, globals, submit_source, exit_code,
      [&globals, o] {
        if (globals.node.key().empty()) return Fail(Status::InvalidArgument("--key is required (see --help)"));
        return Submit(o->data, globals.node.key(), o->statement, o->batch, o->private_file, globals.json);
      },
      [&globals, o](NodeSession& s) {
        return SubmitOnNode(s, o->statement, o->batch, o->private_file, o->per_call, globals.json);
      });

  auto* cp = app.add_subcommand("checkpoint", "Print the latest signed checkpoint, verbatim (C2SP tlog-checkpoint)");
  EitherSource cp_source;
  cp_source.data = AddDataOption(cp, o->data);
  cp_source.node_only.push_back(AddOriginOption(cp, o->origin));
  cp->add_flag("--json", globals.json, "Print origin, size, root and the note as JSON");
  RunOnEither(
      cp, globals, cp_source, exit_code, [&globals, o] { return ShowCheckpoint(o->data, globals.json); },
      [&globals, o](NodeSession& s) { return ShowCheckpointOnNode(s, o->origin, globals.json); });

  auto* entry = app.add_subcommand("entry", "Print an entry: its raw canonical bytes, or JSON");
  EitherSource entry_source;
  entry_source.data = AddDataOption(entry, o->data);
  entry->add_option("--index", o->index, "Entry index (0 is the genesis)")->required();
  entry_source.node_only.push_back(AddOriginOption(entry, o->origin));
  entry->add_flag("--json", globals.json, "Decode the entry and its statement as JSON");
  RunOnEither(
      entry, globals, entry_source, exit_code, [&globals, o] { return ShowEntry(o->data, o->index, globals.json); },
      [&globals, o](NodeSession& s) { return ShowEntryOnNode(s, o->origin, o->index, globals.json); });
}

}  // namespace custos::cli
