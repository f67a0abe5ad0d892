#include "crypto/text.h"
#include "crypto/status.h"

#include <gtest/gtest.h>

#include <limits>
#include <string>
#include <vector>

namespace custos {
namespace {

TEST(StatusTest, WithContextPrefixesOnce) {
  const Status st = Status::Unauthorized("key 00… is not known");
  EXPECT_EQ(st.WithContext("submit").message(), "submit: key 00… is not known");
  EXPECT_EQ(st.WithContext("submit").WithContext("submit").message(), "submit: key 00… is not known");
  EXPECT_EQ(st.WithContext("submit").WithContext("batch").message(), "batch: submit: key 00… is not known");
  EXPECT_EQ(st.WithContext("submit").code(), Status::Code::kUnauthorized);
  EXPECT_TRUE(Status::OK().WithContext("submit").ok());
}

TEST(TextTest, NextLineSplitsTerminatedLinesOnly) {
  std::string_view text = "one\n\nthree\nunterminated";
  std::vector<std::string> lines;
  std::string_view line;
  while (NextLine(&text, &line)) lines.emplace_back(line);
  EXPECT_EQ(lines, (std::vector<std::string>{"one", "", "three"}));
  EXPECT_EQ(text, "unterminated");  // left in place
}

TEST(TextTest, UtcWithAndWithoutMilliseconds) {
  EXPECT_EQ(FormatUtc(0), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(FormatUtc(1714521600123), "2024-05-01T00:00:00.123Z");
  EXPECT_EQ(FormatUtcSeconds(1714521600123), "2024-05-01T00:00:00Z");
  EXPECT_EQ(FormatUtc(-1), "1969-12-31T23:59:59.999Z");
  EXPECT_EQ(FormatUtc(1714467600000), "2024-04-30T09:00:00.000Z");
  EXPECT_EQ(FormatUtc(1893456000250), "2030-01-01T00:00:00.250Z");
}

TEST(TextTest, BeijingTimeIsEightHoursAheadAndSaysSo) {
  EXPECT_EQ(FormatBeijing(1714521600123), "2024-05-01 08:00:00 UTC+08:00");
  // 16:00 UTC is past midnight in Beijing: the date moves on.
  EXPECT_EQ(FormatBeijing(1714579200000), "2024-05-02 00:00:00 UTC+08:00");
}

// Times from outside the process can be anything: every int64 formats
// (UBSan would stop on a signed overflow) and gives some text.
TEST(TextTest, ExtremeTimesFormatWithoutOverflow) {
  for (int64_t ms : {std::numeric_limits<int64_t>::min(), std::numeric_limits<int64_t>::max()}) {
    EXPECT_FALSE(FormatUtc(ms).empty());
    EXPECT_FALSE(FormatUtcSeconds(ms).empty());
    EXPECT_FALSE(FormatBeijing(ms).empty());
  }
}

}  // namespace
}  // namespace custos

namespace custos {
namespace {

TEST(DescribeFileKindTest, NamesWhatAFileLooksLike) {
  EXPECT_EQ(DescribeFileKind(""), "empty");
  EXPECT_EQ(DescribeFileKind("%PDF-1.7\n"), "a PDF document");
  EXPECT_EQ(DescribeFileKind(std::string_view("\x89PNG\r\n\x1a\n", 8)), "a PNG image");
  EXPECT_EQ(DescribeFileKind("\xFF\xD8\xFF\xE0"), "a JPEG image");
  EXPECT_EQ(DescribeFileKind("PK\x03\x04"), "a ZIP archive");
  EXPECT_EQ(DescribeFileKind("\x7F" "ELF\x02"), "a program");
  EXPECT_EQ(DescribeFileKind("  \n{\"a\": 1}"), "JSON text");
  EXPECT_EQ(DescribeFileKind("[1]"), "JSON text");
  EXPECT_EQ(DescribeFileKind("origin\n1\nroot\n\n\u2014 origin AAAA\n"), "a signed note");
  EXPECT_EQ(DescribeFileKind("证据\tnotes\r\n"), "text");
  EXPECT_EQ(DescribeFileKind(std::string_view("a\0b", 3)), "binary data");
  EXPECT_EQ(DescribeFileKind("\xC3\x28"), "binary data");  // not UTF-8
  EXPECT_EQ(DescribeFileKind("a\x1b[0m"), "binary data");  // an escape sequence
}

}  // namespace
}  // namespace custos
