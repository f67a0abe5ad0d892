// custos listing check: the node answers, the command line verifies (the
// origin's signature, the witness policy, the map proof, each listing's
// inclusion proof and fields) before it prints anything about the subject.
#include "cli/listing_commands.h"

#include <chrono>
#include <fstream>
#include <iostream>
#include <map>

#include "crypto/text.h"
#include "ledger/listings/listing_check.h"
#include "ledger/listings/listings_state.h"
#include "trust/federation.h"
#include "trust/listing_verifier.h"

namespace custos::cli {

namespace {

constexpr size_t kMaxBatchFileBytes = 64 << 20;

struct ListingOpts {
  std::string id, kind = "org", origin, trust, batch, save, file, at;
  bool json = false;
};

struct Checked {
  std::string id;
  std::string kind;
  std::vector<listings::LogVerdict> logs;
  std::vector<std::string> unanswered;  // federation logs the answer has no part for
  bool listed = false;
};

int64_t NowMillis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Verifies every log's part of `answer` at `now_ms`; `origin`, if not empty,
// is the one log asked about.
Result<Checked> Judge(const listings::ListingAnswer& answer, const listings::SubjectQuery& subject,
                      const std::string& origin, const trust::Federation& trust, listings::ListingVerifier& verifier,
                      int64_t now_ms) {
  Checked out{answer.id, std::string(listings::SubjectKindName(answer.kind)), {}, {}, false};
  std::set<std::string> answered;
  for (const auto& log : answer.logs) {
    if (trust.OriginKey(log.origin) == nullptr) {
      return Status::Corruption("answer: log " + log.origin + " is not in the --trust file");
    }
    if (!answered.insert(log.origin).second) return Status::Corruption("answer: log " + log.origin + " twice");
    auto verdict = verifier.Verify(log, subject.key, now_ms);
    if (!verdict.ok()) return Status::Corruption(log.origin + ": " + verdict.status().message());
    out.listed = out.listed || verdict->listed;
    out.logs.push_back(std::move(verdict).value());
  }
  for (const auto& [name, key] : trust.origins()) {
    if (!answered.count(name) && (origin.empty() || origin == name)) out.unanswered.push_back(name);
  }
  if (out.logs.empty()) return Status::Corruption("answer: it has no part for any log");
  return out;
}

// Asks the node for one subject and verifies every log's part; the answer
// itself goes to `kept` if given (after it verified).
Result<Checked> CheckOne(NodeSession& session, const ListingOpts& o, const std::string& id,
                         const trust::Federation& trust, listings::ListingVerifier& verifier,
                         listings::ListingAnswer* kept) {
  CUSTOS_ASSIGN_OR_RETURN(listings::SubjectKind kind, listings::ParseSubjectKind(o.kind));
  // Never asked, never "not listed": an id that names nobody is bad input.
  CUSTOS_ASSIGN_OR_RETURN(listings::SubjectQuery subject, listings::SubjectOfQuery(kind, id));
  auto request = session.node().listingCheckRequest();
  request.setKind(o.kind);
  request.setId(subject.id);
  request.setOrigin(o.origin);
  CUSTOS_ASSIGN_OR_RETURN(auto response, session.Wait(request.send()));
  auto answer = listings::ListingAnswer::Read(response.getAnswer());
  if (!answer.ok()) return Status::Corruption("answer: " + answer.status().message());
  if (answer->kind != kind || answer->id != subject.id) return Status::Corruption("answer: it is about another subject");
  CUSTOS_ASSIGN_OR_RETURN(Checked checked, Judge(*answer, subject, o.origin, trust, verifier, NowMillis()));
  if (kept != nullptr) *kept = std::move(answer).value();
  return checked;
}

void PrintText(const Checked& c) {
  std::cout << c.id << " (" << c.kind << "): " << (c.listed ? "listed" : "not listed") << "\n";
  for (const auto& log : c.logs) {
    std::cout << "  " << log.origin << ": " << (log.listed ? "listed" : "not listed") << " (checkpoint size "
              << log.size << ", " << log.cosignatures << " cosignatures)\n";
    for (const auto& l : log.listings) {
      std::cout << "    entry " << l.index << ": " << (l.subject_name.empty() ? "" : l.subject_name + ", ") << l.cause
                << ", " << l.deciding_agency << " " << l.decision_number << ", listed from "
                << FormatUtcSeconds(l.listed_from) << ", publication " << (l.lapsed ? "ended " : "ends ")
                << FormatUtcSeconds(l.publication_ends) << "\n";
    }
  }
  for (const auto& origin : c.unanswered) std::cout << "  " << origin << ": no answer for this log\n";
}

nlohmann::json ToJson(const Checked& c) {
  nlohmann::json logs = nlohmann::json::array();
  for (const auto& log : c.logs) {
    nlohmann::json listings = nlohmann::json::array();
    for (const auto& l : log.listings) {
      listings.push_back({{"index", l.index},
                          {"leafHash", Base64Encode(l.leaf.span())},
                          {"subjectId", l.subject_id},
                          {"subjectName", l.subject_name},
                          {"listedFrom", l.listed_from},
                          {"publicationEnds", l.publication_ends},
                          {"lapsed", l.lapsed},
                          {"cause", l.cause},
                          {"legalBasis", l.legal_basis},
                          {"decidingAgency", l.deciding_agency},
                          {"decisionNumber", l.decision_number},
                          {"caseRef", l.case_ref}});
    }
    logs.push_back({{"origin", log.origin}, {"listed", log.listed}, {"checkpointSize", log.size},
                    {"cosignatures", log.cosignatures}, {"listings", listings}});
  }
  return {{"id", c.id}, {"kind", c.kind}, {"listed", c.listed}, {"logs", logs}, {"unanswered", c.unanswered}};
}

Result<std::vector<std::string>> Ids(const ListingOpts& o) {
  if (o.batch.empty() == o.id.empty()) return Status::InvalidArgument("listing check: give one ID or --batch FILE");
  if (!o.id.empty()) return std::vector<std::string>{o.id};
  CUSTOS_ASSIGN_OR_RETURN(std::string text, ReadFileLimited(o.batch, kMaxBatchFileBytes, "--batch"));
  std::vector<std::string> ids;
  size_t at = 0;
  while (at < text.size()) {
    size_t nl = text.find('\n', at);
    std::string line = text.substr(at, nl == std::string::npos ? std::string::npos : nl - at);
    at = nl == std::string::npos ? text.size() : nl + 1;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (!line.empty()) ids.push_back(line);
  }
  if (ids.empty()) return Status::InvalidArgument("--batch: " + o.batch + " holds no id");
  return ids;
}

int CheckListing(NodeSession& session, const ListingOpts& o) {
  auto trust = trust::LoadFederationFile(o.trust);
  if (!trust.ok()) return Fail(trust.status());
  auto ids = Ids(o);
  if (!ids.ok()) return Fail(ids.status());
  if (!o.save.empty() && !o.batch.empty()) return Fail(Status::InvalidArgument("--save: keeps one answer; give one ID, not --batch"));
  listings::ListingVerifier verifier(*trust);
  listings::ListingAnswer kept;
  nlohmann::json all = nlohmann::json::array();
  int rc = kExitOk;
  for (const auto& id : *ids) {
    auto checked = CheckOne(session, o, id, *trust, verifier, o.save.empty() ? nullptr : &kept);
    if (!checked.ok()) {
      int code = Fail(checked.status().WithContext(id), /*verifying=*/true);
      if (rc == kExitOk || code == kExitVerifyFailed) rc = code;
      if (o.json) all.push_back({{"id", id}, {"error", checked.status().ToString()}});
      continue;
    }
    if (!o.save.empty()) {
      const Bytes bytes = kept.Encode();
      Status saved = WriteFile(o.save, AsString(bytes));
      if (!saved.ok()) return Fail(saved.WithContext("--save"));
    }
    if (o.json) {
      all.push_back(ToJson(*checked));
    } else {
      PrintText(*checked);
    }
  }
  if (o.json) PrintJson(o.batch.empty() && all.size() == 1 ? all[0] : all);
  return rc;
}

// custos listing verify: an answer kept with --save, checked again offline.
int VerifySaved(const ListingOpts& o) {
  auto trust = trust::LoadFederationFile(o.trust);
  if (!trust.ok()) return Fail(trust.status());
  int64_t at = NowMillis();
  if (!o.at.empty()) {
    auto parsed = ParseTime(o.at, "--at");
    if (!parsed.ok()) return Fail(parsed.status());
    at = *parsed;
  }
  auto bytes = ReadFileLimited(o.file, listings::kMaxAnswerBytes, "answer");
  if (!bytes.ok()) return Fail(bytes.status());
  auto answer = listings::ListingAnswer::Decode(AsBytes(*bytes));
  if (!answer.ok()) return Fail(Status::InvalidArgument(o.file + ": " + answer.status().message()));
  auto subject = listings::SubjectOfQuery(answer->kind, answer->id);
  if (!subject.ok() || subject->id != answer->id) {
    return Fail(Status::Corruption(o.file + ": the answer names no valid subject"), /*verifying=*/true);
  }
  listings::ListingVerifier verifier(*trust);
  auto checked = Judge(*answer, *subject, "", *trust, verifier, at);
  if (!checked.ok()) return Fail(checked.status().WithContext(o.file), /*verifying=*/true);
  if (o.json) {
    PrintJson(ToJson(*checked));
  } else {
    PrintText(*checked);
  }
  return kExitOk;
}

}  // namespace

void RegisterListingCommands(CLI::App& app, Globals& globals, int& exit_code) {
  auto* listing = app.add_subcommand("listing", "Dishonesty listings: is a subject listed, with proof");
  listing->require_subcommand(1);
  auto o = std::make_shared<ListingOpts>();
  auto* check = listing->add_subcommand(
      "check",
      "Ask the node whether a subject is on the dishonesty list of each log it holds,\n"
      "and check the answer before printing it: each log's checkpoint must be signed\n"
      "by its origin's key in --trust and carry the witness policy's quorum of\n"
      "cosignatures; the map proof must lead to the checkpoint's \"listings\" root;\n"
      "every live listing must be included in that checkpoint's tree and name the\n"
      "subject. A listing whose publication end has passed counts as not listed.\n"
      "Prints listed / not listed per log and overall, exit 0; a failed check\n"
      "prints its reason, exit 1 (docs/listings-map.md).\n\n"
      "  custos --node 127.0.0.1:7300 --key me.key --node-vkey VKEY \\\n"
      "      listing check 91320583MA1WR6T306 --trust federation.json");
  check->add_option("ID", o->id, "Unified social credit code (org), or a person listing's hex privateDigest");
  check->add_option("--kind", o->kind, "org (default) or person")->check(CLI::IsMember({"org", "person"}));
  check->add_option("--trust", o->trust, "Federation file: origin keys and the witness policy (examples/node/)");
  check->add_option("--origin", o->origin, "Only this log (default: every log the node holds)");
  check->add_option("--batch", o->batch, "A file of ids, one per line, instead of ID");
  check->add_option("--save", o->save,
                    "Keep the node's answer (after it verified) in FILE, to check again later with\n"
                    "`custos listing verify FILE` (one ID only)");
  check->add_flag("--json", o->json, "Print the verified result as JSON");
  RunOnNode(check, globals, exit_code, [o](NodeSession& s) { return CheckListing(s, *o); });

  auto* verify = listing->add_subcommand(
      "verify",
      "Check again, offline, an answer kept with `listing check --save`: the same checks\n"
      "against --trust, judged at --at (default: now), so that what a node said about a\n"
      "subject can be shown later to anyone holding the federation file. Prints as\n"
      "`listing check` does, exit 0; a failed check prints its reason, exit 1.\n"
      "`capnp decode --flat --short schema/listing.capnp ListingAnswer < FILE` shows the file\n"
      "as text (docs/listings-map.md).\n\n"
      "  custos listing check 91320583MA1WR6T306 --trust federation.json --save answer.bin …\n"
      "  custos listing verify answer.bin --trust federation.json --at 2024-05-01T00:00:00Z");
  verify->add_option("FILE", o->file, "An answer saved by `listing check --save`")->required();
  verify->add_option("--trust", o->trust, "Federation file: origin keys and the witness policy")->required();
  verify->add_option("--at", o->at, "Judge lapsed listings at: ms since the epoch or 2024-05-01T00:00:00Z (default: now)");
  verify->add_flag("--json", o->json, "Print the verified result as JSON");
  RunOffline(verify, globals, exit_code, [o] { return VerifySaved(*o); });
}

}  // namespace custos::cli
