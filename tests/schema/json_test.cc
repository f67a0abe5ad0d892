// The JSON form of statements: round trips over every example, strict
// decoding errors that name the field, and stable canonical bytes.
#include "schema/json.h"

#include <capnp/schema.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "schema/canonical.h"

namespace custos::schema {
namespace {

const char* const kExampleKinds[] = {
    "key-grant",        "key-revoke",        "evidence-registered", "custody-transferred", "custody-received",
    "evidence-examined", "evidence-disposed", "case-opened",         "case-referred",       "referral-answered",
    "case-decided",     "case-closed",       "clue-shared",         "subject-listed",      "subject-delisted",
};

std::string ExamplePath(const std::string& kind) { return std::string(CUSTOS_SOURCE_DIR) + "/examples/" + kind + ".json"; }

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in.good()) << path;
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

Bytes MustParse(const std::string& json) {
  auto r = StatementFromJson(json);
  EXPECT_TRUE(r.ok()) << r.status().ToString() << "\n" << json;
  return r.ok() ? r.value() : Bytes{};
}

CanonicalMessage<Statement> MustRead(const Bytes& bytes) {
  auto r = ReadCanonical<Statement>(bytes, kMaxStatementBytes, "statement");
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return std::move(r).value();
}

// The error message for `json`, which must be refused.
std::string ErrorFor(const std::string& json) {
  auto r = StatementFromJson(json);
  EXPECT_FALSE(r.ok()) << json;
  if (r.ok()) return "";
  EXPECT_EQ(r.status().code(), Status::Code::kInvalidArgument);
  return r.status().message();
}

bool StartsWith(const std::string& s, const std::string& prefix) { return s.rfind(prefix, 0) == 0; }

// ------------------------------------------------------------ examples

TEST(StatementJson, ExamplesCoverEveryKindButGenesis) {
  std::set<std::string> files;
  for (const auto& entry : std::filesystem::directory_iterator(std::string(CUSTOS_SOURCE_DIR) + "/examples")) {
    if (entry.path().extension() == ".json") files.insert(entry.path().stem().string());
  }
  std::set<std::string> kinds(std::begin(kExampleKinds), std::end(kExampleKinds));
  EXPECT_EQ(files, kinds);
  auto body = capnp::Schema::from<Statement>().getFieldByName("body").getType().asStruct();
  EXPECT_EQ(body.getUnionFields().size(), kinds.size() + 1);  // + genesis
}

TEST(StatementJson, EveryExampleRoundTrips) {
  for (const char* kind : kExampleKinds) {
    SCOPED_TRACE(kind);
    Bytes bytes = MustParse(ReadFile(ExamplePath(kind)));
    auto msg = MustRead(bytes);
    EXPECT_EQ(StatementKind(msg.get()), kind);
    // The answer to the bureau's referral is the police's statement, in the
    // police's own log (docs/rules.md); every other example is the bureau's.
    EXPECT_EQ(msg.get().getOrigin(), std::string_view(kind) == "referral-answered" ? "suzhou-psb.example/custos"
                                                                                  : "suzhou-ipb.example/custos");
    EXPECT_EQ(msg.get().getTime(), 0);        // left for the signer to fill
    EXPECT_EQ(msg.get().getNonce().size(), 0u);
    EXPECT_EQ(MustParse(StatementToJson(msg.get())), bytes);
    EXPECT_EQ(MustParse(StatementToJson(msg.get(), /*pretty=*/true)), bytes);
  }
}

TEST(StatementJson, KeyGrantExampleHasTheOfficerKey) {
  auto msg = MustRead(MustParse(ReadFile(ExamplePath("key-grant"))));
  auto grant = msg.get().getBody().getKeyGrant();
  EXPECT_EQ(HexEncode(ByteSpan(grant.getKey().begin(), grant.getKey().size())),
            "2289e2ac94b4ae603249716db691931571a2c8093619203fa996e4b203fd2427");
  EXPECT_EQ(grant.getHolder(), "张明");
  ASSERT_EQ(grant.getRoles().size(), 3u);
  EXPECT_EQ(grant.getRoles()[0], Role::EVIDENCE);
  EXPECT_EQ(grant.getRoles()[2], Role::LISTING);
}

// ------------------------------------------------------------ encoding

TEST(StatementJson, DataIsLowerCaseHexIncludingListsOfKeys) {
  const std::string json = R"({"origin":"o.example/log","time":"5","nonce":"00112233445566778899AABBCCDDEEFF",
    "body":{"genesis":{"origin":"o.example/log","nodeKey":"0a0b","suite":"ed25519-sha256",
    "adminKeys":["01ff","FEED"]}}})";
  auto msg = MustRead(MustParse(json));
  auto genesis = msg.get().getBody().getGenesis();
  ASSERT_EQ(genesis.getAdminKeys().size(), 2u);
  EXPECT_EQ(genesis.getAdminKeys()[1].size(), 2u);
  std::string out = StatementToJson(msg.get());
  EXPECT_NE(out.find(R"("nonce":"00112233445566778899aabbccddeeff")"), std::string::npos) << out;
  EXPECT_NE(out.find(R"("adminKeys":["01ff","feed"])"), std::string::npos) << out;
  EXPECT_NE(out.find(R"("time":"5")"), std::string::npos) << out;
  EXPECT_EQ(StatementKind(msg.get()), "genesis");
}

TEST(StatementJson, IntegersAsNumbersOrStringsGiveTheSameBytes) {
  const std::string a = R"({"origin":"o","time":1717171200000,"body":{"caseDecided":{"caseId":"c","fineYuan":120000}}})";
  const std::string b = R"({"origin":"o","time":"1717171200000","body":{"caseDecided":{"caseId":"c","fineYuan":"120000"}}})";
  EXPECT_EQ(MustParse(a), MustParse(b));
}

TEST(StatementJson, CanonicalBytesDoNotDependOnFieldOrderOrSpacing) {
  const std::string a = R"({"origin":"o","time":7,"body":{"keyRevoke":{"key":"00ff","reason":"lost"}}})";
  const std::string b = "{ \"body\" : { \"keyRevoke\" : { \"reason\" : \"lost\",\n \"key\" : \"00FF\" } },\n"
                        "  \"time\" : \"7\", \"origin\" : \"o\" }";
  EXPECT_EQ(MustParse(a), MustParse(b));
}

// Pins the canonical encoding: a change here changes every signature and
// leaf hash, so it must be deliberate (docs/entry-format.md).
TEST(StatementJson, CanonicalBytesArePinned) {
  const std::string json = R"({"origin":"o","time":7,"nonce":"000102030405060708090a0b0c0d0e0f",
    "body":{"keyRevoke":{"key":"00ff","reason":"lost"}}})";
  EXPECT_EQ(HexEncode(MustParse(json)),
            "0000000002000300"   // root: struct at +0, 2 data words, 3 pointers
            "0700000000000000"   // time = 7
            "0200000000000000"   // body discriminant 2 = keyRevoke (third union member)
            "0900000012000000"   // origin: bytes at +2, 2 ("o" and NUL)
            "0900000082000000"   // nonce: bytes at +2, 16
            "0c00000000000200"   // body.keyRevoke: struct at +3, 0 data words, 2 pointers
            "6f00000000000000"   // "o"
            "0001020304050607"   // nonce
            "08090a0b0c0d0e0f"
            "0500000012000000"   // key: bytes at +1, 2
            "050000002a000000"   // reason: bytes at +1, 5 ("lost" and NUL)
            "00ff000000000000"   // key
            "6c6f737400000000");
}

TEST(StatementJson, FillStatementDefaultsFillsOnlyWhatIsMissing) {
  const Bytes nonce = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
  Bytes bare = MustParse(R"({"body":{"caseClosed":{"caseId":"c","reason":"done"}}})");
  auto filled = MustRead(FillStatementDefaults(bare, "o.example/log", 1717171200000, nonce));
  EXPECT_EQ(filled.get().getOrigin(), "o.example/log");
  EXPECT_EQ(filled.get().getTime(), 1717171200000);
  EXPECT_EQ(Bytes(filled.get().getNonce().begin(), filled.get().getNonce().end()), nonce);
  EXPECT_EQ(filled.get().getBody().getCaseClosed().getReason(), "done");

  Bytes given = MustParse(R"({"origin":"mine","time":9,"nonce":"ffffffffffffffffffffffffffffffff",
    "body":{"caseClosed":{"caseId":"c","reason":"done"}}})");
  EXPECT_EQ(FillStatementDefaults(given, "o.example/log", 1717171200000, nonce), given);
}

TEST(StatementJson, StatementKindIsKebabCase) {
  auto msg = MustRead(MustParse(R"({"body":{"evidenceRegistered":{}}})"));
  EXPECT_EQ(StatementKind(msg.get()), "evidence-registered");
  msg = MustRead(MustParse(R"({"body":{"subjectDelisted":{}}})"));
  EXPECT_EQ(StatementKind(msg.get()), "subject-delisted");
}

// ------------------------------------------------------------ log entries

Bytes EntryBytes(const Bytes& statement) {
  capnp::MallocMessageBuilder message;
  auto entry = message.initRoot<LogEntry>();
  entry.setIndex(3);
  entry.setPrevHash(kj::heapArray<capnp::byte>(32).asPtr());
  entry.setLogTime(1717171200123);
  auto submission = entry.initSubmission();
  submission.setStatement(capnp::Data::Reader(statement.data(), statement.size()));
  submission.setAuthorKey(kj::heapArray<capnp::byte>({0xab, 0xcd}).asPtr());
  submission.setSignature(kj::heapArray<capnp::byte>({0x01}).asPtr());
  return Canonicalize(entry.asReader());
}

TEST(LogEntryJson, ShowsTheStatementDecodedInPlace) {
  Bytes statement = MustParse(ReadFile(ExamplePath("case-closed")));
  Bytes entry_bytes = EntryBytes(statement);
  auto entry = ReadCanonical<LogEntry>(entry_bytes, kMaxEntryBytes, "entry");
  ASSERT_TRUE(entry.ok()) << entry.status().ToString();
  std::string json = LogEntryToJson(entry->get());
  EXPECT_NE(json.find(R"("index":"3")"), std::string::npos) << json;
  EXPECT_NE(json.find(R"("statement":{"origin":"suzhou-ipb.example/custos")"), std::string::npos) << json;
  EXPECT_NE(json.find(R"("statementBytes":")" + HexEncode(statement) + "\""), std::string::npos) << json;
  EXPECT_NE(json.find(R"("authorKey":"abcd")"), std::string::npos) << json;
  EXPECT_NE(json.find(R"("caseClosed":)"), std::string::npos) << json;
  EXPECT_EQ(json.find("statementError"), std::string::npos) << json;
  EXPECT_NE(LogEntryToJson(entry->get(), /*pretty=*/true).find('\n'), std::string::npos);
}

TEST(LogEntryJson, ReportsStatementBytesThatDoNotDecode) {
  Bytes garbage = {1, 2, 3};
  Bytes entry_bytes = EntryBytes(garbage);
  auto entry = ReadCanonical<LogEntry>(entry_bytes, kMaxEntryBytes, "entry");
  ASSERT_TRUE(entry.ok()) << entry.status().ToString();
  std::string json = LogEntryToJson(entry->get());
  EXPECT_NE(json.find(R"("statement":null,"statementBytes":"010203","statementError":")"), std::string::npos) << json;
}

// ------------------------------------------------------------ strict decoding

TEST(StatementJsonErrors, MalformedJson) {
  EXPECT_TRUE(StartsWith(ErrorFor(R"({"origin": )"), "malformed JSON: "));
  EXPECT_TRUE(StartsWith(ErrorFor(R"({"origin":"o"} trailing)"), "malformed JSON: "));
  EXPECT_TRUE(StartsWith(ErrorFor(""), "malformed JSON: "));
  EXPECT_TRUE(StartsWith(ErrorFor(std::string(200, '[') + std::string(200, ']')), "malformed JSON: "));
  EXPECT_EQ(ErrorFor("[]"), "statement: expected an object, got an array");
}

TEST(StatementJsonErrors, UnknownFieldsAreNamedByPath) {
  EXPECT_EQ(ErrorFor(R"({"origni":"o"})"), "origni: unknown field");
  EXPECT_EQ(ErrorFor(R"({"body":{"caseOpened":{"caseId":"c","partys":[]}}})"), "body.caseOpened.partys: unknown field");
  EXPECT_EQ(ErrorFor(R"({"body":{"caseOpened":{"parties":[{"kind":"residentId"},{"nmae":"x"}]}}})"),
            "body.caseOpened.parties[1].nmae: unknown field");
  EXPECT_EQ(ErrorFor(R"({"body":{"custodyReceived":{"transfer":{"origin":"o","idx":1}}}})"),
            "body.custodyReceived.transfer.idx: unknown field");
}

TEST(StatementJsonErrors, UnknownOrMissingBodyKind) {
  std::string unknown = ErrorFor(R"({"origin":"o","body":{"fooBar":{}}})");
  EXPECT_TRUE(StartsWith(unknown, "body.fooBar: unknown statement kind; known kinds: genesis, keyGrant, keyRevoke, "))
      << unknown;
  EXPECT_NE(unknown.find("subjectDelisted"), std::string::npos) << unknown;
  EXPECT_TRUE(StartsWith(ErrorFor(R"({"origin":"o"})"), "body: missing; give one statement kind of: genesis, "));
  EXPECT_TRUE(StartsWith(ErrorFor(R"({"origin":"o","body":{}})"), "body: empty; "));
  EXPECT_EQ(ErrorFor(R"({"body":{"caseClosed":{},"keyRevoke":{}}})"),
            "body: both caseClosed and keyRevoke given; give exactly one");
  EXPECT_EQ(ErrorFor(R"({"body":"caseClosed"})"), "body: expected an object, got a string");
}

TEST(StatementJsonErrors, BadHex) {
  EXPECT_EQ(ErrorFor(R"({"body":{"keyRevoke":{"key":"0ff"}}})"),
            "body.keyRevoke.key: hex string has an odd number of digits");
  EXPECT_EQ(ErrorFor(R"({"body":{"keyRevoke":{"key":"zz"}}})"), "body.keyRevoke.key: not a hex string");
  EXPECT_EQ(ErrorFor(R"({"nonce":[1,2]})"), "nonce: expected a hex string, got an array");
  EXPECT_EQ(ErrorFor(R"({"body":{"genesis":{"adminKeys":["00","0g"]}}})"), "body.genesis.adminKeys[1]: not a hex string");
}

TEST(StatementJsonErrors, WrongTypesAndValues) {
  EXPECT_EQ(ErrorFor(R"({"time":"soon"})"), "time: expected an integer, got \"soon\"");
  EXPECT_EQ(ErrorFor(R"({"time":1.5})"), "time: expected an integer");
  EXPECT_EQ(ErrorFor(R"({"time":1e300})"), "time: integer too large for a JSON number; write it as a string");
  EXPECT_EQ(ErrorFor(R"({"time":"99999999999999999999"})"), "time: integer out of range");
  EXPECT_EQ(ErrorFor(R"({"body":{"caseDecided":{"fineYuan":-1}}})"), "body.caseDecided.fineYuan: integer out of range");
  EXPECT_EQ(ErrorFor(R"({"body":{"caseDecided":{"orderToStop":"yes"}}})"),
            "body.caseDecided.orderToStop: expected true or false, got a string");
  EXPECT_EQ(ErrorFor(R"({"origin":7})"), "origin: expected a string, got a number");
  EXPECT_EQ(ErrorFor(R"({"origin":null})"), "origin: null is not allowed; omit the field instead");
  EXPECT_EQ(ErrorFor(R"({"body":{"keyGrant":{"roles":["admin","judge"]}}})"),
            "body.keyGrant.roles[1]: \"judge\" is not one of admin, evidence, case, listing");
  EXPECT_EQ(ErrorFor(R"({"body":{"keyGrant":{"roles":[1]}}})"),
            "body.keyGrant.roles[0]: expected one of admin, evidence, case, listing, got a number");
  EXPECT_EQ(ErrorFor(R"({"origin":"a","origin":"b"})"), "origin: duplicate field");
}

// Capnp's parser passes raw bytes through; the statement must still read
// (FillStatementDefaults, which `custos submit` calls next, requires it).
TEST(StatementJsonErrors, TextThatIsNotUtf8IsRefused) {
  EXPECT_EQ(ErrorFor("{\"body\":{\"caseClosed\":{\"reason\":\"\xff\"}}}"),
            "statement: body.caseClosed.reason: text is not valid UTF-8");
}

TEST(StatementJsonErrors, OversizeInputIsRefusedBeforeParsing) {
  std::string big = R"({"origin":")" + std::string(kMaxStatementBytes, 'a') + R"("})";
  EXPECT_TRUE(StartsWith(ErrorFor(big), "statement JSON: " + std::to_string(big.size()) + " bytes is over the limit"));
  // Just under the limit is fine as far as JSON goes.
  std::string fits = R"({"body":{"caseClosed":{"reason":")" + std::string(60000, 'r') + R"("}}})";
  EXPECT_TRUE(StatementFromJson(fits).ok());
}

}  // namespace
}  // namespace custos::schema
