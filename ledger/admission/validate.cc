#include "ledger/admission/validate.h"

#include <capnp/schema.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <set>
#include <string>

namespace custos::ledger {

namespace {

// ------------------------------------------------------------ small helpers

std::string_view View(capnp::Text::Reader t) { return {t.begin(), t.size()}; }

Status Err(const std::string& path, const std::string& message) {
  return Status::InvalidArgument(path + ": " + message);
}
Status Bad(const std::string& message) { return Status::InvalidArgument(message); }

// Values quoted in messages are escaped and cut short: they come from
// untrusted input and end up in logs and terminals.
std::string Quote(std::string_view v) {
  static constexpr size_t kMaxShown = 48;
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "\"";
  for (size_t i = 0; i < v.size() && i < kMaxShown; ++i) {
    auto c = static_cast<unsigned char>(v[i]);
    if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
      out += static_cast<char>(c);
    } else {
      out += std::string("\\x") + kHex[c >> 4] + kHex[c & 0xf];
    }
  }
  return out + (v.size() > kMaxShown ? "...\"" : "\"");
}

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

bool AllDigits(std::string_view s) {
  for (char c : s) {
    if (!IsDigit(c)) return false;
  }
  return true;
}

int ParseDigits(std::string_view s) {
  int v = 0;
  for (char c : s) v = v * 10 + (c - '0');
  return v;
}

// ------------------------------------------------------------ text

// Decodes the UTF-8 sequence at s[i]: its length, or 0 when malformed
// (truncated, overlong, a surrogate, or above U+10FFFF).
size_t DecodeUtf8(std::string_view s, size_t i, char32_t* out) {
  auto byte = [&](size_t k) { return static_cast<uint8_t>(s[k]); };
  uint8_t b0 = byte(i);
  size_t len = b0 < 0x80 ? 1 : (b0 >> 5) == 0x6 ? 2 : (b0 >> 4) == 0xe ? 3 : (b0 >> 3) == 0x1e ? 4 : 0;
  if (len == 0 || i + len > s.size()) return 0;
  char32_t cp = len == 1 ? b0 : (b0 & (0x7f >> len));
  for (size_t k = 1; k < len; ++k) {
    if ((byte(i + k) & 0xc0) != 0x80) return 0;
    cp = (cp << 6) | (byte(i + k) & 0x3f);
  }
  static constexpr char32_t kMinForLength[] = {0, 0, 0x80, 0x800, 0x10000};
  if (cp < kMinForLength[len] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return 0;
  *out = cp;
  return len;
}

bool IsControl(char32_t cp) { return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f); }
bool IsSpace(char32_t cp) { return cp == ' ' || cp == 0xa0 || cp == 0x3000; }

enum class TextKind { kId, kLine, kFreeText };
enum class Need { kRequired, kOptional };

size_t LimitFor(TextKind kind) {
  switch (kind) {
    case TextKind::kId: return kMaxIdBytes;
    case TextKind::kLine: return kMaxLineBytes;
    case TextKind::kFreeText: return kMaxFreeTextBytes;
  }
  return 0;
}

std::string CodePoint(char32_t cp) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out = "U+";
  for (int shift = 12; shift >= 0; shift -= 4) out += kHex[(cp >> shift) & 0xf];
  return out;
}

// UTF-8 validity and control characters; free text may hold '\n' and '\t'.
Status CheckCharacters(const std::string& path, std::string_view v, TextKind kind) {
  char32_t first = 0, last = 0;
  for (size_t i = 0; i < v.size();) {
    char32_t cp = 0;
    size_t len = DecodeUtf8(v, i, &cp);
    if (len == 0) return Err(path, "not valid UTF-8 at byte " + std::to_string(i));
    bool allowed = kind == TextKind::kFreeText && (cp == '\n' || cp == '\t');
    if (IsControl(cp) && !allowed) return Err(path, "control character " + CodePoint(cp) + " at byte " + std::to_string(i));
    if (i == 0) first = cp;
    last = cp;
    i += len;
  }
  if (kind == TextKind::kId && (IsSpace(first) || IsSpace(last))) return Err(path, "leading or trailing white space");
  return Status::OK();
}

Status CheckText(const std::string& path, capnp::Text::Reader text, TextKind kind, Need need) {
  std::string_view v = View(text);
  if (v.empty()) return need == Need::kRequired ? Err(path, "required") : Status::OK();
  if (v.size() > LimitFor(kind)) {
    return Err(path, std::to_string(v.size()) + " bytes is over the limit of " + std::to_string(LimitFor(kind)));
  }
  return CheckCharacters(path, v, kind);
}

Status Id(const std::string& path, capnp::Text::Reader t) { return CheckText(path, t, TextKind::kId, Need::kRequired); }
Status Line(const std::string& path, capnp::Text::Reader t) { return CheckText(path, t, TextKind::kLine, Need::kRequired); }
Status Free(const std::string& path, capnp::Text::Reader t) { return CheckText(path, t, TextKind::kFreeText, Need::kRequired); }
Status OptionalId(const std::string& path, capnp::Text::Reader t) { return CheckText(path, t, TextKind::kId, Need::kOptional); }
Status OptionalLine(const std::string& path, capnp::Text::Reader t) { return CheckText(path, t, TextKind::kLine, Need::kOptional); }
Status OptionalFree(const std::string& path, capnp::Text::Reader t) {
  return CheckText(path, t, TextKind::kFreeText, Need::kOptional);
}

// An origin is a checkpoint's first line and a signed-note key name; '+'
// separates the fields of a note verifier key, so it may not appear.
Status CheckOrigin(const std::string& path, capnp::Text::Reader text) {
  std::string_view v = View(text);
  if (v.empty()) return Err(path, "required");
  if (v.size() > kMaxOriginBytes) return Err(path, std::to_string(v.size()) + " bytes is over the limit of 255");
  for (size_t i = 0; i < v.size(); ++i) {
    auto c = static_cast<unsigned char>(v[i]);
    if (c <= 0x20 || c >= 0x7f || c == '+') {
      return Err(path, Quote(v) + " has a character not allowed in an origin at byte " + std::to_string(i) +
                           " (printable ASCII without space or '+')");
    }
  }
  return Status::OK();
}

// ------------------------------------------------------------ bytes, lists, enums

Status CheckBytes(const std::string& path, capnp::Data::Reader d, size_t want) {
  if (d.size() == want) return Status::OK();
  return Err(path, "must be " + std::to_string(want) + " bytes, got " + std::to_string(d.size()));
}

template <typename List>
Status CheckCount(const std::string& path, List list, size_t min) {
  if (list.size() < min) return Err(path, "must have at least " + std::to_string(min) + " item" + (min == 1 ? "" : "s"));
  if (list.size() > kMaxListItems) {
    return Err(path, std::to_string(list.size()) + " items is over the limit of " + std::to_string(kMaxListItems));
  }
  return Status::OK();
}

std::string At(const std::string& path, size_t i) { return path + "[" + std::to_string(i) + "]"; }

// An enum value from a newer schema reads as a number this build cannot name.
template <typename Enum>
Status CheckEnum(const std::string& path, Enum value) {
  auto raw = static_cast<uint16_t>(value);
  if (raw < capnp::Schema::from<Enum>().getEnumerants().size()) return Status::OK();
  return Err(path, "unknown value " + std::to_string(raw));
}

Status CheckLogRef(const std::string& path, bool present, schema::LogRef::Reader ref) {
  if (!present) return Err(path, "required");
  CUSTOS_RETURN_IF_ERROR(CheckOrigin(path + ".origin", ref.getOrigin()));
  return CheckBytes(path + ".leafHash", ref.getLeafHash(), kDigestBytes);
}

// ------------------------------------------------------------ identifiers

constexpr std::string_view kUsccAlphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY";

bool IsProvinceCode(int code) {
  static constexpr int kProvinces[] = {11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42,
                                       43, 44, 45, 46, 50, 51, 52, 53, 54, 61, 62, 63, 64, 65, 71, 81, 82};
  for (int p : kProvinces) {
    if (p == code) return true;
  }
  return false;
}

// Positions 3-8 of a unified social credit code, already known to be digits:
// the administrative division of the registration authority, a GB/T 2260 code
// (its first two digits a province-level code), or 100000 for authorities at
// the national level. 000000 and the like name no division.
Status CheckUsccDivision(std::string_view code) {
  static constexpr std::string_view kNational = "100000";
  const std::string_view division = code.substr(2, 6);
  if (division == kNational || IsProvinceCode(ParseDigits(division.substr(0, 2)))) return Status::OK();
  return Bad(Quote(code) + " has no administrative division code at positions 3-8: " + Quote(division) +
             " does not start with a province-level code (GB/T 2260), and is not 100000 (national level)");
}

bool IsLeapYear(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

int DaysInMonth(int year, int month) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return month == 2 && IsLeapYear(year) ? 29 : kDays[month - 1];
}

bool IsPlausibleBirthDate(std::string_view yyyymmdd) {
  int year = ParseDigits(yyyymmdd.substr(0, 4));
  int month = ParseDigits(yyyymmdd.substr(4, 2));
  int day = ParseDigits(yyyymmdd.substr(6, 2));
  if (year < 1900 || year > 2100 || month < 1 || month > 12) return false;
  return day >= 1 && day <= DaysInMonth(year, month);
}

// The date of `ms` in China Standard Time (UTC+8), where GB 11643 dates
// births, as the number YYYYMMDD.
int ChinaDate(int64_t ms) {
  using namespace std::chrono;
  const year_month_day ymd(floor<days>(sys_time<milliseconds>(milliseconds(ms) + hours(8))));
  return static_cast<int>(ymd.year()) * 10000 + static_cast<int>(static_cast<unsigned>(ymd.month())) * 100 +
         static_cast<int>(static_cast<unsigned>(ymd.day()));
}

// YYYYMMDD as "YYYY-MM-DD".
std::string DateText(int yyyymmdd) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", yyyymmdd / 10000, yyyymmdd / 100 % 100, yyyymmdd % 100);
  return buf;
}

char ResidentIdCheck(std::string_view first17) {
  static constexpr int kWeights[] = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2};
  int sum = 0;
  for (size_t i = 0; i < 17; ++i) sum += (first17[i] - '0') * kWeights[i];
  return "10X98765432"[sum % 11];
}

// Strips "CN" or "ZL" and one optional space.
std::string_view StripPatentPrefix(std::string_view n) {
  if (n.substr(0, 2) == "CN" || n.substr(0, 2) == "ZL") n.remove_prefix(2);
  if (!n.empty() && n[0] == ' ') n.remove_prefix(1);
  return n;
}

// Digits before the '.', and where single spaces stood (as digit counts).
struct ApplicationDigits {
  std::string digits;
  std::set<size_t> spaces;
};

Status SplitApplicationDigits(std::string_view quoted, std::string_view body, ApplicationDigits* out) {
  for (size_t i = 0; i < body.size(); ++i) {
    if (IsDigit(body[i])) {
      out->digits += body[i];
    } else if (body[i] == ' ' && i > 0 && body[i - 1] != ' ') {
      out->spaces.insert(out->digits.size());
    } else {
      return Bad(std::string(quoted) + " has an unexpected character at byte " + std::to_string(i) +
                 " of the number");
    }
  }
  return Status::OK();
}

// Year and kind of a 12-digit (ZC 0006-2003) or 8-digit (1985-2003) number.
Status CheckApplicationLayout(const std::string& quoted, const ApplicationDigits& a) {
  bool modern = a.digits.size() == 12;
  if (!modern && a.digits.size() != 8) {
    return Bad(quoted + " has " + std::to_string(a.digits.size()) +
               " digits before the '.'; an application number has 12 (since 2003-10) or 8 (before)");
  }
  size_t year_digits = modern ? 4 : 2;
  for (size_t at : a.spaces) {
    if (at != year_digits && at != year_digits + 1) return Bad(quoted + " has a space inside the year or serial number");
  }
  int year = ParseDigits(std::string_view(a.digits).substr(0, year_digits));
  bool year_ok = modern ? (year >= 2003 && year <= 2100) : (year >= 85 || year <= 3);
  if (!year_ok) return Bad(quoted + " has an implausible application year " + a.digits.substr(0, year_digits));
  char kind = a.digits[year_digits];
  if (std::string_view("12389").find(kind) == std::string_view::npos) {
    return Bad(quoted + " has application kind " + kind + "; want 1, 2, 3, 8 or 9");
  }
  return Status::OK();
}

// CNIPA check character: digits weighted 2,3,...,9,2,3,4,5 (8-digit numbers
// use the first eight weights), sum mod 11, 10 written 'X'.
char PatentCheck(std::string_view digits) {
  static constexpr int kWeights[] = {2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5};
  int sum = 0;
  for (size_t i = 0; i < digits.size(); ++i) sum += (digits[i] - '0') * kWeights[i];
  int r = sum % 11;
  return r == 10 ? 'X' : static_cast<char>('0' + r);
}

Status ValidateApplicationNumber(std::string_view number) {
  std::string quoted = Quote(number);
  std::string_view rest = StripPatentPrefix(number);
  size_t dot = rest.find('.');
  if (dot == std::string_view::npos || rest.size() != dot + 2) return Bad(quoted + " must end in '.' and one check character");
  ApplicationDigits a;
  CUSTOS_RETURN_IF_ERROR(SplitApplicationDigits(quoted, rest.substr(0, dot), &a));
  CUSTOS_RETURN_IF_ERROR(CheckApplicationLayout(quoted, a));
  char want = PatentCheck(a.digits);
  if (rest[dot + 1] != want) return Bad(quoted + " has a bad check character (want " + want + ")");
  return Status::OK();
}

Status ValidatePublicationNumber(std::string_view number) {
  std::string quoted = Quote(number);
  if (number.substr(0, 2) != "CN") {
    return Bad(quoted + " is neither an application number (digits, '.', check character) nor a publication "
                        "number (CN, digits, kind code)");
  }
  std::string_view rest = number.substr(2);
  size_t n = 0;
  while (n < rest.size() && IsDigit(rest[n])) ++n;
  if (n < 7 || n > 10) return Bad(quoted + " has " + std::to_string(n) + " digits after CN; want 7 to 10");
  std::string_view kind = rest.substr(n);
  bool ok = (kind.size() == 1 || kind.size() == 2) && std::string_view("ABCUYS").find(kind[0]) != std::string_view::npos &&
            (kind.size() == 1 || (kind[1] >= '1' && kind[1] <= '9'));
  if (!ok) return Bad(quoted + " has no valid kind code (A, B, C, U, Y or S, optionally followed by a digit 1-9)");
  return Status::OK();
}

// ------------------------------------------------------------ parties and subjects

// `time`: the statement's, which a person it names is born by.
Status CheckPartyId(const std::string& path, schema::PartyKind kind, capnp::Text::Reader id, int64_t time) {
  if (id.size() == 0) return Err(path, "required");
  Status s = kind == schema::PartyKind::RESIDENT_ID ? ValidateResidentId(View(id), time)
                                                     : ValidateUnifiedSocialCreditCode(View(id));
  return s.WithContext(path);
}

Status CheckParty(const std::string& path, schema::Party::Reader party, int64_t time) {
  CUSTOS_RETURN_IF_ERROR(CheckEnum(path + ".kind", party.getKind()));
  CUSTOS_RETURN_IF_ERROR(CheckPartyId(path + ".id", party.getKind(), party.getId(), time));
  if (party.getKind() == schema::PartyKind::RESIDENT_ID) {
    if (party.getName().size() != 0) return Err(path + ".name", "must be empty for a person");
    return Status::OK();
  }
  return Line(path + ".name", party.getName());
}

// A person's id and name live only in the private payload; the statement
// carries its digest (docs/personal-data.md).
Status CheckListedSubject(const std::string& p, schema::SubjectListed::Reader r, int64_t time) {
  CUSTOS_RETURN_IF_ERROR(CheckEnum(p + ".subjectKind", r.getSubjectKind()));
  if (r.getSubjectKind() == schema::PartyKind::RESIDENT_ID) {
    if (r.getSubjectId().size() != 0) return Err(p + ".subjectId", "must be empty for a person (the id goes in the private payload)");
    if (r.getSubjectName().size() != 0) return Err(p + ".subjectName", "must be empty for a person (the name goes in the private payload)");
    return CheckBytes(p + ".privateDigest", r.getPrivateDigest(), kDigestBytes);
  }
  CUSTOS_RETURN_IF_ERROR(CheckPartyId(p + ".subjectId", r.getSubjectKind(), r.getSubjectId(), time));
  CUSTOS_RETURN_IF_ERROR(Line(p + ".subjectName", r.getSubjectName()));
  if (r.getPrivateDigest().size() != 0) return Err(p + ".privateDigest", "must be empty for an organisation");
  return Status::OK();
}

// ------------------------------------------------------------ statement kinds

Status CheckGenesis(const std::string& p, schema::Genesis::Reader g, capnp::Text::Reader statement_origin) {
  CUSTOS_RETURN_IF_ERROR(CheckOrigin(p + ".origin", g.getOrigin()));
  if (View(g.getOrigin()) != View(statement_origin)) return Err(p + ".origin", "must equal the statement origin");
  CUSTOS_RETURN_IF_ERROR(CheckBytes(p + ".nodeKey", g.getNodeKey(), kKeyBytes));
  if (View(g.getSuite()) != kGenesisSuite) {
    return Err(p + ".suite", Quote(View(g.getSuite())) + " is not supported; want \"ed25519-sha256\"");
  }
  CUSTOS_RETURN_IF_ERROR(CheckCount(p + ".adminKeys", g.getAdminKeys(), 1));
  for (unsigned i = 0; i < g.getAdminKeys().size(); ++i) {
    CUSTOS_RETURN_IF_ERROR(CheckBytes(At(p + ".adminKeys", i), g.getAdminKeys()[i], kKeyBytes));
  }
  return Status::OK();
}

Status CheckRoles(const std::string& path, capnp::List<schema::Role>::Reader roles) {
  CUSTOS_RETURN_IF_ERROR(CheckCount(path, roles, 1));
  std::set<uint16_t> seen;
  for (unsigned i = 0; i < roles.size(); ++i) {
    CUSTOS_RETURN_IF_ERROR(CheckEnum(At(path, i), roles[i]));
    if (!seen.insert(static_cast<uint16_t>(roles[i])).second) return Err(At(path, i), "repeats an earlier role");
  }
  return Status::OK();
}

Status CheckKeyGrant(const std::string& p, schema::KeyGrant::Reader r) {
  CUSTOS_RETURN_IF_ERROR(CheckBytes(p + ".key", r.getKey(), kKeyBytes));
  CUSTOS_RETURN_IF_ERROR(Line(p + ".holder", r.getHolder()));
  CUSTOS_RETURN_IF_ERROR(Line(p + ".post", r.getPost()));
  CUSTOS_RETURN_IF_ERROR(CheckRoles(p + ".roles", r.getRoles()));
  if (r.getValidFrom() < 0) return Err(p + ".validFrom", "must not be negative");
  if (r.getValidUntil() != 0 && r.getValidUntil() <= r.getValidFrom()) {
    return Err(p + ".validUntil", "must be 0 (no end) or after validFrom");
  }
  return Status::OK();
}

Status CheckKeyRevoke(const std::string& p, schema::KeyRevoke::Reader r) {
  CUSTOS_RETURN_IF_ERROR(CheckBytes(p + ".key", r.getKey(), kKeyBytes));
  return Free(p + ".reason", r.getReason());
}

Status CheckDigest(const std::string& p, schema::ContentDigest::Reader d) {
  CUSTOS_RETURN_IF_ERROR(CheckEnum(p + ".algorithm", d.getAlgorithm()));
  CUSTOS_RETURN_IF_ERROR(CheckBytes(p + ".value", d.getValue(), kDigestBytes));
  std::string_view media = View(d.getMediaType());
  if (media.empty()) return Err(p + ".mediaType", "required");
  bool ok = media.size() <= kMaxMediaTypeBytes && media.find('/') != std::string_view::npos;
  for (char c : media) ok = ok && c > 0x20 && c < 0x7f;
  return ok ? Status::OK() : Err(p + ".mediaType", Quote(media) + " is not a media type (type/subtype)");
}

Status CheckOfficer(const std::string& p, schema::Officer::Reader o) {
  CUSTOS_RETURN_IF_ERROR(Line(p + ".name", o.getName()));
  return Id(p + ".badge", o.getBadge());
}

Status CheckEvidenceRegistered(const std::string& p, schema::EvidenceRegistered::Reader r) {
  CUSTOS_RETURN_IF_ERROR(Id(p + ".evidenceId", r.getEvidenceId()));
  CUSTOS_RETURN_IF_ERROR(Id(p + ".caseId", r.getCaseId()));
  CUSTOS_RETURN_IF_ERROR(CheckCount(p + ".digests", r.getDigests(), 1));
  for (unsigned i = 0; i < r.getDigests().size(); ++i) {
    CUSTOS_RETURN_IF_ERROR(CheckDigest(At(p + ".digests", i), r.getDigests()[i]));
  }
  CUSTOS_RETURN_IF_ERROR(CheckEnum(p + ".method", r.getMethod()));
  CUSTOS_RETURN_IF_ERROR(OptionalFree(p + ".description", r.getDescription()));
  CUSTOS_RETURN_IF_ERROR(Line(p + ".place", r.getPlace()));
  CUSTOS_RETURN_IF_ERROR(CheckCount(p + ".officers", r.getOfficers(), 1));
  for (unsigned i = 0; i < r.getOfficers().size(); ++i) {
    CUSTOS_RETURN_IF_ERROR(CheckOfficer(At(p + ".officers", i), r.getOfficers()[i]));
  }
  return Line(p + ".holder", r.getHolder());
}

Status CheckCustodyTransferred(const std::string& p, schema::CustodyTransferred::Reader r) {
  CUSTOS_RETURN_IF_ERROR(Id(p + ".evidenceId", r.getEvidenceId()));
  CUSTOS_RETURN_IF_ERROR(Line(p + ".fromHolder", r.getFromHolder()));
  CUSTOS_RETURN_IF_ERROR(Line(p + ".toHolder", r.getToHolder()));
  if (View(r.getFromHolder()) == View(r.getToHolder())) return Err(p + ".toHolder", "must differ from fromHolder");
  if (r.getToOrigin().size() != 0) CUSTOS_RETURN_IF_ERROR(CheckOrigin(p + ".toOrigin", r.getToOrigin()));
  CUSTOS_RETURN_IF_ERROR(OptionalFree(p + ".reason", r.getReason()));
  return OptionalId(p + ".sealNumber", r.getSealNumber());
}

Status CheckCustodyReceived(const std::string& p, schema::CustodyReceived::Reader r) {
  CUSTOS_RETURN_IF_ERROR(Id(p + ".evidenceId", r.getEvidenceId()));
  CUSTOS_RETURN_IF_ERROR(CheckLogRef(p + ".transfer", r.hasTransfer(), r.getTransfer()));
  CUSTOS_RETURN_IF_ERROR(Line(p + ".holder", r.getHolder()));
  return OptionalFree(p + ".note", r.getNote());
}

Status CheckEvidenceExamined(const std::string& p, schema::EvidenceExamined::Reader r) {
  CUSTOS_RETURN_IF_ERROR(Id(p + ".evidenceId", r.getEvidenceId()));
  CUSTOS_RETURN_IF_ERROR(Line(p + ".examiner", r.getExaminer()));
  return Free(p + ".findings", r.getFindings());
}

Status CheckEvidenceDisposed(const std::string& p, schema::EvidenceDisposed::Reader r) {
  CUSTOS_RETURN_IF_ERROR(Id(p + ".evidenceId", r.getEvidenceId()));
  CUSTOS_RETURN_IF_ERROR(CheckEnum(p + ".disposition", r.getDisposition()));
  CUSTOS_RETURN_IF_ERROR(Free(p + ".reason", r.getReason()));
  // Released or returned evidence goes to someone; destroyed evidence does not.
  if (r.getDisposition() == schema::Disposition::DESTROYED) return OptionalLine(p + ".recipient", r.getRecipient());
  return Line(p + ".recipient", r.getRecipient());
}

Status CheckCaseOpened(const std::string& p, schema::CaseOpened::Reader r, int64_t time) {
  CUSTOS_RETURN_IF_ERROR(Id(p + ".caseId", r.getCaseId()));
  CUSTOS_RETURN_IF_ERROR(CheckEnum(p + ".caseType", r.getCaseType()));
  if (r.getPatentNumber().size() == 0) return Err(p + ".patentNumber", "required");
  CUSTOS_RETURN_IF_ERROR(ValidatePatentNumber(View(r.getPatentNumber())).WithContext(p + ".patentNumber"));
  CUSTOS_RETURN_IF_ERROR(CheckCount(p + ".parties", r.getParties(), 1));
  for (unsigned i = 0; i < r.getParties().size(); ++i) {
    CUSTOS_RETURN_IF_ERROR(CheckParty(At(p + ".parties", i), r.getParties()[i], time));
  }
  if (r.getRegion().size() == 0) return Err(p + ".region", "required");
  CUSTOS_RETURN_IF_ERROR(ValidateRegionCode(View(r.getRegion())).WithContext(p + ".region"));
  return OptionalFree(p + ".summary", r.getSummary());
}

Status CheckCaseReferred(const std::string& p, schema::CaseReferred::Reader r) {
  CUSTOS_RETURN_IF_ERROR(Id(p + ".caseId", r.getCaseId()));
  CUSTOS_RETURN_IF_ERROR(CheckOrigin(p + ".toOrigin", r.getToOrigin()));
  CUSTOS_RETURN_IF_ERROR(Free(p + ".reason", r.getReason()));
  CUSTOS_RETURN_IF_ERROR(CheckCount(p + ".evidenceIds", r.getEvidenceIds(), 0));
  for (unsigned i = 0; i < r.getEvidenceIds().size(); ++i) {
    CUSTOS_RETURN_IF_ERROR(Id(At(p + ".evidenceIds", i), r.getEvidenceIds()[i]));
  }
  // Compared with the entry's log time by the rules (ledger/rules/rules.cc), which
  // know it; a deadline missed later is for the referral audit to flag.
  if (r.getAnswerBy() < 0) return Err(p + ".answerBy", "must be 0 (no deadline) or a time");
  return Status::OK();
}

Status CheckReferralAnswered(const std::string& p, schema::ReferralAnswered::Reader r) {
  CUSTOS_RETURN_IF_ERROR(Id(p + ".caseId", r.getCaseId()));
  CUSTOS_RETURN_IF_ERROR(CheckLogRef(p + ".referral", r.hasReferral(), r.getReferral()));
  CUSTOS_RETURN_IF_ERROR(CheckEnum(p + ".answer", r.getAnswer()));
  // A rejection or a return must say why; the prosecutor's audit reads it.
  if (r.getAnswer() == schema::ReferralAnswer::ACCEPTED) return OptionalFree(p + ".reason", r.getReason());
  return Free(p + ".reason", r.getReason());
}

Status CheckCaseDecided(const std::string& p, schema::CaseDecided::Reader r) {
  CUSTOS_RETURN_IF_ERROR(Id(p + ".caseId", r.getCaseId()));
  CUSTOS_RETURN_IF_ERROR(Id(p + ".decisionNumber", r.getDecisionNumber()));
  return CheckEnum(p + ".outcome", r.getOutcome());
}

Status CheckCaseClosed(const std::string& p, schema::CaseClosed::Reader r) {
  CUSTOS_RETURN_IF_ERROR(Id(p + ".caseId", r.getCaseId()));
  return Free(p + ".reason", r.getReason());
}

Status CheckClueShared(const std::string& p, schema::ClueShared::Reader r) {
  CUSTOS_RETURN_IF_ERROR(Id(p + ".clueId", r.getClueId()));
  CUSTOS_RETURN_IF_ERROR(OptionalId(p + ".caseId", r.getCaseId()));
  CUSTOS_RETURN_IF_ERROR(CheckCount(p + ".toOrigins", r.getToOrigins(), 1));
  for (unsigned i = 0; i < r.getToOrigins().size(); ++i) {
    CUSTOS_RETURN_IF_ERROR(CheckOrigin(At(p + ".toOrigins", i), r.getToOrigins()[i]));
  }
  return Free(p + ".summary", r.getSummary());
}

Status CheckSubjectListed(const std::string& p, schema::SubjectListed::Reader r, int64_t time) {
  CUSTOS_RETURN_IF_ERROR(CheckListedSubject(p, r, time));
  CUSTOS_RETURN_IF_ERROR(Free(p + ".cause", r.getCause()));
  CUSTOS_RETURN_IF_ERROR(Free(p + ".legalBasis", r.getLegalBasis()));
  CUSTOS_RETURN_IF_ERROR(Line(p + ".decidingAgency", r.getDecidingAgency()));
  CUSTOS_RETURN_IF_ERROR(Id(p + ".decisionNumber", r.getDecisionNumber()));
  CUSTOS_RETURN_IF_ERROR(Id(p + ".caseRef", r.getCaseRef()));
  if (r.getListedFrom() <= 0) return Err(p + ".listedFrom", "must be > 0 (ms since the epoch)");
  if (r.getPublicationEnds() <= r.getListedFrom()) return Err(p + ".publicationEnds", "must be after listedFrom");
  return Status::OK();
}

Status CheckSubjectDelisted(const std::string& p, schema::SubjectDelisted::Reader r) {
  CUSTOS_RETURN_IF_ERROR(CheckLogRef(p + ".listing", r.hasListing(), r.getListing()));
  CUSTOS_RETURN_IF_ERROR(CheckEnum(p + ".reason", r.getReason()));
  return OptionalFree(p + ".note", r.getNote());
}

// The body union defaults to its first member, genesis: a statement whose
// body was never set reads as a genesis with no struct. Any other member was
// set on purpose (an empty struct then fails its required fields).
Status CheckBodySet(schema::Statement::Reader s) {
  auto body = s.getBody();
  if (body.isGenesis() && !body.hasGenesis()) return Err("body", "not set");
  return Status::OK();
}

Status CheckBody(schema::Statement::Reader s) {
  auto b = s.getBody();
  using W = schema::Statement::Body::Which;
  switch (b.which()) {
    case W::GENESIS: return CheckGenesis("body.genesis", b.getGenesis(), s.getOrigin());
    case W::KEY_GRANT: return CheckKeyGrant("body.keyGrant", b.getKeyGrant());
    case W::KEY_REVOKE: return CheckKeyRevoke("body.keyRevoke", b.getKeyRevoke());
    case W::EVIDENCE_REGISTERED: return CheckEvidenceRegistered("body.evidenceRegistered", b.getEvidenceRegistered());
    case W::CUSTODY_TRANSFERRED: return CheckCustodyTransferred("body.custodyTransferred", b.getCustodyTransferred());
    case W::CUSTODY_RECEIVED: return CheckCustodyReceived("body.custodyReceived", b.getCustodyReceived());
    case W::EVIDENCE_EXAMINED: return CheckEvidenceExamined("body.evidenceExamined", b.getEvidenceExamined());
    case W::EVIDENCE_DISPOSED: return CheckEvidenceDisposed("body.evidenceDisposed", b.getEvidenceDisposed());
    case W::CASE_OPENED: return CheckCaseOpened("body.caseOpened", b.getCaseOpened(), s.getTime());
    case W::CASE_REFERRED: return CheckCaseReferred("body.caseReferred", b.getCaseReferred());
    case W::REFERRAL_ANSWERED: return CheckReferralAnswered("body.referralAnswered", b.getReferralAnswered());
    case W::CASE_DECIDED: return CheckCaseDecided("body.caseDecided", b.getCaseDecided());
    case W::CASE_CLOSED: return CheckCaseClosed("body.caseClosed", b.getCaseClosed());
    case W::CLUE_SHARED: return CheckClueShared("body.clueShared", b.getClueShared());
    case W::SUBJECT_LISTED: return CheckSubjectListed("body.subjectListed", b.getSubjectListed(), s.getTime());
    case W::SUBJECT_DELISTED: return CheckSubjectDelisted("body.subjectDelisted", b.getSubjectDelisted());
  }
  return Err("body", "unknown statement kind");
}

}  // namespace

Status ValidateStatement(schema::Statement::Reader s) {
  CUSTOS_RETURN_IF_ERROR(CheckOrigin("origin", s.getOrigin()));
  if (s.getTime() <= 0) return Err("time", "must be > 0 (ms since the epoch)");
  CUSTOS_RETURN_IF_ERROR(CheckBytes("nonce", s.getNonce(), kNonceBytes));
  CUSTOS_RETURN_IF_ERROR(CheckBodySet(s));
  return CheckBody(s);
}

Status ValidateUnifiedSocialCreditCode(std::string_view code) {
  if (code.size() != 18) return Bad(Quote(code) + " is not 18 characters long");
  int sum = 0, weight = 1;
  for (size_t i = 0; i < 18; ++i) {
    size_t value = kUsccAlphabet.find(code[i]);
    if (value == std::string_view::npos) {
      return Bad(Quote(code) + " has a character outside the GB 32100 set (0-9 and upper-case A-Z without I, O, Z, "
                               "S, V) at position " + std::to_string(i + 1));
    }
    if (i >= 2 && i < 8 && !IsDigit(code[i])) {
      return Bad(Quote(code) + " must have digits at positions 3-8 (administrative division code)");
    }
    if (i < 17) {
      sum += static_cast<int>(value) * weight;
      weight = weight * 3 % 31;
    }
  }
  CUSTOS_RETURN_IF_ERROR(CheckUsccDivision(code));
  char want = kUsccAlphabet[(31 - sum % 31) % 31];
  if (code[17] != want) return Bad(Quote(code) + " has a bad check character (want " + want + ")");
  return Status::OK();
}

Status ValidateResidentId(std::string_view id, int64_t at_ms) {
  if (id.size() != 18) return Bad(Quote(id) + " is not 18 characters long");
  if (!AllDigits(id.substr(0, 17))) return Bad(Quote(id) + " must have digits in positions 1-17");
  if (!IsProvinceCode(ParseDigits(id.substr(0, 2)))) {
    return Bad(Quote(id) + " does not start with a province-level code (positions 1-2)");
  }
  if (!IsPlausibleBirthDate(id.substr(6, 8))) {
    return Bad(Quote(id) + " has no real birth date between 1900 and 2100 at positions 7-14");
  }
  const int born = ParseDigits(id.substr(6, 8)), today = ChinaDate(at_ms);
  if (born > today) {
    return Bad(Quote(id) + " has a birth date (" + DateText(born) + ") after the day it is validated at (" +
               DateText(today) + ", UTC+8)");
  }
  char want = ResidentIdCheck(id.substr(0, 17));
  if (id[17] == 'x' && want == 'X') return Bad(Quote(id) + " has a lower-case check character; write 'X'");
  if (id[17] != want) return Bad(Quote(id) + " has a bad check character (want " + want + ")");
  return Status::OK();
}

std::string_view TrimSpace(std::string_view s) {
  constexpr std::string_view kSpace = " \t\r\n";
  const size_t first = s.find_first_not_of(kSpace);
  if (first == std::string_view::npos) return {};
  return s.substr(first, s.find_last_not_of(kSpace) - first + 1);
}

Result<std::string> NormalizeUnifiedSocialCreditCode(std::string_view typed) {
  std::string code(TrimSpace(typed));
  for (char& c : code) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  CUSTOS_RETURN_IF_ERROR(ValidateUnifiedSocialCreditCode(code));
  return code;
}

Result<std::string> NormalizeResidentId(std::string_view typed, int64_t at_ms) {
  std::string id(TrimSpace(typed));
  if (id.size() == 18 && id.back() == 'x') id.back() = 'X';
  CUSTOS_RETURN_IF_ERROR(ValidateResidentId(id, at_ms));
  return id;
}

Status ValidatePatentNumber(std::string_view number) {
  if (number.find('.') != std::string_view::npos) return ValidateApplicationNumber(number);
  return ValidatePublicationNumber(number);
}

Status ValidateRegionCode(std::string_view code) {
  if (code.size() != 6 || !AllDigits(code)) return Bad(Quote(code) + " is not 6 digits");
  if (!IsProvinceCode(ParseDigits(code.substr(0, 2)))) {
    return Bad(Quote(code) + " does not start with a province-level code");
  }
  return Status::OK();
}

}  // namespace custos::ledger
