// Structural and identifier validation of one statement, before any authority
// or cross-record check. Pure functions of their arguments: no clock, no log,
// thread-safe.
//
// Every failure is Status::InvalidArgument whose message starts with the path
// of the offending field, e.g.
//   body.caseOpened.parties[1].id: "91350100M000100Y4X" has a bad check character (want 3)
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "crypto/status.h"
#include "schema/custos.capnp.h"

namespace custos::ledger {

// ------------------------------------------------------------ limits

inline constexpr size_t kMaxOriginBytes = 255;     // a checkpoint origin line
inline constexpr size_t kMaxIdBytes = 128;         // ids, numbers, badges, seals
inline constexpr size_t kMaxLineBytes = 512;       // names, posts, places, agencies
inline constexpr size_t kMaxFreeTextBytes = 4096;  // summaries, reasons, findings, notes
inline constexpr size_t kMaxMediaTypeBytes = 127;  // RFC 6838: type/subtype, 127 each at most
inline constexpr size_t kMaxListItems = 64;        // every list in a statement
inline constexpr size_t kNonceBytes = 16;
inline constexpr size_t kKeyBytes = 32;            // Ed25519 public key
inline constexpr size_t kDigestBytes = 32;         // SHA-256 / SM3
inline constexpr std::string_view kGenesisSuite = "ed25519-sha256";

// ------------------------------------------------------------ statements

// Checks one statement's structure and identifiers: the envelope, origins,
// text (UTF-8, control characters, lengths within the limits above), the
// required fields of each kind, key and digest sizes, enum values, parties
// and subjects. The rules field by field are in docs/entry-format.md ("What a
// statement must satisfy"). InvalidArgument naming the field's path. No
// field is compared with a clock (times are for the rules, which know the
// log time).
Status ValidateStatement(schema::Statement::Reader s);

// ------------------------------------------------------------ identifiers
//
// Each returns OK or InvalidArgument whose message quotes the value and says
// what is wrong, without a field path (ValidateStatement adds it).

// Unified social credit code (统一社会信用代码), GB 32100-2015:
// 18 characters from "0123456789ABCDEFGHJKLMNPQRTUWXY" (upper case; no I, O,
// Z, S, V), valued 0..30 in that order. Positions 1-2 (registration authority,
// category) are checked against the character set only, because the list of
// authority codes has grown since 2015; positions 3-8 are the administrative
// division of the registering authority: a GB/T 2260 code whose first two
// digits are a province-level code (see ValidateRegionCode), or 100000 for
// the national level; 9-17 is the organisation code. Position 18 is the
// check character: with weights W_i = 3^(i-1) mod 31 (1, 3, 9, 27, 19, 26, 16,
// 17, 20, 29, 25, 13, 8, 24, 10, 30, 28), C18 = 31 - (sum W_i * C_i mod 31),
// and 31 is written '0'.
// Example: "91350100M000100Y43" (the standard's worked example).
Status ValidateUnifiedSocialCreditCode(std::string_view code);

// Citizen identity number (公民身份号码), GB 11643-1999: 17 digits and a check
// character. Positions 1-6: an address code whose first two digits are a
// province-level code (see ValidateRegionCode); 7-14: the birth date, a real
// calendar date YYYYMMDD with 1900 <= YYYY <= 2100 and not after the day of
// `at_ms` in China Standard Time (UTC+8), the time the id is validated at: a
// statement's time for the ids it names, the caller's clock for an id typed
// now (nobody is named before being born); 15-17: sequence. Check (ISO 7064 MOD 11-2):
// weights 7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2, r = sum mod 11, check character
// "10X98765432"[r]. Only upper-case 'X' is accepted: the standard writes it so,
// and one spelling keeps ids comparable byte for byte.
// Example: "11010519491231002X" (the standard's example).
Status ValidateResidentId(std::string_view id, int64_t at_ms);

// ------------------------------------------------------------ identifiers as typed
//
// A query or an input file names a subject as a person types it. These return
// the one canonical form that statements, the rules' indexes and the listings
// map use, or the InvalidArgument of the validator above, unchanged: an id
// that cannot name anyone is refused, never looked up.

// `s` without the ASCII white space (space, tab, CR, LF) at either end.
std::string_view TrimSpace(std::string_view s);

// Surrounding white space removed and a-z upper-cased:
// GB 32100 writes the code in upper case, so "91350100m000100y43" names the
// organisation "91350100M000100Y43" does.
Result<std::string> NormalizeUnifiedSocialCreditCode(std::string_view typed);

// Surrounding white space removed and a lower-case check character 'x'
// written 'X', the one spelling GB 11643 uses; then ValidateResidentId at
// `at_ms`.
Result<std::string> NormalizeResidentId(std::string_view typed, int64_t at_ms);

// A Chinese patent application number (patent number ZL... = application
// number) or a publication/grant number. Accepted forms:
//
//  Application number, ZC 0006-2003 (from 2003-10-01): 12 digits YYYY T
//  NNNNNNN, '.', check character; YYYY in 2003..2100; T (kind) in
//  {1, 2, 3, 8, 9}. Check: sum of the digits times 2,3,4,5,6,7,8,9,2,3,4,5,
//  mod 11; 10 is written 'X'. Example: "201710601862.3".
//  Old application number (1985 to 2003-09-30): 8 digits YY T NNNNN, '.',
//  check; YY in 85..99 or 00..03; T in {1, 2, 3, 8, 9}. Check: digits times
//  2..9, mod 11, 10 written 'X'. Example: "97101765.4", "95115608.X".
//  Either may be prefixed by "CN" or "ZL" and one optional space, and may
//  have single spaces between year and kind and between kind and serial, as
//  ZC 0006-2003 §5.3 allows: "ZL 98 1 23456.9", "CN 2017 1 0601862.3".
//  The check character is required.
//
//  Publication or grant number: "CN", 7 to 10 digits, a kind code letter
//  A, B, C, U, Y or S and an optional digit 1-9, with no spaces.
//  Examples: "CN1234567A", "CN112345678B", "CN212345678U", "CN305123456S",
//  "CN112345678B9". These carry no check character.
Status ValidatePatentNumber(std::string_view number);

// An administrative division code (行政区划代码, GB/T 2260): 6 digits whose
// first two are a province-level code (11-15, 21-23, 31-37, 41-46, 50-54,
// 61-65, 71, 81, 82). Example: "320583" (Kunshan).
Status ValidateRegionCode(std::string_view code);

}  // namespace custos::ledger
