// SPDX-License-Identifier: GPL-2.0-only
#include "libdaxfmap/size_parse.hpp"

#include <array>
#include <cerrno>
#include <string>

namespace daxfmap {

namespace {

bool is_space(char c)
{
	return c == ' ' || c == '\t';
}

char lower(char c)
{
	return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

int digit_value(char c, unsigned base)
{
	c = lower(c);
	int v = -1;
	if (c >= '0' && c <= '9')
		v = c - '0';
	else if (c >= 'a' && c <= 'f')
		v = c - 'a' + 10;
	return (v >= 0 && static_cast<unsigned>(v) < base) ? v : -1;
}

bool iequals(std::string_view a, std::string_view b)
{
	if (a.size() != b.size())
		return false;
	for (size_t i = 0; i < a.size(); i++)
		if (lower(a[i]) != lower(b[i]))
			return false;
	return true;
}

Error size_error(int errnum, std::string_view what, std::string expected, std::string_view text)
{
	return Error{
		.errnum = errnum,
		.field = std::string(what),
		.expected = std::move(expected),
		.found = quote_input(text),
	};
}

constexpr const char *kSyntax =
	"a byte count: decimal, 0x hex, or decimal with a K/M/G/T/P/E suffix (binary, e.g. 2M, 4KiB)";

// Binary multiplier shift for a suffix ("", "B", "K", "KB", "KiB", ...), or
// -1 if it is not one.
int suffix_shift(std::string_view s)
{
	if (s.empty() || iequals(s, "b"))
		return 0;
	static constexpr std::array<char, 6> units = {'k', 'm', 'g', 't', 'p', 'e'};
	for (size_t i = 0; i < units.size(); i++) {
		if (lower(s[0]) != units[i])
			continue;
		std::string_view rest = s.substr(1);
		if (rest.empty() || iequals(rest, "b") || iequals(rest, "ib"))
			return static_cast<int>(10 * (i + 1));
	}
	return -1;
}

} // namespace

Result<uint64_t> parse_size(std::string_view text, std::string_view what)
{
	std::string_view s = text;
	while (!s.empty() && is_space(s.front()))
		s.remove_prefix(1);
	while (!s.empty() && is_space(s.back()))
		s.remove_suffix(1);
	if (s.empty())
		return size_error(EINVAL, what, kSyntax, text);
	if (s.front() == '-')
		return size_error(ERANGE, what, "a non-negative byte count", text);
	if (s.front() == '+')
		s.remove_prefix(1);

	unsigned base = 10;
	if (s.size() >= 2 && s[0] == '0' && lower(s[1]) == 'x') {
		base = 16;
		s.remove_prefix(2);
	}

	// Digits, with overflow detected before it happens.
	uint64_t v = 0;
	size_t n = 0;
	for (; n < s.size(); n++) {
		int d = digit_value(s[n], base);
		if (d < 0)
			break;
		if (v > (UINT64_MAX - static_cast<uint64_t>(d)) / base)
			return size_error(ERANGE, what, "at most 18446744073709551615 (2^64 - 1)", text);
		v = v * base + static_cast<uint64_t>(d);
	}
	if (n == 0)
		return size_error(EINVAL, what, kSyntax, text);
	// "0100" is octal to C and to famfs's strtoull(, 0): refuse rather than guess.
	if (base == 10 && n > 1 && s[0] == '0')
		return size_error(EINVAL, what, "no leading zero (octal is not accepted; write decimal or 0x hex)",
				  text);

	std::string_view suffix = s.substr(n);
	if (base == 16) {
		// Hex digits include B and E, so a suffix after hex would be ambiguous.
		if (!suffix.empty())
			return size_error(EINVAL, what, "hex digits only after 0x (no unit suffix)", text);
		return v;
	}
	while (!suffix.empty() && is_space(suffix.front()))
		suffix.remove_prefix(1);
	int shift = suffix_shift(suffix);
	if (shift < 0)
		return size_error(EINVAL, what, kSyntax, text);
	if (shift > 0 && v > (UINT64_MAX >> shift))
		return size_error(ERANGE, what, "at most 18446744073709551615 (2^64 - 1)", text);
	return v << shift;
}

} // namespace daxfmap
