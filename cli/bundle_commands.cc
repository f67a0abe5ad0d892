// custos evidence bundle | custos verify --bundle (docs/evidence-bundle.md).
//
// The bundle is made by a node from the logs it holds; the command line
// checks it against the federation file, exactly as a court will offline,
// before it writes it, so a bundle that would not verify is never handed on.
#include "cli/bundle_commands.h"

#include <openssl/evp.h>

#include <chrono>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <set>
#include <memory>

#include "cli/report.h"
#include "crypto/sha256.h"
#include "crypto/text.h"
#include "ledger/query/bundle.h"
#include "trust/bundle_verify.h"
#include "trust/federation.h"

namespace custos::cli {

namespace {

// The digest of a whole file (streamed), by OpenSSL: SHA-256, or SM3 (GB/T 32905).
Result<Hash> FileDigest(const std::string& path, uint8_t algorithm) {
  const char* name = algorithm == static_cast<uint8_t>(schema::DigestAlgorithm::SM3) ? "SM3" : "SHA256";
  std::unique_ptr<EVP_MD, decltype(&EVP_MD_free)> md(EVP_MD_fetch(nullptr, name, nullptr), EVP_MD_free);
  if (!md) return Status::InvalidArgument(std::string("--file: this OpenSSL has no ") + name);
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::InvalidArgument("--file: cannot open " + path);
  if (!ctx || EVP_DigestInit_ex(ctx.get(), md.get(), nullptr) != 1) return Status::IOError("--file: digest init failed");
  std::vector<char> buf(1 << 16);
  while (in) {
    in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
    if (in.gcount() > 0) EVP_DigestUpdate(ctx.get(), buf.data(), static_cast<size_t>(in.gcount()));
  }
  if (in.bad()) return Status::IOError("--file: reading " + path + " failed");
  Hash out;
  unsigned int len = 0;
  if (EVP_DigestFinal_ex(ctx.get(), out.bytes.data(), &len) != 1 || len != out.bytes.size()) {
    return Status::IOError("--file: digest failed");
  }
  return out;
}

nlohmann::json RegistrationJson(const bundle::RegistrationAccount& r) {
  nlohmann::json officers = nlohmann::json::array();
  for (const auto& o : r.officers) officers.push_back({{"name", o.name}, {"badge", o.badge}});
  nlohmann::json digests = nlohmann::json::array();
  for (const auto& d : r.digests) {
    digests.push_back({{"algorithm", d.algorithm}, {"value", HexEncode(d.value.span())}, {"size", d.size},
                       {"mediaType", d.media_type}});
  }
  return {{"method", r.method}, {"description", r.description}, {"place", r.place}, {"officers", officers},
          {"digests", digests}};
}

nlohmann::json AccountJson(const bundle::Account& a) {
  nlohmann::json steps = nlohmann::json::array();
  for (const auto& s : a.steps) {
    steps.push_back({{"origin", s.origin}, {"index", s.index}, {"logTime", s.log_time}, {"time", FormatUtcSeconds(s.log_time)},
                     {"kind", s.kind}, {"author", s.author}, {"authorName", s.author_name},
                     {"authorHolder", s.author_holder}, {"authorPost", s.author_post},
                     {"leafHash", HexEncode(s.leaf.span())}, {"summary", s.summary}, {"summaryZh", s.summary_zh}});
  }
  nlohmann::json checkpoints = nlohmann::json::array();
  for (const auto& c : a.checkpoints) {
    nlohmann::json stamps = nlohmann::json::array();
    for (const auto& t : c.timestamps) {
      stamps.push_back({{"tsa", t.tsa}, {"subject", t.subject}, {"time", t.time_ms}, {"serial", t.serial}});
    }
    checkpoints.push_back({{"origin", c.origin}, {"size", c.size}, {"root", Base64Encode(c.root.span())},
                           {"cosigners", c.cosigners}, {"cosignedAt", c.cosigned_at}, {"otherSigners", c.others},
                           {"timestamps", stamps}});
  }
  const char* algorithm = bundle::DigestAlgorithmName(a.algorithm);
  return {{"evidenceId", a.evidence_id}, {"caseId", a.case_id}, {"algorithm", algorithm ? algorithm : ""},
          {"digest", HexEncode(a.digest.span())}, {"size", a.content_size}, {"mediaType", a.media_type},
          {"fileChecked", a.file_checked}, {"madeBy", a.made_by}, {"madeAt", a.made_at}, {"steps", steps},
          {"checkpoints", checkpoints}, {"state", a.state}, {"policy", a.policy},
          {"complete", a.complete}, {"keysProved", a.keys_proved}, {"stateCode", a.state_code},
          {"holder", a.holder}, {"holderOrigin", a.holder_origin}, {"disposition", a.disposition},
          {"registration", RegistrationJson(a.registration)}};
}

void PrintAccount(const bundle::Account& a) {
  const char* algorithm = bundle::DigestAlgorithmName(a.algorithm);
  std::cout << "evidence " << a.evidence_id << " of case " << a.case_id << "\n"
            << "  " << (algorithm ? algorithm : "?") << " " << HexEncode(a.digest.span()) << " (" << a.content_size
            << " bytes, " << a.media_type << ")"
            << (a.file_checked ? ": the file matches" : ": no file was given, so no file was checked") << "\n"
            << "custody, in order:\n";
  auto print_step = [&](size_t i) {
    const auto& s = a.steps[i];
    std::cout << "  " << i + 1 << ". " << FormatUtcSeconds(s.log_time) << "  " << s.origin << " entry " << s.index << "  "
              << s.kind << "\n     " << s.summary << "\n     signed by "
              << (s.author_name.empty() ? "key " : s.author_name + ", key ") << s.author.substr(0, 16) << "…\n";
  };
  // A run of steps of one kind in one log (a long series of examinations)
  // is shown by its first and last step and a count; every one was checked,
  // and --json lists them all.
  constexpr size_t kShortestSummarised = 5;
  for (size_t i = 0; i < a.steps.size();) {
    size_t j = i;
    while (j + 1 < a.steps.size() && a.steps[j + 1].origin == a.steps[i].origin && a.steps[j + 1].kind == a.steps[i].kind) ++j;
    if (j - i + 1 < kShortestSummarised) {
      for (size_t k = i; k <= j; ++k) print_step(k);
    } else {
      std::set<std::string> authors;
      for (size_t k = i + 1; k < j; ++k) authors.insert(a.steps[k].author_name.empty() ? a.steps[k].author.substr(0, 16) + "…" : a.steps[k].author_name);
      std::string who;
      for (const auto& name : authors) who += (who.empty() ? "" : "; ") + name;
      print_step(i);
      std::cout << "  " << i + 2 << "–" << j << ". " << j - i - 1 << " more " << a.steps[i].kind << " steps in "
                << a.steps[i].origin << ", entries " << a.steps[i + 1].index << " to " << a.steps[j - 1].index << ", "
                << FormatUtcSeconds(a.steps[i + 1].log_time) << " to " << FormatUtcSeconds(a.steps[j - 1].log_time)
                << "\n     signed by " << who << " (each one checked; --json lists them)\n";
      print_step(j);
    }
    i = j + 1;
  }
  std::cout << "now: " << a.state << "\n" << "vouched for by:\n";
  for (const auto& c : a.checkpoints) {
    std::cout << "  " << c.origin << " checkpoint of size " << c.size << " (root " << Base64Encode(c.root.span())
              << "), signed by its origin";
    if (c.cosigners.empty()) std::cout << "; no cosignature by a cosigner of the policy";
    for (size_t i = 0; i < c.cosigners.size(); ++i) std::cout << (i == 0 ? "; cosigned by " : ", ") << c.cosigners[i];
    for (const auto& t : c.timestamps) {
      std::cout << "; time-stamped by " << t.tsa << " (RFC 3161) at " << FormatUtcSeconds(t.time_ms);
    }
    std::cout << "\n";
  }
  if (a.complete) {
    std::cout << "complete: in each log, these are all the custody entries about " << a.evidence_id
              << " up to its checkpoint, and the bundle holds every grant and revoke of the " << a.keys_proved
              << " keys it relies on\n";
  }
  std::cout << "witness policy: " << a.policy << "\n"
            << "bundle made by " << a.made_by << " at " << FormatUtcSeconds(a.made_at) << "\n";
}

// Prints a failed verdict: the reason and the message (on stdout, where the
// contract says the reason goes), or JSON.
int PrintFailure(const bundle::Verdict& v, bool json) {
  if (json) {
    PrintJson({{"ok", false}, {"reason", bundle::FailureName(v.failure)}, {"message", v.message}});
  } else {
    std::cout << "FAILED (" << bundle::FailureName(v.failure) << "): " << v.message << "\n";
  }
  return kExitVerifyFailed;
}

// ------------------------------------------------------------ against a node

struct BundleOpts {
  std::string file, digest, algorithm = "sha256", out, trust;
  bool json = false;
};

Result<std::pair<uint8_t, Hash>> DigestToAsk(const BundleOpts& o) {
  auto algorithm = bundle::ParseDigestAlgorithm(o.algorithm);
  if (!algorithm) return Status::InvalidArgument("--algorithm: \"" + o.algorithm + "\" is not sha256 or sm3");
  if (o.file.empty() == o.digest.empty()) return Status::InvalidArgument("--file, --digest: give exactly one");
  if (!o.file.empty()) {
    CUSTOS_ASSIGN_OR_RETURN(Hash h, FileDigest(o.file, *algorithm));
    return std::make_pair(*algorithm, h);
  }
  auto bytes = HexDecode(o.digest);
  auto h = bytes ? Hash::FromSpan(*bytes) : std::nullopt;
  if (!h) return Status::InvalidArgument("--digest: \"" + o.digest + "\" is not 64 hex digits");
  return std::make_pair(*algorithm, *h);
}

int MakeBundle(NodeSession& session, const BundleOpts& o) {
  auto trust = trust::LoadFederationFile(o.trust);
  if (!trust.ok()) return Fail(trust.status());
  auto digest = DigestToAsk(o);
  if (!digest.ok()) return Fail(digest.status());
  auto request = session.node().evidenceBundleRequest();
  request.setAlgorithm(o.algorithm);
  request.setDigest(capnp::Data::Reader(digest->second.bytes.data(), digest->second.bytes.size()));
  auto response = session.Wait(request.send());
  if (!response.ok()) return Fail(response.status().WithContext("evidence bundle"));
  auto data = response->getBundle();
  Bytes bytes(data.begin(), data.end());
  std::optional<Hash> file;
  if (!o.file.empty()) file = digest->second;
  bundle::Verdict v = bundle::VerifyEvidenceBundle(bytes, *trust, file);
  if (!v.ok()) {
    std::cerr << "custos: the node's bundle does not verify against " << o.trust << "; nothing written\n";
    return PrintFailure(v, o.json);
  }
  Status written = WriteFile(o.out, std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
  if (!written.ok()) return Fail(written.WithContext("--out"));
  if (o.json) {
    PrintJson({{"ok", true}, {"out", o.out}, {"bytes", bytes.size()}, {"account", AccountJson(v.account)}});
  } else {
    std::cout << "wrote " << o.out << " (" << bytes.size() << " bytes): evidence " << v.account.evidence_id << ", "
              << v.account.steps.size() << " custody steps, " << v.account.state << "; verified against " << o.trust
              << "\n";
  }
  return kExitOk;
}

const char* kBundleHelp =
    "Ask the node for the evidence bundle of a file (or of its digest): the\n"
    "registration, every custody entry since across the logs the node holds,\n"
    "their inclusion proofs, the cosigned checkpoints and the key grants that\n"
    "authorise the authors. The bundle is verified against --trust (as\n"
    "`custos verify --bundle` will) before it is written; nothing is written\n"
    "if it does not verify (exit 1). See docs/evidence-bundle.md.";

}  // namespace

void RegisterEvidenceCommands(CLI::App& app, Globals& globals, int& exit_code) {
  auto o = std::make_shared<BundleOpts>();  // kept alive by the callback below
  auto* evidence = app.add_subcommand("evidence", "Evidence queries: bundles for courts (needs --node)");
  evidence->require_subcommand(1);
  auto* make = evidence->add_subcommand("bundle", kBundleHelp);
  make->add_option("--file", o->file, "The evidence file: its digest is computed here (streamed)");
  make->add_option("--digest", o->digest, "The content digest, 64 hex digits (instead of --file)");
  make->add_option("--algorithm", o->algorithm, "Digest algorithm: sha256 (default) or sm3");
  make->add_option("--out", o->out, "Where to write the bundle (FILE.bundle)")->required();
  make->add_option("--trust", o->trust, "The federation file: origins, keys and the witness policy")->required();
  make->add_flag("--json", o->json, "Print {ok, out, bytes, account} (or {ok, reason, message}) as JSON");
  RunOnNode(make, globals, exit_code, [o](NodeSession& s) { return MakeBundle(s, *o); });
}

namespace {

// Writes the report --report names, as PDF or HTML by its extension.
Status WriteReport(const VerifyBundleArgs& args, const bundle::Verdict& v, ByteSpan bytes, report::Lang lang,
                   const trust::FederationConfig& config) {
  const bool pdf = args.report.ends_with(".pdf");
  report::ReportInput in;
  in.verdict = &v;
  in.federation = &config;
  in.lang = lang;
  in.bundle_path = args.bundle_file;
  in.trust_path = args.trust_file;
  in.file_path = args.file;
  in.bundle_sha256 = Sha256::Digest(bytes);
  in.made_at_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::system_clock::now().time_since_epoch()).count();
  const std::vector<report::Block> blocks = report::BuildReport(in);
  if (pdf) return report::WritePdf(blocks, lang, args.report);
  std::ofstream out(args.report, std::ios::binary | std::ios::trunc);
  out << report::RenderHtml(blocks, lang);
  out.close();
  if (!out) return Status::IOError("--report: cannot write " + args.report);
  return Status::OK();
}

constexpr const char* kPartsReadme = "CHECK.txt";

// Writes the bundle's parts (bundle::ExtractBundleParts) into args.extract:
// log-N.note and log-N.vkey per log, step-N.entry and step-N.tlog-proof per
// step, and CHECK.txt with the commands that check them.
Status WriteParts(const VerifyBundleArgs& args, ByteSpan bytes, const trust::Federation& trust) {
  CUSTOS_ASSIGN_OR_RETURN(bundle::BundleParts parts, bundle::ExtractBundleParts(bytes));
  std::error_code ec;
  std::filesystem::create_directories(args.extract, ec);
  if (ec) return Status::IOError("--extract: cannot make " + args.extract + ": " + ec.message());
  const std::filesystem::path dir(args.extract);
  auto write = [&](const std::string& name, std::string_view data) -> Status {
    std::ofstream out(dir / name, std::ios::binary | std::ios::trunc);
    out << data;
    out.close();
    if (!out) return Status::IOError("--extract: cannot write " + (dir / name).string());
    return Status::OK();
  };
  std::string check =
      "# The parts of " + args.bundle_file + ", checked with Go's golang.org/x/mod/sumdb/note and .../tlog\n"
      "# (goverify: tests/interop/goverify in Custos's source; any C2SP signed-note and tlog-proof\n"
      "# verifier will do). Each log's checkpoint, signed by its origin:\n";
  for (size_t i = 0; i < parts.logs.size(); ++i) {
    const std::string n = std::to_string(i + 1);
    const NoteVerifier* key = trust.OriginKey(parts.logs[i].origin);
    if (key == nullptr) return Status::InvalidArgument("--extract: the trust file has no key for " + parts.logs[i].origin);
    CUSTOS_RETURN_IF_ERROR(write("log-" + n + ".note", parts.logs[i].note));
    CUSTOS_RETURN_IF_ERROR(write("log-" + n + ".vkey", key->ToString() + "\n"));
    check += "goverify note \"$(cat log-" + n + ".vkey)\" log-" + n + ".note   # " + parts.logs[i].origin + "\n";
  }
  check += "# Each custody step, in order: its entry is in its log's checkpoint (RFC 6962):\n";
  for (size_t i = 0; i < parts.steps.size(); ++i) {
    const auto& s = parts.steps[i];
    const std::string n = std::to_string(i + 1), log = std::to_string(s.log + 1);
    CUSTOS_RETURN_IF_ERROR(write("step-" + n + ".entry", AsString(s.entry)));
    CUSTOS_RETURN_IF_ERROR(write("step-" + n + ".tlog-proof", s.tlog_proof));
    check += "goverify inclusion \"$(cat log-" + log + ".vkey)\" step-" + n + ".tlog-proof step-" + n + ".entry   # " +
             parts.logs[s.log].origin + " entry " + std::to_string(s.index) + "\n";
  }
  return write(kPartsReadme, check);
}

}  // namespace

int VerifyBundle(const VerifyBundleArgs& args) {
  report::Lang lang = report::Lang::kZh;
  if (!args.report.empty()) {
    if (!args.report.ends_with(".pdf") && !args.report.ends_with(".html")) {
      return Fail(Status::InvalidArgument("--report: " + args.report + ": name the report FILE.pdf or FILE.html"));
    }
    auto parsed = report::ParseLang(args.lang);
    if (!parsed.ok()) return Fail(parsed.status());
    lang = *parsed;
  }
  auto config = trust::LoadFederationConfigFile(args.trust_file);
  if (!config.ok()) return Fail(config.status());
  const trust::Federation federation = trust::Federation::FromConfig(*config);
  auto text = ReadFileLimited(args.bundle_file, bundle::kMaxBundleBytes, "--bundle");
  if (!text.ok()) return Fail(text.status());
  ByteSpan bytes = AsBytes(*text);
  auto about = bundle::PeekDigest(bytes);
  if (!about.ok()) return Fail(about.status().WithContext("--bundle " + args.bundle_file));
  std::optional<Hash> digest;
  if (!args.file.empty()) {
    auto h = FileDigest(args.file, about->first);
    if (!h.ok()) return Fail(h.status());
    digest = *h;
  }
  bundle::Verdict v = bundle::VerifyEvidenceBundle(bytes, federation, digest);
  if (!args.report.empty()) {
    Status written = WriteReport(args, v, bytes, lang, *config);
    if (!written.ok()) return Fail(written);
    if (!args.json) std::cerr << "report written: " << args.report << "\n";
  }
  if (!v.ok()) return PrintFailure(v, args.json);
  if (!args.extract.empty()) {
    Status written = WriteParts(args, bytes, federation);
    if (!written.ok()) return Fail(written);
    if (!args.json) std::cerr << "parts written: " << args.extract << " (" << kPartsReadme << " says how to check them)\n";
  }
  if (args.json) {
    nlohmann::json out = {{"ok", true}, {"account", AccountJson(v.account)}};
    if (!args.report.empty()) out["report"] = args.report;
    if (!args.extract.empty()) out["extract"] = args.extract;
    PrintJson(out);
  } else {
    std::cout << "OK: " << (v.account.file_checked ? "the file is the evidence registered" : "the bundle verifies")
              << ", and every custody step is signed, authorised, in its log and vouched for by the witness policy\n";
    PrintAccount(v.account);
  }
  return kExitOk;
}

}  // namespace custos::cli
