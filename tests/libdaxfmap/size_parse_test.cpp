// SPDX-License-Identifier: GPL-2.0-only
#include <cerrno>
#include <string>

#include <gtest/gtest.h>

#include "libdaxfmap/size_parse.hpp"

namespace daxfmap {
namespace {

TEST(ParseSize, Accepts)
{
	const struct {
		const char *text;
		uint64_t want;
	} cases[] = {
		{"0", 0},
		{"4096", 4096},
		{"0x1000", 0x1000},
		{"0X1000", 0x1000},
		{"0xdeadBEEF", 0xdeadbeef},
		{"4K", 4096},
		{"4k", 4096},
		{"4KB", 4096},
		{"4kib", 4096},
		{"4KiB", 4096},
		{"2M", 2ull << 20},
		{"2MiB", 2ull << 20},
		{"2 MiB", 2ull << 20}, // what format_size() writes
		{"1G", 1ull << 30},
		{"1T", 1ull << 40},
		{"1P", 1ull << 50},
		{"1E", 1ull << 60},
		{"15E", 15ull << 60},
		{"0M", 0},
		{"7B", 7},
		{" 12 ", 12},
		{"+5", 5},
		{"18446744073709551615", UINT64_MAX},
		{"0xffffffffffffffff", UINT64_MAX},
		{"0x0000000000000000001", 1}, // leading zeros after 0x are unambiguous
		{"17179869183G", UINT64_MAX - ((1ull << 30) - 1)},
	};
	for (const auto &c : cases) {
		auto r = parse_size(c.text);
		ASSERT_TRUE(r.ok()) << c.text << ": " << r.error().message();
		EXPECT_EQ(*r, c.want) << c.text;
	}
}

TEST(ParseSize, Rejects)
{
	const struct {
		const char *text;
		int errnum;
	} cases[] = {
		{"", EINVAL},
		{"   ", EINVAL},
		{"K", EINVAL},
		{"0x", EINVAL},
		{"12Q", EINVAL},
		{"1.5M", EINVAL},
		{"2MB extra", EINVAL},
		{"2MiBs", EINVAL},
		{"2iB", EINVAL},
		{"0x2M", EINVAL}, // hex takes no suffix: 0x2B would be ambiguous
		{"0x1g", EINVAL},
		{"010", EINVAL}, // octal to C: refused rather than guessed
		{"1e3", EINVAL},
		{"--1", ERANGE},
		{"-1", ERANGE},
		{"-0x10", ERANGE},
		{"18446744073709551616", ERANGE},
		{"99999999999999999999999", ERANGE},
		{"0x10000000000000000", ERANGE},
		{"16E", ERANGE},
		{"17179869184G", ERANGE},
	};
	for (const auto &c : cases) {
		auto r = parse_size(c.text, "OFFSET");
		ASSERT_FALSE(r.ok()) << c.text << " parsed as " << *r;
		EXPECT_EQ(r.error().errnum, c.errnum) << c.text << ": " << r.error().message();
		EXPECT_EQ(r.error().field, "OFFSET");
		EXPECT_NE(r.error().found.find(c.text), std::string::npos) << r.error().message();
	}
}

TEST(ParseSize, MessageNamesWhatAndSyntax)
{
	auto r = parse_size("12Q", "LENGTH");
	ASSERT_FALSE(r.ok());
	EXPECT_EQ(r.error().message(),
		  "LENGTH: expected a byte count: decimal, 0x hex, or decimal with a K/M/G/T/P/E suffix "
		  "(binary, e.g. 2M, 4KiB), found \"12Q\" (EINVAL)");
	auto d = parse_size("x");
	ASSERT_FALSE(d.ok());
	EXPECT_EQ(d.error().field, "size");
}

TEST(ParseSize, QuotesTheTextWithControlBytesEscaped)
{
	auto r = parse_size("2\x01M\x1b[2J", "LENGTH");
	ASSERT_FALSE(r.ok());
	EXPECT_EQ(r.error().found, "\"2\\x01M\\x1b[2J\"");
}

} // namespace
} // namespace daxfmap
