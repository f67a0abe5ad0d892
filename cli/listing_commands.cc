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
  std::string id, kind = "org", origin, trust, batch;
  bool json = false;
};

struct Checked {
  std::string id;
  std::vector<listings::LogVerdict> logs;
  std::vector<std::string> unanswered;  // federation logs the node did not answer for
  bool listed = false;
};

// Asks the node for one subject and verifies every log's part.
Result<Checked> CheckOne(NodeSession& session, const ListingOpts& o, const std::string& id,
                         const trust::Federation& trust, listings::ListingVerifier& verifier) {
  CUSTOS_ASSIGN_OR_RETURN(listings::SubjectKind kind, listings::ParseSubjectKind(o.kind));
  // Never asked, never "not listed": an id that names nobody is bad input.
  CUSTOS_ASSIGN_OR_RETURN(listings::SubjectQuery subject, listings::SubjectOfQuery(kind, id));
  auto request = session.node().listingCheckRequest();
  request.setKind(o.kind);
  request.setId(subject.id);
  request.setOrigin(o.origin);
  CUSTOS_ASSIGN_OR_RETURN(auto response, session.Wait(request.send()));
  auto answer = listings::ListingAnswer::Parse(response.getAnswer().cStr());
  if (!answer.ok()) return Status::Corruption("answer: " + answer.status().message());
  if (answer->kind != kind || answer->id != subject.id) return Status::Corruption("answer: it is about another subject");
  const int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::system_clock::now().time_since_epoch()).count();
  Checked out{subject.id, {}, {}, false};
  std::set<std::string> answered;
  for (const auto& log : answer->logs) {
    if (trust.OriginKey(log.origin) == nullptr) {
      return Status::Corruption("answer: log " + log.origin + " is not in the --trust file");
    }
    if (!answered.insert(log.origin).second) return Status::Corruption("answer: log " + log.origin + " twice");
    auto verdict = verifier.Verify(log, subject.key, now);
    if (!verdict.ok()) return Status::Corruption(log.origin + ": " + verdict.status().message());
    out.listed = out.listed || verdict->listed;
    out.logs.push_back(std::move(verdict).value());
  }
  for (const auto& [origin, key] : trust.origins()) {
    if (!answered.count(origin) && (o.origin.empty() || o.origin == origin)) out.unanswered.push_back(origin);
  }
  if (out.logs.empty()) return Status::Corruption("answer: the node answered for no log");
  return out;
}

void PrintText(const Checked& c, const std::string& kind) {
  std::cout << c.id << " (" << kind << "): " << (c.listed ? "listed" : "not listed") << "\n";
  for (const auto& log : c.logs) {
    std::cout << "  " << log.origin << ": " << (log.listed ? "listed" : "not listed") << " (checkpoint size "
              << log.size << ", " << log.cosignatures << " cosignatures)\n";
    for (const auto& l : log.listings) {
      std::cout << "    entry " << l.index << ": " << l.cause << ", " << l.deciding_agency << " " << l.decision_number
                << ", publication " << (l.lapsed ? "ended " : "ends ") << FormatUtcSeconds(l.publication_ends) << "\n";
    }
  }
  for (const auto& origin : c.unanswered) std::cout << "  " << origin << ": no answer (the node does not hold it)\n";
}

nlohmann::json ToJson(const Checked& c, const std::string& kind) {
  nlohmann::json logs = nlohmann::json::array();
  for (const auto& log : c.logs) {
    nlohmann::json listings = nlohmann::json::array();
    for (const auto& l : log.listings) {
      listings.push_back({{"index", l.index}, {"publicationEnds", l.publication_ends}, {"lapsed", l.lapsed},
                          {"cause", l.cause}, {"decidingAgency", l.deciding_agency},
                          {"decisionNumber", l.decision_number}});
    }
    logs.push_back({{"origin", log.origin}, {"listed", log.listed}, {"checkpointSize", log.size},
                    {"cosignatures", log.cosignatures}, {"listings", listings}});
  }
  return {{"id", c.id}, {"kind", kind}, {"listed", c.listed}, {"logs", logs}, {"unanswered", c.unanswered}};
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
  listings::ListingVerifier verifier(*trust);
  nlohmann::json all = nlohmann::json::array();
  int rc = kExitOk;
  for (const auto& id : *ids) {
    auto checked = CheckOne(session, o, id, *trust, verifier);
    if (!checked.ok()) {
      int code = Fail(checked.status().WithContext(id), /*verifying=*/true);
      if (rc == kExitOk || code == kExitVerifyFailed) rc = code;
      if (o.json) all.push_back({{"id", id}, {"error", checked.status().ToString()}});
      continue;
    }
    if (o.json) {
      all.push_back(ToJson(*checked, o.kind));
    } else {
      PrintText(*checked, o.kind);
    }
  }
  if (o.json) PrintJson(o.batch.empty() && all.size() == 1 ? all[0] : all);
  return rc;
}

}  // namespace

void RegisterListingCommands(CLI::App& app, Globals& globals, int& exit_code) {
  auto* listing = app.add_subcommand("listing", "Dishonesty listings: is a subject listed, with proof (needs --node)");
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
  check->add_flag("--json", o->json, "Print the verified result as JSON");
  RunOnNode(check, globals, exit_code, [o](NodeSession& s) { return CheckListing(s, *o); });
}

}  // namespace custos::cli
