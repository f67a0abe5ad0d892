#include "node/witness_asker.h"

#include <spdlog/spdlog.h>

#include "crypto/text.h"
#include "ledger/log/log.h"
#include "ledger/tlog/checkpoint.h"
#include "ledger/tlog/witness_request.h"
#include "node/http_client.h"
#include "node/metrics.h"

namespace custos::node {

namespace {

constexpr size_t kMaxAnswerBytes = 64 * 1024;

}  // namespace

struct WitnessAsker::Asked {
  OutsideWitness witness;
  HttpUrl url;
  uint64_t held = 0;          // the size the witness is believed to hold
  uint64_t cosigned = 0;      // the largest size it cosigned for this node
  std::string last_error;     // logged once until it changes
  bool given_up = false;      // after an alarm
};

WitnessAsker::WitnessAsker(Log& log, std::vector<OutsideWitness> witnesses, std::shared_ptr<spdlog::logger> logger,
                           NodeMetrics* metrics, std::chrono::milliseconds interval)
    : log_(log), logger_(std::move(logger)), metrics_(metrics), interval_(interval) {
  for (auto& w : witnesses) {
    auto url = ParseHttpUrl(w.url);  // the config checked it
    witnesses_.push_back(std::make_unique<Asked>(Asked{std::move(w), url.ok() ? *url : HttpUrl{}, 0, 0, "", false}));
  }
}

WitnessAsker::~WitnessAsker() { Stop(); }

void WitnessAsker::Start() {
  thread_ = std::thread([this] { Loop(); });
}

void WitnessAsker::Stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

std::vector<std::string> WitnessAsker::Alarms() const {
  std::lock_guard lock(mu_);
  return alarms_;
}

void WitnessAsker::Loop() {
  for (;;) {
    for (auto& w : witnesses_) {
      for (int again = 0; again < 3 && !w->given_up && Ask(*w); ++again) {
      }
    }
    std::unique_lock lock(mu_);
    if (wake_.wait_for(lock, interval_, [this] { return stopping_; })) return;
  }
}

bool WitnessAsker::Ask(Asked& w) {
  const std::string note = log_.checkpoint();
  auto parsed = Note::Parse(note);
  auto cp = parsed.ok() ? Checkpoint::Parse(parsed->text) : Result<Checkpoint>(parsed.status());
  if (!cp.ok() || cp->size <= w.cosigned) return false;  // nothing new to cosign
  const std::string who = "outside witness " + w.witness.verifier.name + " (" + w.witness.url + ")";
  auto fail = [&](const std::string& what) {
    if (what != w.last_error) logger_->warn("{}: {}", who, what);
    w.last_error = what;
    return false;
  };
  merkle::AddCheckpointRequest request{std::min(w.held, cp->size), {}, note};
  if (request.old_size > 0 && request.old_size < cp->size) {
    auto proof = log_.ConsistencyProof(request.old_size, cp->size);
    if (!proof.ok()) return fail("consistency proof from " + std::to_string(request.old_size) + ": " + proof.status().ToString());
    request.proof = std::move(proof).value();
  }
  auto reply = HttpPost(w.url, "/add-checkpoint", "text/plain; charset=utf-8", merkle::FormatAddCheckpoint(request),
                        w.witness.ca_file, kMaxAnswerBytes);
  if (!reply.ok()) return fail(reply.status().message());
  if (reply->status == 409 && reply->content_type.starts_with("text/x.tlog.size")) {
    std::string_view body = reply->body;
    while (!body.empty() && (body.back() == '\n' || body.back() == '\r')) body.remove_suffix(1);
    uint64_t size = 0;
    if (!ParseDecimal(body, &size)) return fail("409 with a size that is not a number");
    if (size > log_.size()) {
      const std::string alarm = who + " holds size " + std::to_string(size) + " of this log, which has " +
                                std::to_string(log_.size()) + (log_.size() == 1 ? " entry" : " entries") +
                                ": it saw a checkpoint this node never " +
                                "signed, or another history; no longer asked";
      logger_->error("{}", alarm);
      std::lock_guard lock(mu_);
      alarms_.push_back(alarm);
      w.given_up = true;
      return false;
    }
    logger_->info("{} holds size {}; asking from there", who, size);
    w.held = size;
    return size != request.old_size;  // at once, from the size it holds
  }
  if (reply->status != 200) {
    return fail("HTTP " + std::to_string(reply->status) + ": " + reply->body.substr(0, 200));
  }
  // The answer is one or more signature lines; each by the witness's key is checked and kept.
  auto lines = Note::Parse(parsed->text + "\n" + reply->body);
  if (!lines.ok()) return fail("the answer is not cosignature lines: " + lines.status().message());
  bool kept = false;
  for (const auto& sig : lines->signatures) {
    if (sig.name != w.witness.verifier.name || sig.key_id != w.witness.verifier.key_id) continue;
    Status st = log_.AddCosignature(note, sig.ToLine(), w.witness.verifier);
    if (!st.ok()) return fail("its cosignature is refused: " + st.ToString());
    kept = true;
  }
  if (!kept) return fail("200 without a cosignature by its key");
  if (metrics_ != nullptr) metrics_->CosignatureReceived();
  if (!w.last_error.empty()) logger_->info("{}: cosigning again", who);
  w.last_error.clear();
  w.held = w.cosigned = cp->size;
  logger_->debug("{} cosigned size {}", who, cp->size);
  return false;
}

}  // namespace custos::node
