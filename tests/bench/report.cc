#include "tests/bench/report.h"

#include <cmath>
#include <cstdio>
#include <fstream>
#include <iomanip>
#include <sstream>

namespace custos::bench {

namespace {
// Three significant digits or more, no exponent for the sizes we print.
std::string Figure(double v) {
  char buf[64];
  double a = std::fabs(v);
  const char* fmt = a >= 100 ? "%.0f" : a >= 10 ? "%.1f" : a >= 1 ? "%.2f" : "%.3f";
  std::snprintf(buf, sizeof buf, fmt, v);
  return buf;
}

std::string Percent(double ratio) { return Figure(100 * ratio) + "%"; }

std::string JsonString(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    if (static_cast<unsigned char>(c) < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      out += buf;
      continue;
    }
    out += c;
  }
  return out + "\"";
}

std::string JsonNumber(double v) {
  if (!std::isfinite(v)) return "null";
  std::ostringstream s;
  s << std::setprecision(10) << v;
  return s.str();
}

std::string PassText(const Row& r) {
  if (!r.pass) return "";
  return *r.pass ? "PASS" : "MISS";
}

void PrintRow(std::ostream& out, const std::string& name, const std::string& value, const std::string& limit,
              const std::string& ratio, const std::string& target, const std::string& result) {
  out << std::left << std::setw(46) << name << std::right << std::setw(14) << value << std::setw(14) << limit
      << std::setw(8) << ratio << "  " << std::left << std::setw(16) << target << result << "\n";
}

void PrintJsonRow(std::ostream& out, const Row& r) {
  out << "    " << JsonString(r.key) << ": {\"name\": " << JsonString(r.name) << ", \"value\": " << JsonNumber(r.value)
      << ", \"unit\": " << JsonString(r.unit);
  if (r.limit) out << ", \"limit\": " << JsonNumber(*r.limit) << ", \"limit_unit\": " << JsonString(r.limit_unit);
  if (r.ratio) out << ", \"ratio\": " << JsonNumber(*r.ratio);
  if (!r.target.empty()) out << ", \"target\": " << JsonString(r.target);
  if (r.pass) out << ", \"pass\": " << (*r.pass ? "true" : "false");
  out << "}";
}
}  // namespace

void Report::AddRate(std::string key, std::string name, double value, double limit, double min_ratio) {
  double ratio = value / limit;
  Add(Row{std::move(key), std::move(name), value, "entries/s", limit, "/s", ratio,
          ">= " + Percent(min_ratio) + " of raw", ratio >= min_ratio});
}

void Report::AddCpuCost(std::string key, std::string name, double us_per_entry, double raw_us) {
  Add(Row{std::move(key), std::move(name), us_per_entry, "us", raw_us, "us", raw_us / us_per_entry, "", std::nullopt});
}

void Report::AddAtMost(std::string key, std::string name, double value, std::string unit, double max) {
  std::string target = "<= " + Figure(max) + " " + unit;
  Add(Row{std::move(key), std::move(name), value, std::move(unit), std::nullopt, "", std::nullopt, target,
          value <= max});
}

void Report::AddInfo(std::string key, std::string name, double value, std::string unit) {
  Add(Row{std::move(key), std::move(name), value, std::move(unit), std::nullopt, "", std::nullopt, "",
          std::nullopt});
}

void Report::PrintTable(std::ostream& out) const {
  for (const auto& [key, value] : facts_) out << std::left << std::setw(22) << key << value << "\n";
  out << "\n";
  PrintRow(out, "figure", "measured", "raw limit", "ratio", "target", "result");
  out << std::string(46 + 14 + 14 + 8 + 2 + 16 + 6, '-') << "\n";
  for (const Row& r : rows_) {
    std::string limit = r.limit ? Figure(*r.limit) + " " + r.limit_unit : "";
    PrintRow(out, r.name, Figure(r.value) + " " + (r.unit == "entries/s" ? "/s" : r.unit), limit,
             r.ratio ? Percent(*r.ratio) : "", r.target, PassText(r));
  }
  out << "\n" << Misses() << " target(s) missed\n";
}

void Report::PrintJson(std::ostream& out) const {
  out << "{\n  \"facts\": {\n";
  for (size_t i = 0; i < facts_.size(); ++i) {
    out << "    " << JsonString(facts_[i].first) << ": " << JsonString(facts_[i].second)
        << (i + 1 < facts_.size() ? ",\n" : "\n");
  }
  out << "  },\n  \"figures\": {\n";
  for (size_t i = 0; i < rows_.size(); ++i) {
    PrintJsonRow(out, rows_[i]);
    out << (i + 1 < rows_.size() ? ",\n" : "\n");
  }
  out << "  },\n  \"misses\": " << Misses() << "\n}\n";
}

int Report::Misses() const {
  int misses = 0;
  for (const Row& r : rows_) misses += r.pass && !*r.pass;
  return misses;
}

bool Report::Finish(std::ostream& out, const std::string& json_path) const {
  PrintTable(out);
  if (json_path.empty()) return true;
  std::ofstream file(json_path);
  PrintJson(file);
  return static_cast<bool>(file);
}

}  // namespace custos::bench
