// SPDX-License-Identifier: GPL-2.0-only
#include "libdaxfmap/result.hpp"

#include <cerrno>

namespace daxfmap {

std::string errno_name(int errnum)
{
	switch (errnum) {
	case EINVAL: return "EINVAL";
	case ERANGE: return "ERANGE";
	case EIO: return "EIO";
	case ENOENT: return "ENOENT";
	case EFBIG: return "EFBIG";
	case EOVERFLOW: return "EOVERFLOW";
	case ENAMETOOLONG: return "ENAMETOOLONG";
	case ENOSPC: return "ENOSPC";
	case ENODEV: return "ENODEV";
	case ENXIO: return "ENXIO";
	case EAGAIN: return "EAGAIN";
	case E2BIG: return "E2BIG";
	case EPERM: return "EPERM";
	case EACCES: return "EACCES";
	case ENOMEM: return "ENOMEM";
	case EEXIST: return "EEXIST";
	case ENOTSUP: return "ENOTSUP";
	case EBADMSG: return "EBADMSG";
	case EISDIR: return "EISDIR";
	case ENOTDIR: return "ENOTDIR";
	case EINTR: return "EINTR";
	case EBADF: return "EBADF";
	case EBUSY: return "EBUSY";
	case EROFS: return "EROFS";
	case EUCLEAN: return "EUCLEAN";
	case ENOSYS: return "ENOSYS";
	case ETIMEDOUT: return "ETIMEDOUT";
	case EPROTO: return "EPROTO";
	case ECONNRESET: return "ECONNRESET";
	case ENOTCONN: return "ENOTCONN";
	case EHWPOISON: return "EHWPOISON";
	case ENOTEMPTY: return "ENOTEMPTY";
	case EXDEV: return "EXDEV";
	case EPIPE: return "EPIPE";
	case ELOOP: return "ELOOP";
	default: return "errno " + std::to_string(errnum);
	}
}

namespace {

// Length of the well-formed UTF-8 sequence at the start of `s` (2 to 4), or
// 0 if there is none: overlong forms, surrogates and code points past
// U+10FFFF are not well formed.
size_t utf8_sequence(std::string_view s)
{
	auto byte = [&](size_t i) { return static_cast<unsigned char>(s[i]); };
	auto cont = [&](size_t i, unsigned char lo = 0x80, unsigned char hi = 0xbf) {
		return i < s.size() && byte(i) >= lo && byte(i) <= hi;
	};
	const unsigned char c = byte(0);
	if (c >= 0xc2 && c <= 0xdf)
		return cont(1) ? 2 : 0;
	if (c >= 0xe0 && c <= 0xef) {
		const unsigned char lo = c == 0xe0 ? 0xa0 : 0x80, hi = c == 0xed ? 0x9f : 0xbf;
		return cont(1, lo, hi) && cont(2) ? 3 : 0;
	}
	if (c >= 0xf0 && c <= 0xf4) {
		const unsigned char lo = c == 0xf0 ? 0x90 : 0x80, hi = c == 0xf4 ? 0x8f : 0xbf;
		return cont(1, lo, hi) && cont(2) && cont(3) ? 4 : 0;
	}
	return 0;
}

void append_hex(std::string &out, std::string_view prefix, unsigned char c)
{
	static constexpr char kHex[] = "0123456789abcdef";
	out += prefix;
	out += kHex[c >> 4];
	out += kHex[c & 15];
}

std::string escape(std::string_view text, bool in_quotes)
{
	std::string out;
	out.reserve(text.size() + 2);
	while (!text.empty()) {
		const unsigned char c = static_cast<unsigned char>(text.front());
		size_t used = 1;
		if (c >= 0x80) {
			used = utf8_sequence(text);
			if (used == 0) {
				append_hex(out, "\\x", c);
				used = 1;
			} else if (c == 0xc2 && static_cast<unsigned char>(text[1]) < 0xa0) {
				// U+0080..U+009F are C1 controls: terminals act on them.
				append_hex(out, "\\u00", static_cast<unsigned char>(text[1]));
			} else {
				out.append(text.substr(0, used));
			}
		} else if (in_quotes && (c == '"' || c == '\\')) {
			out += '\\';
			out += static_cast<char>(c);
		} else if (c == '\n') {
			out += "\\n";
		} else if (c == '\t') {
			out += "\\t";
		} else if (c == '\r') {
			out += "\\r";
		} else if (c < 0x20 || c == 0x7f) {
			append_hex(out, "\\x", c);
		} else {
			out += static_cast<char>(c);
		}
		text.remove_prefix(used);
	}
	return out;
}

} // namespace

bool is_utf8(std::string_view text)
{
	while (!text.empty()) {
		const size_t n = static_cast<unsigned char>(text.front()) < 0x80 ? 1 : utf8_sequence(text);
		if (n == 0)
			return false;
		text.remove_prefix(n);
	}
	return true;
}

std::string quote_input(std::string_view text)
{
	// Appended, not "\"" + std::string: GCC 12 at -O3 warns falsely
	// (-Wrestrict) on operator+(const char *, std::string &&).
	std::string out = "\"";
	out += escape(text, true);
	out += '"';
	return out;
}

std::string printable(std::string_view text)
{
	return escape(text, false);
}

std::string Error::message() const
{
	std::string m = field.empty() ? std::string("error") : field;
	m += ":";
	if (!expected.empty()) {
		m += " expected " + expected;
		if (!found.empty())
			m += ", found " + found;
	} else if (!found.empty()) {
		m += " " + found;
	}
	m += " (" + errno_name(errnum) + ")";
	return m;
}

} // namespace daxfmap
