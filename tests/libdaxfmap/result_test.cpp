// SPDX-License-Identifier: GPL-2.0-only
#include <cerrno>
#include <string>

#include <gtest/gtest.h>

#include "libdaxfmap/result.hpp"

namespace daxfmap {
namespace {

TEST(QuoteInput, EscapesWhatWouldNotPrintAndTheQuotesThemselves)
{
	const struct {
		std::string in;
		std::string out;
	} cases[] = {
		{"plain 2M", "\"plain 2M\""},
		{"", "\"\""},
		{"a\x01z", "\"a\\x01z\""},
		{std::string("nul\0here", 8), "\"nul\\x00here\""},
		{"tab\there\nnew\rret", "\"tab\\there\\nnew\\rret\""},
		{"del\x7f", "\"del\\x7f\""},
		{"esc\x1b[31m", "\"esc\\x1b[31m\""},
		{"say \"hi\" \\o/", "\"say \\\"hi\\\" \\\\o/\""},
	};
	for (const auto &c : cases)
		EXPECT_EQ(quote_input(c.in), c.out) << c.in;
}

TEST(QuoteInput, KeepsUtf8AndEscapesBytesThatAreNot)
{
	const struct {
		std::string in;
		std::string out;
	} cases[] = {
		{"caf\xc3\xa9 \xe6\x97\xa5 \xf0\x9f\x93\x81", "\"caf\xc3\xa9 \xe6\x97\xa5 \xf0\x9f\x93\x81\""},
		{"\xff", "\"\\xff\""},                    // never a UTF-8 byte
		{"\xc0\x80", "\"\\xc0\\x80\""},           // overlong NUL
		{"\xed\xa0\x80", "\"\\xed\\xa0\\x80\""},  // a surrogate
		{"\xf4\x90\x80\x80", "\"\\xf4\\x90\\x80\\x80\""}, // past U+10FFFF
		{"\xe2\x82", "\"\\xe2\\x82\""},           // cut short
		{"\xe2\x82" "A", "\"\\xe2\\x82A\""},      // cut short by ASCII
		{"\xc2\x85 \xc2\x9b", "\"\\u0085 \\u009b\""}, // C1 controls (NEL, CSI)
		{"\xc2\xa0", "\"\xc2\xa0\""},             // U+00A0 prints
	};
	for (const auto &c : cases)
		EXPECT_EQ(quote_input(c.in), c.out) << c.out;
}

TEST(Printable, EscapesLikeQuoteInputButLeavesQuotesAlone)
{
	EXPECT_EQ(printable("say \"\x01\" \\"), "say \"\\x01\" \\");
}

TEST(ErrnoName, NamesTheErrorsOfWritingAndFollowingLinks)
{
	EXPECT_EQ(errno_name(EPIPE), "EPIPE");
	EXPECT_EQ(errno_name(ELOOP), "ELOOP");
}

} // namespace
} // namespace daxfmap
