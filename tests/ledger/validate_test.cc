// Structural and identifier validation (ledger/admission/validate.h).
#include "ledger/admission/validate.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "schema/canonical.h"
#include "schema/json.h"

namespace custos::ledger {
namespace {

// ------------------------------------------------------------ helpers

::testing::AssertionResult Fails(const Status& s, const std::string& message) {
  if (s.ok()) return ::testing::AssertionFailure() << "accepted; want: " << message;
  if (s.code() != Status::Code::kInvalidArgument) return ::testing::AssertionFailure() << s.ToString();
  if (s.message() != message) return ::testing::AssertionFailure() << "got:  " << s.message() << "\nwant: " << message;
  return ::testing::AssertionSuccess();
}

// The error must name `path` first.
::testing::AssertionResult FailsAt(const Status& s, const std::string& path) {
  if (s.ok()) return ::testing::AssertionFailure() << "accepted; want an error at " << path;
  if (s.code() != Status::Code::kInvalidArgument) return ::testing::AssertionFailure() << s.ToString();
  if (s.message().rfind(path + ": ", 0) != 0) return ::testing::AssertionFailure() << "got: " << s.message();
  return ::testing::AssertionSuccess();
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in.good()) << path;
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

capnp::Data::Reader Filled(size_t n, uint8_t v = 0x5a) {
  static uint8_t buffer[256];
  std::fill(buffer, buffer + n, v);
  return {buffer, n};
}

// Text for a capnp setter from a std::string (which must outlive the call).
kj::StringPtr K(const std::string& s) { return {s.c_str(), s.size()}; }

constexpr int64_t kTime = 1710723600000;  // 2024-03-18 09:00 +08:00

// An example statement with time and nonce filled as the signer would, held in
// a builder so that tests can break one field at a time.
class Example {
 public:
  explicit Example(const std::string& kind) {
    auto parsed = schema::StatementFromJson(ReadFile(std::string(CUSTOS_SOURCE_DIR) + "/examples/" + kind + ".json"));
    EXPECT_TRUE(parsed.ok()) << kind << ": " << parsed.status().ToString();
    if (!parsed.ok()) return;
    const Bytes nonce(16, 0x42);
    Bytes bytes = schema::FillStatementDefaults(parsed.value(), "", kTime, nonce);
    auto read = schema::ReadCanonical<schema::Statement>(bytes, schema::kMaxStatementBytes, "statement");
    EXPECT_TRUE(read.ok());
    message_.setRoot(read->get());
  }
  schema::Statement::Builder get() { return message_.getRoot<schema::Statement>(); }
  schema::Statement::Body::Builder body() { return get().getBody(); }
  Status Validate() { return ValidateStatement(get().asReader()); }

 private:
  capnp::MallocMessageBuilder message_;
};

const char* const kExampleKinds[] = {
    "key-grant",        "key-revoke",        "evidence-registered", "custody-transferred", "custody-received",
    "evidence-examined", "evidence-disposed", "case-opened",         "case-referred",       "referral-answered",
    "case-decided",     "case-closed",       "clue-shared",         "subject-listed",      "subject-delisted",
};

// ------------------------------------------------------------ unified social credit code

TEST(UnifiedSocialCreditCode, AcceptsPublicCodes) {
  // The GB 32100-2015 worked example with its correct check character, and
  // codes published on business licences (Huawei, Tencent, Alibaba, Xiaomi).
  for (const char* code : {"91350100M000100Y43", "914403001922038216", "91440300708461136T", "91330100716105852F",
                           "91110108558521630L", "91320583MA1WR6T306", "91320505MA1N4Q7K0U"}) {
    EXPECT_TRUE(ValidateUnifiedSocialCreditCode(code).ok()) << code << ": "
                                                             << ValidateUnifiedSocialCreditCode(code).ToString();
  }
}

TEST(UnifiedSocialCreditCode, CheckValueThirtyOneIsWrittenZero) {
  // Position 17 has weight 28, a unit mod 31, so over the 31 characters there
  // exactly one makes the weighted sum 0 mod 31, where C18 = 31 - 0 = 31 is
  // written '0'.
  int found = 0;
  for (char c : std::string_view("0123456789ABCDEFGHJKLMNPQRTUWXY")) {
    std::string candidate = std::string("9111000010001043") + c + "0";
    if (ValidateUnifiedSocialCreditCode(candidate).ok()) ++found;
  }
  EXPECT_EQ(found, 1);
}

TEST(UnifiedSocialCreditCode, RejectsBadCheckCharacter) {
  EXPECT_TRUE(Fails(ValidateUnifiedSocialCreditCode("91350100M000100Y4X"),
                    "\"91350100M000100Y4X\" has a bad check character (want 3)"));
  EXPECT_TRUE(Fails(ValidateUnifiedSocialCreditCode("91350100M000100Y4Z"),
                    "\"91350100M000100Y4Z\" has a character outside the GB 32100 set (0-9 and upper-case A-Z without "
                    "I, O, Z, S, V) at position 18"));
}

TEST(UnifiedSocialCreditCode, DetectsEverySingleSubstitution) {
  const std::string valid = "91440300708461136T";
  const std::string_view alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY";
  for (size_t i = 0; i < 17; ++i) {
    for (char c : alphabet) {
      if (c == valid[i] || (i >= 2 && i < 8 && (c < '0' || c > '9'))) continue;
      std::string changed = valid;
      changed[i] = c;
      EXPECT_FALSE(ValidateUnifiedSocialCreditCode(changed).ok()) << changed;
    }
  }
}

TEST(UnifiedSocialCreditCode, RejectsWrongLengthAndCharacters) {
  EXPECT_TRUE(Fails(ValidateUnifiedSocialCreditCode("9135010"), "\"9135010\" is not 18 characters long"));
  EXPECT_TRUE(Fails(ValidateUnifiedSocialCreditCode(""), "\"\" is not 18 characters long"));
  for (char forbidden : {'I', 'O', 'Z', 'S', 'V', 'a', '-', ' '}) {
    std::string code = "91350100M000100Y43";
    code[8] = forbidden;
    EXPECT_FALSE(ValidateUnifiedSocialCreditCode(code).ok()) << code;
  }
  EXPECT_TRUE(Fails(ValidateUnifiedSocialCreditCode("9135A100M000100Y43"),
                    "\"9135A100M000100Y43\" must have digits at positions 3-8 (administrative division code)"));
  EXPECT_TRUE(Fails(ValidateUnifiedSocialCreditCode("91350100m000100y43").WithContext("id"),
                    "id: \"91350100m000100y43\" has a character outside the GB 32100 set (0-9 and upper-case A-Z "
                    "without I, O, Z, S, V) at position 9"));
}

TEST(UnifiedSocialCreditCode, PositionsThreeToEightAreAnAdministrativeDivision) {
  // Each with a correct check character: only the division code is wrong.
  EXPECT_TRUE(Fails(ValidateUnifiedSocialCreditCode("91000000M000100Y45"),
                    "\"91000000M000100Y45\" has no administrative division code at positions 3-8: \"000000\" "
                    "does not start with a province-level code (GB/T 2260), and is not 100000 (national level)"));
  EXPECT_FALSE(ValidateUnifiedSocialCreditCode("91990000M000100Y4N").ok());
  // Organisations registered at the national level carry 100000.
  EXPECT_TRUE(ValidateUnifiedSocialCreditCode("91100000M000100Y4U").ok());
  EXPECT_TRUE(ValidateUnifiedSocialCreditCode("11100000000013127D").ok());
}

TEST(UnifiedSocialCreditCode, NormalizesWhatGb32100AllowsAndRefusesTheRest) {
  EXPECT_EQ(*NormalizeUnifiedSocialCreditCode("91350100m000100y43"), "91350100M000100Y43");
  EXPECT_EQ(*NormalizeUnifiedSocialCreditCode(" \t91350100M000100Y43\r\n"), "91350100M000100Y43");
  EXPECT_TRUE(Fails(NormalizeUnifiedSocialCreditCode("91350100m000100y4x").status(),
                    "\"91350100M000100Y4X\" has a bad check character (want 3)"));
  EXPECT_TRUE(Fails(NormalizeUnifiedSocialCreditCode("9135 0100M000100Y43").status(),
                    "\"9135 0100M000100Y43\" is not 18 characters long"));
  EXPECT_TRUE(Fails(NormalizeUnifiedSocialCreditCode("   ").status(), "\"\" is not 18 characters long"));
}

// ------------------------------------------------------------ resident identity number

TEST(ResidentId, AcceptsValidNumbers) {
  // The GB 11643-1999 example and numbers built for these tests.
  for (const char* id : {"11010519491231002X", "320583199003071239", "320508200002290048", "440305198511113012"}) {
    EXPECT_TRUE(ValidateResidentId(id, kTime).ok()) << id << ": " << ValidateResidentId(id, kTime).ToString();
  }
}

TEST(ResidentId, RejectsBadCheckCharacter) {
  EXPECT_TRUE(Fails(ValidateResidentId("110105194912310021", kTime), "\"110105194912310021\" has a bad check character (want X)"));
  EXPECT_TRUE(Fails(ValidateResidentId("320583199003071230", kTime), "\"320583199003071230\" has a bad check character (want 9)"));
  EXPECT_TRUE(Fails(ValidateResidentId("11010519491231002x", kTime), "\"11010519491231002x\" has a lower-case check character; write 'X'"));
}

TEST(ResidentId, NormalizesALowerCaseCheckCharacterAndWhiteSpace) {
  EXPECT_EQ(*NormalizeResidentId("11010519491231002x", kTime), "11010519491231002X");
  EXPECT_EQ(*NormalizeResidentId(" 320583199003071239\n", kTime), "320583199003071239");
  EXPECT_TRUE(Fails(NormalizeResidentId("110105194912310021", kTime).status(),
                    "\"110105194912310021\" has a bad check character (want X)"));
}

TEST(ResidentId, RejectsImpossibleBirthDates) {
  const std::string want = " has no real birth date between 1900 and 2100 at positions 7-14";
  EXPECT_TRUE(Fails(ValidateResidentId("110105194902310026", kTime), "\"110105194902310026\"" + want));  // 31 Feb
  EXPECT_TRUE(Fails(ValidateResidentId("320583190002291239", kTime), "\"320583190002291239\"" + want));  // 1900 not leap
  EXPECT_TRUE(Fails(ValidateResidentId("110105189912310023", kTime), "\"110105189912310023\"" + want));  // before 1900
  EXPECT_TRUE(Fails(ValidateResidentId("440524188001010014", kTime), "\"440524188001010014\"" + want));  // the standard's 1880 example
}

TEST(ResidentId, RejectsABirthDateAfterTheDayItIsValidatedAt) {
  // kTime is 2024-03-18 09:00 in China (01:00 UTC).
  EXPECT_TRUE(ValidateResidentId("320583202403181239", kTime).ok());  // born that day
  EXPECT_TRUE(Fails(ValidateResidentId("320583202403191234", kTime),
                    "\"320583202403191234\" has a birth date (2024-03-19) after the day it is validated at "
                    "(2024-03-18, UTC+8)"));
  EXPECT_TRUE(Fails(ValidateResidentId("110105209901010020", kTime),
                    "\"110105209901010020\" has a birth date (2099-01-01) after the day it is validated at "
                    "(2024-03-18, UTC+8)"));
  // The day is China's: at 23:30 UTC on 18 March it is already the 19th there.
  const int64_t late_on_the_18th_utc = kTime + (22 * 60 + 30) * 60 * 1000;
  EXPECT_TRUE(ValidateResidentId("320583202403191234", late_on_the_18th_utc).ok());
  EXPECT_TRUE(Fails(NormalizeResidentId("110105209901010020", kTime).status(),
                    "\"110105209901010020\" has a birth date (2099-01-01) after the day it is validated at "
                    "(2024-03-18, UTC+8)"));
}

TEST(ResidentId, RejectsBadShape) {
  EXPECT_TRUE(Fails(ValidateResidentId("110105491231002", kTime), "\"110105491231002\" is not 18 characters long"));  // 15-digit form
  EXPECT_TRUE(Fails(ValidateResidentId("1101051949123100AX", kTime), "\"1101051949123100AX\" must have digits in positions 1-17"));
  EXPECT_TRUE(Fails(ValidateResidentId("990105194912310023", kTime),
                    "\"990105194912310023\" does not start with a province-level code (positions 1-2)"));
}

// ------------------------------------------------------------ patent numbers

TEST(PatentNumber, AcceptsApplicationNumbers) {
  for (const char* n : {"201710601862.3", "CN201710601862.3", "CN 201710601862.3", "ZL201710601862.3",
                        "ZL 2017 1 0601862.3", "2017 10601862.3", "ZL202120587341.9", "202210398765.X",
                        "97101765.4", "95115608.X", "ZL 98 1 23456.9", "CN98123456.9"}) {
    EXPECT_TRUE(ValidatePatentNumber(n).ok()) << n << ": " << ValidatePatentNumber(n).ToString();
  }
}

TEST(PatentNumber, AcceptsPublicationNumbers) {
  for (const char* n : {"CN1234567A", "CN112345678B", "CN212345678U", "CN305123456S", "CN3012345678S", "CN2345678Y",
                        "CN1012345C", "CN112345678B9"}) {
    EXPECT_TRUE(ValidatePatentNumber(n).ok()) << n << ": " << ValidatePatentNumber(n).ToString();
  }
}

TEST(PatentNumber, RejectsBadCheckCharacter) {
  EXPECT_TRUE(Fails(ValidatePatentNumber("CN202310123456.7"), "\"CN202310123456.7\" has a bad check character (want 6)"));
  EXPECT_TRUE(Fails(ValidatePatentNumber("95115608.0"), "\"95115608.0\" has a bad check character (want X)"));
  EXPECT_TRUE(Fails(ValidatePatentNumber("202210398765.x"), "\"202210398765.x\" has a bad check character (want X)"));
}

TEST(PatentNumber, RejectsBadApplicationShape) {
  EXPECT_TRUE(Fails(ValidatePatentNumber("20171060186.3"),
                    "\"20171060186.3\" has 11 digits before the '.'; an application number has 12 (since 2003-10) or 8 (before)"));
  EXPECT_TRUE(Fails(ValidatePatentNumber("201710601862."), "\"201710601862.\" must end in '.' and one check character"));
  EXPECT_TRUE(Fails(ValidatePatentNumber("200210601862.0"), "\"200210601862.0\" has an implausible application year 2002"));
  EXPECT_TRUE(Fails(ValidatePatentNumber("84101765.0"), "\"84101765.0\" has an implausible application year 84"));
  EXPECT_TRUE(Fails(ValidatePatentNumber("201740601862.0"), "\"201740601862.0\" has application kind 4; want 1, 2, 3, 8 or 9"));
  EXPECT_TRUE(Fails(ValidatePatentNumber("201 710601862.3"), "\"201 710601862.3\" has a space inside the year or serial number"));
  EXPECT_TRUE(Fails(ValidatePatentNumber("2017  10601862.3"), "\"2017  10601862.3\" has an unexpected character at byte 5 of the number"));
  EXPECT_FALSE(ValidatePatentNumber("201710601862 .3").ok());
  EXPECT_FALSE(ValidatePatentNumber("US201710601862.3").ok());
}

TEST(PatentNumber, RejectsBadPublicationShape) {
  EXPECT_TRUE(Fails(ValidatePatentNumber("201710601862"),
                    "\"201710601862\" is neither an application number (digits, '.', check character) nor a "
                    "publication number (CN, digits, kind code)"));
  EXPECT_TRUE(Fails(ValidatePatentNumber("CN123456A"), "\"CN123456A\" has 6 digits after CN; want 7 to 10"));
  EXPECT_TRUE(Fails(ValidatePatentNumber("CN12345678901A"), "\"CN12345678901A\" has 11 digits after CN; want 7 to 10"));
  const std::string no_kind = " has no valid kind code (A, B, C, U, Y or S, optionally followed by a digit 1-9)";
  for (const char* n : {"CN1234567", "CN1234567D", "CN1234567A0", "CN1234567AB", "CN1234567a", "CN1234567A12"}) {
    EXPECT_TRUE(Fails(ValidatePatentNumber(n), "\"" + std::string(n) + "\"" + no_kind));
  }
}

// ------------------------------------------------------------ region codes

TEST(RegionCode, AcceptsAndRejects) {
  for (const char* code : {"320583", "110105", "650000", "820000"}) EXPECT_TRUE(ValidateRegionCode(code).ok()) << code;
  EXPECT_TRUE(Fails(ValidateRegionCode("32058"), "\"32058\" is not 6 digits"));
  EXPECT_TRUE(Fails(ValidateRegionCode("3205a3"), "\"3205a3\" is not 6 digits"));
  EXPECT_TRUE(Fails(ValidateRegionCode("990000"), "\"990000\" does not start with a province-level code"));
  EXPECT_TRUE(Fails(ValidateRegionCode("100000"), "\"100000\" does not start with a province-level code"));
}

// ------------------------------------------------------------ statements: examples

TEST(ValidateStatement, EveryExampleIsValid) {
  for (const char* kind : kExampleKinds) {
    Example e(kind);
    EXPECT_TRUE(e.Validate().ok()) << kind << ": " << e.Validate().ToString();
  }
}

TEST(ValidateStatement, GenesisIsValidWithOneAdminKey) {
  Example e("key-grant");
  auto genesis = e.body().initGenesis();
  genesis.setOrigin("suzhou-ipb.example/custos");
  genesis.setNodeKey(Filled(32));
  genesis.setSuite("ed25519-sha256");
  genesis.initAdminKeys(1).set(0, Filled(32, 1));
  EXPECT_TRUE(e.Validate().ok()) << e.Validate().ToString();

  genesis.setSuite("ed448");
  EXPECT_TRUE(Fails(e.Validate(), "body.genesis.suite: \"ed448\" is not supported; want \"ed25519-sha256\""));
  genesis.setSuite("ed25519-sha256");
  genesis.initAdminKeys(0);
  EXPECT_TRUE(Fails(e.Validate(), "body.genesis.adminKeys: must have at least 1 item"));
  genesis.initAdminKeys(1).set(0, Filled(33));
  EXPECT_TRUE(Fails(e.Validate(), "body.genesis.adminKeys[0]: must be 32 bytes, got 33"));
  genesis.initAdminKeys(1).set(0, Filled(32));
  genesis.setOrigin("other.example/log");
  EXPECT_TRUE(Fails(e.Validate(), "body.genesis.origin: must equal the statement origin"));
}

// ------------------------------------------------------------ statements: envelope

TEST(ValidateStatement, Envelope) {
  Example e("case-closed");
  e.get().setOrigin("");
  EXPECT_TRUE(Fails(e.Validate(), "origin: required"));
  e.get().setOrigin("suzhou ipb");
  EXPECT_TRUE(FailsAt(e.Validate(), "origin"));
  e.get().setOrigin("suzhou+ipb.example");
  EXPECT_TRUE(FailsAt(e.Validate(), "origin"));
  e.get().setOrigin("suzhou-ipb.example/custos\n");
  EXPECT_TRUE(FailsAt(e.Validate(), "origin"));
  std::string long_origin(256, 'o');
  e.get().setOrigin(K(long_origin));
  EXPECT_TRUE(Fails(e.Validate(), "origin: 256 bytes is over the limit of 255"));
  e.get().setOrigin("suzhou-ipb.example/custos");

  e.get().setTime(0);
  EXPECT_TRUE(Fails(e.Validate(), "time: must be > 0 (ms since the epoch)"));
  e.get().setTime(kTime);
  e.get().setNonce(Filled(15));
  EXPECT_TRUE(Fails(e.Validate(), "nonce: must be 16 bytes, got 15"));
  e.get().setNonce(Filled(16));
  EXPECT_TRUE(e.Validate().ok());
}

TEST(ValidateStatement, BodyNotSet) {
  capnp::MallocMessageBuilder message;
  auto s = message.initRoot<schema::Statement>();
  s.setOrigin("suzhou-ipb.example/custos");
  s.setTime(kTime);
  s.setNonce(Filled(16));
  EXPECT_TRUE(Fails(ValidateStatement(s.asReader()), "body: not set"));
}

// A kind from a newer schema: the discriminant (the low 16 bits of the
// second data word, at byte 16 of canonical bytes) names no member we know.
TEST(ValidateStatement, UnknownBodyKind) {
  auto parsed = schema::StatementFromJson(R"({"origin":"o.example/log","time":7,
    "nonce":"000102030405060708090a0b0c0d0e0f","body":{"caseClosed":{"caseId":"c","reason":"r"}}})");
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  Bytes bytes = parsed.value();
  ASSERT_EQ(bytes[16], 12);  // caseClosed is the thirteenth member
  bytes[16] = 99;
  // ReadCanonical refuses a member this build does not know (schema/well_formed.h)...
  auto read = schema::ReadCanonical<schema::Statement>(bytes, schema::kMaxStatementBytes, "statement");
  ASSERT_FALSE(read.ok());
  EXPECT_EQ(read.status().message(), "statement: body: a union member this build does not know");
  // ...and ValidateStatement too, given a reader that did not check.
  kj::ArrayPtr<const capnp::word> segment(reinterpret_cast<const capnp::word*>(bytes.data()), bytes.size() / 8);
  capnp::SegmentArrayMessageReader unchecked(kj::arrayPtr(&segment, 1));
  auto statement = unchecked.getRoot<schema::Statement>();
  EXPECT_TRUE(Fails(ValidateStatement(statement), "body: unknown statement kind"));
  EXPECT_EQ(schema::StatementKind(statement), "unknown");
}

// ------------------------------------------------------------ statements: by kind

TEST(ValidateStatement, KeyGrant) {
  Example e("key-grant");
  auto grant = e.body().getKeyGrant();
  grant.setKey(Filled(31));
  EXPECT_TRUE(Fails(e.Validate(), "body.keyGrant.key: must be 32 bytes, got 31"));
  grant.setKey(Filled(32));
  grant.setHolder("");
  EXPECT_TRUE(Fails(e.Validate(), "body.keyGrant.holder: required"));
  grant.setHolder("张明\n");
  EXPECT_TRUE(Fails(e.Validate(), "body.keyGrant.holder: control character U+000A at byte 6"));
  grant.setHolder("张明");
  grant.initRoles(0);
  EXPECT_TRUE(Fails(e.Validate(), "body.keyGrant.roles: must have at least 1 item"));
  auto roles = grant.initRoles(2);
  roles.set(0, schema::Role::CASE);
  roles.set(1, schema::Role::CASE);
  EXPECT_TRUE(Fails(e.Validate(), "body.keyGrant.roles[1]: repeats an earlier role"));
  roles.set(1, static_cast<schema::Role>(9));
  EXPECT_TRUE(Fails(e.Validate(), "body.keyGrant.roles[1]: unknown value 9"));
  roles.set(1, schema::Role::LISTING);
  grant.setValidFrom(100);
  grant.setValidUntil(100);
  EXPECT_TRUE(Fails(e.Validate(), "body.keyGrant.validUntil: must be 0 (no end) or after validFrom"));
  grant.setValidUntil(0);
  EXPECT_TRUE(e.Validate().ok());
}

TEST(ValidateStatement, KeyRevoke) {
  Example e("key-revoke");
  e.body().getKeyRevoke().setReason("");
  EXPECT_TRUE(Fails(e.Validate(), "body.keyRevoke.reason: required"));
}

TEST(ValidateStatement, EvidenceRegistered) {
  Example e("evidence-registered");
  auto r = e.body().getEvidenceRegistered();
  r.getDigests()[1].setValue(Filled(20));
  EXPECT_TRUE(Fails(e.Validate(), "body.evidenceRegistered.digests[1].value: must be 32 bytes, got 20"));
  r.getDigests()[1].setValue(Filled(32));
  r.getDigests()[0].setMediaType("video mp4");
  EXPECT_TRUE(Fails(e.Validate(), "body.evidenceRegistered.digests[0].mediaType: \"video mp4\" is not a media type (type/subtype)"));
  r.getDigests()[0].setMediaType("video/mp4");
  r.setEvidenceId("SZIPB-2024-0017-E01 ");
  EXPECT_TRUE(Fails(e.Validate(), "body.evidenceRegistered.evidenceId: leading or trailing white space"));
  r.setEvidenceId("SZIPB-2024-0017-E01");
  r.setCaseId("");
  EXPECT_TRUE(Fails(e.Validate(), "body.evidenceRegistered.caseId: required"));
  r.setCaseId("SZIPB-2024-0017");
  r.initOfficers(0);
  EXPECT_TRUE(Fails(e.Validate(), "body.evidenceRegistered.officers: must have at least 1 item"));
  r.initOfficers(1)[0].setName("张明");
  EXPECT_TRUE(Fails(e.Validate(), "body.evidenceRegistered.officers[0].badge: required"));
  r.getOfficers()[0].setBadge("32050021017");
  r.initDigests(0);
  EXPECT_TRUE(Fails(e.Validate(), "body.evidenceRegistered.digests: must have at least 1 item"));
}

TEST(ValidateStatement, TextEncodingAndLimits) {
  Example e("evidence-registered");
  auto r = e.body().getEvidenceRegistered();
  r.setDescription("第一行\n第二行\t附注");  // free text may hold newlines and tabs
  EXPECT_TRUE(e.Validate().ok()) << e.Validate().ToString();
  r.setDescription("bell\x07");
  EXPECT_TRUE(Fails(e.Validate(), "body.evidenceRegistered.description: control character U+0007 at byte 4"));
  r.setDescription("c1 \xc2\x85");
  EXPECT_TRUE(Fails(e.Validate(), "body.evidenceRegistered.description: control character U+0085 at byte 3"));
  std::string long_text(kMaxFreeTextBytes + 1, 'd');
  r.setDescription(K(long_text));
  EXPECT_TRUE(Fails(e.Validate(), "body.evidenceRegistered.description: 4097 bytes is over the limit of 4096"));
  r.setDescription("");
  for (const char* bad : {"\xff", "\xe5\xbc", "\xc0\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80"}) {
    r.setPlace(bad);  // invalid byte, truncated, overlong, surrogate, above U+10FFFF
    EXPECT_TRUE(Fails(e.Validate(), "body.evidenceRegistered.place: not valid UTF-8 at byte 0")) << bad;
  }
  std::string long_line(kMaxLineBytes + 1, 'p');
  r.setPlace(K(long_line));
  EXPECT_TRUE(FailsAt(e.Validate(), "body.evidenceRegistered.place"));
}

TEST(ValidateStatement, CustodyTransferredAndReceived) {
  Example t("custody-transferred");
  t.body().getCustodyTransferred().setToHolder("苏州市知识产权局执法支队");
  EXPECT_TRUE(Fails(t.Validate(), "body.custodyTransferred.toHolder: must differ from fromHolder"));
  t.body().getCustodyTransferred().setToHolder("苏州市公安局");
  t.body().getCustodyTransferred().setToOrigin("suzhou psb");
  EXPECT_TRUE(FailsAt(t.Validate(), "body.custodyTransferred.toOrigin"));
  t.body().getCustodyTransferred().setToOrigin("suzhou-psb.example/custos");
  EXPECT_TRUE(t.Validate().ok());

  Example r("custody-received");
  auto transfer = r.body().getCustodyReceived().getTransfer();
  transfer.setLeafHash(Filled(0));
  EXPECT_TRUE(Fails(r.Validate(), "body.custodyReceived.transfer.leafHash: must be 32 bytes, got 0"));
  transfer.setLeafHash(Filled(32));
  transfer.setOrigin("");
  EXPECT_TRUE(Fails(r.Validate(), "body.custodyReceived.transfer.origin: required"));
  r.body().getCustodyReceived().disownTransfer();
  EXPECT_TRUE(Fails(r.Validate(), "body.custodyReceived.transfer: required"));
}

TEST(ValidateStatement, EvidenceExaminedAndDisposed) {
  Example x("evidence-examined");
  x.body().getEvidenceExamined().setFindings("");
  EXPECT_TRUE(Fails(x.Validate(), "body.evidenceExamined.findings: required"));

  Example d("evidence-disposed");
  d.body().getEvidenceDisposed().setRecipient("");
  EXPECT_TRUE(Fails(d.Validate(), "body.evidenceDisposed.recipient: required"));
  d.body().getEvidenceDisposed().setDisposition(schema::Disposition::DESTROYED);
  EXPECT_TRUE(d.Validate().ok());  // destroyed evidence has no recipient
}

TEST(ValidateStatement, CaseOpenedParties) {
  Example e("case-opened");
  auto opened = e.body().getCaseOpened();
  auto parties = opened.initParties(2);
  parties[0].setKind(schema::PartyKind::UNIFIED_SOCIAL_CREDIT_CODE);
  parties[0].setId("91320583MA1WR6T306");
  parties[0].setName("昆山鑫达五金制品有限公司");
  parties[1].setKind(schema::PartyKind::UNIFIED_SOCIAL_CREDIT_CODE);
  parties[1].setId("91350100M000100Y4X");
  parties[1].setName("某公司");
  EXPECT_TRUE(Fails(e.Validate(), "body.caseOpened.parties[1].id: \"91350100M000100Y4X\" has a bad check character (want 3)"));
  parties[1].setId("91350100M000100Y43");
  parties[1].setName("");
  EXPECT_TRUE(Fails(e.Validate(), "body.caseOpened.parties[1].name: required"));
  parties[1].setKind(schema::PartyKind::RESIDENT_ID);
  parties[1].setId("320583199003071239");
  EXPECT_TRUE(e.Validate().ok()) << e.Validate().ToString();
  parties[1].setName("王某");
  EXPECT_TRUE(Fails(e.Validate(), "body.caseOpened.parties[1].name: must be empty for a person"));
  parties[1].setName("");
  parties[1].setId("32058319900307123x");
  EXPECT_TRUE(FailsAt(e.Validate(), "body.caseOpened.parties[1].id"));
  // Nobody named in a statement is born after it (kTime is 2024-03-18).
  parties[1].setId("110105209901010020");
  EXPECT_TRUE(Fails(e.Validate(), "body.caseOpened.parties[1].id: \"110105209901010020\" has a birth date (2099-01-01) "
                                  "after the day it is validated at (2024-03-18, UTC+8)"));
  parties[1].setId("");
  EXPECT_TRUE(Fails(e.Validate(), "body.caseOpened.parties[1].id: required"));
  opened.initParties(0);
  EXPECT_TRUE(Fails(e.Validate(), "body.caseOpened.parties: must have at least 1 item"));
}

TEST(ValidateStatement, CaseOpenedPatentAndRegion) {
  Example e("case-opened");
  auto opened = e.body().getCaseOpened();
  opened.setPatentNumber("ZL202120587341.8");
  EXPECT_TRUE(Fails(e.Validate(), "body.caseOpened.patentNumber: \"ZL202120587341.8\" has a bad check character (want 9)"));
  opened.setPatentNumber("");
  EXPECT_TRUE(Fails(e.Validate(), "body.caseOpened.patentNumber: required"));
  opened.setPatentNumber("CN112345678B");
  opened.setRegion("32058");
  EXPECT_TRUE(Fails(e.Validate(), "body.caseOpened.region: \"32058\" is not 6 digits"));
  opened.setRegion("320583");
  EXPECT_TRUE(e.Validate().ok());
}

TEST(ValidateStatement, CaseReferredAndAnswered) {
  Example e("case-referred");
  auto referred = e.body().getCaseReferred();
  auto ids = referred.initEvidenceIds(kMaxListItems + 1);
  for (unsigned i = 0; i < ids.size(); ++i) ids.set(i, K("E" + std::to_string(i)));
  EXPECT_TRUE(Fails(e.Validate(), "body.caseReferred.evidenceIds: 65 items is over the limit of 64"));
  referred.initEvidenceIds(2).set(1, "");
  EXPECT_TRUE(Fails(e.Validate(), "body.caseReferred.evidenceIds[0]: required"));
  referred.initEvidenceIds(0);
  referred.setToOrigin("");
  EXPECT_TRUE(Fails(e.Validate(), "body.caseReferred.toOrigin: required"));
  referred.setToOrigin("suzhou-psb.example/custos");
  referred.setAnswerBy(-1);
  EXPECT_TRUE(Fails(e.Validate(), "body.caseReferred.answerBy: must be 0 (no deadline) or a time"));

  Example a("referral-answered");
  a.body().getReferralAnswered().setReason("");
  EXPECT_TRUE(Fails(a.Validate(), "body.referralAnswered.reason: required"));
  a.body().getReferralAnswered().setAnswer(schema::ReferralAnswer::ACCEPTED);
  EXPECT_TRUE(a.Validate().ok());
}

TEST(ValidateStatement, CaseDecidedClosedClue) {
  Example d("case-decided");
  d.body().getCaseDecided().setDecisionNumber("");
  EXPECT_TRUE(Fails(d.Validate(), "body.caseDecided.decisionNumber: required"));
  Example c("case-closed");
  c.body().getCaseClosed().setCaseId("");
  EXPECT_TRUE(Fails(c.Validate(), "body.caseClosed.caseId: required"));
  Example s("clue-shared");
  s.body().getClueShared().getToOrigins().set(1, "wuxi ipb");
  EXPECT_TRUE(FailsAt(s.Validate(), "body.clueShared.toOrigins[1]"));
  s.body().getClueShared().initToOrigins(0);
  EXPECT_TRUE(Fails(s.Validate(), "body.clueShared.toOrigins: must have at least 1 item"));
}

TEST(ValidateStatement, SubjectListedCompany) {
  Example e("subject-listed");
  auto listed = e.body().getSubjectListed();
  listed.setSubjectId("91320583MA1WR6T307");
  EXPECT_TRUE(Fails(e.Validate(), "body.subjectListed.subjectId: \"91320583MA1WR6T307\" has a bad check character (want 6)"));
  listed.setSubjectId("91320583MA1WR6T306");
  listed.setPrivateDigest(Filled(32));
  EXPECT_TRUE(Fails(e.Validate(), "body.subjectListed.privateDigest: must be empty for an organisation"));
  listed.setPrivateDigest(Filled(0));
  listed.setPublicationEnds(listed.getListedFrom());
  EXPECT_TRUE(Fails(e.Validate(), "body.subjectListed.publicationEnds: must be after listedFrom"));
  listed.setPublicationEnds(0);
  EXPECT_TRUE(Fails(e.Validate(), "body.subjectListed.publicationEnds: must be after listedFrom"));
}

TEST(ValidateStatement, SubjectListedPersonKeepsPersonalDataPrivate) {
  Example e("subject-listed");
  auto listed = e.body().getSubjectListed();
  listed.setSubjectKind(schema::PartyKind::RESIDENT_ID);
  EXPECT_TRUE(Fails(e.Validate(), "body.subjectListed.subjectId: must be empty for a person (the id goes in the private payload)"));
  listed.setSubjectId("");
  EXPECT_TRUE(Fails(e.Validate(), "body.subjectListed.subjectName: must be empty for a person (the name goes in the private payload)"));
  listed.setSubjectName("");
  EXPECT_TRUE(Fails(e.Validate(), "body.subjectListed.privateDigest: must be 32 bytes, got 0"));
  listed.setPrivateDigest(Filled(32));
  EXPECT_TRUE(e.Validate().ok()) << e.Validate().ToString();
}

TEST(ValidateStatement, SubjectDelisted) {
  Example e("subject-delisted");
  e.body().getSubjectDelisted().getListing().setOrigin("a+b");
  EXPECT_TRUE(FailsAt(e.Validate(), "body.subjectDelisted.listing.origin"));
  e.body().getSubjectDelisted().getListing().setOrigin("suzhou-ipb.example/custos");
  e.body().getSubjectDelisted().setReason(static_cast<schema::DelistReason>(7));
  EXPECT_TRUE(Fails(e.Validate(), "body.subjectDelisted.reason: unknown value 7"));
}

}  // namespace
}  // namespace custos::ledger
