// SPDX-License-Identifier: GPL-2.0-only
// Errors as values: a Result<T> holds a T or an Error that names what is wrong.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace daxfmap {

// One problem, precise enough to act on: which field (with the extent and
// strip index where there is one), what was expected and what was found, and
// the errno the kernel (or daxfmap) answers it with.
struct Error {
	int errnum = 0;                       // positive errno value (EINVAL, ERANGE, ...)
	std::string field;                    // e.g. "nextents", "extents[3].offset"
	std::string expected;                 // e.g. "a multiple of 2 MiB"
	std::string found;                    // e.g. "0x201000"
	std::optional<uint32_t> extent;       // extent index, where one applies
	std::optional<uint32_t> strip;        // strip index inside that extent

	// "extents[3].offset: expected a multiple of 2 MiB, found 0x201000 (EINVAL)"
	std::string message() const;
};

// Symbolic name of an errno value ("EINVAL"), or its number if unknown.
std::string errno_name(int errnum);

// Input quoted for an error message: "text" between double quotes, with
// every byte that would not print as itself (control bytes, DEL, C1
// controls, invalid UTF-8) and the quote and backslash escaped (\n, \t,
// \xNN, \u0085, \", \\).  Whatever the input held, the message stays one
// line of valid UTF-8: a terminal shows it as it is and JSON can carry it.
std::string quote_input(std::string_view text);
// Whether `text` is well-formed UTF-8 (what quote_input() keeps as it is,
// C1 controls aside).
bool is_utf8(std::string_view text);
// The same escapes without the quotes, for text that embeds input without
// quoting it (a parser's own message).
std::string printable(std::string_view text);

template <typename T>
class [[nodiscard]] Result {
public:
	Result(T value) : v_(std::move(value)) {}
	Result(Error error) : v_(std::move(error)) {}

	bool ok() const { return v_.index() == 0; }
	explicit operator bool() const { return ok(); }

	T &value() & { return std::get<0>(v_); }
	const T &value() const & { return std::get<0>(v_); }
	T &&value() && { return std::get<0>(std::move(v_)); }
	T &operator*() & { return value(); }
	const T &operator*() const & { return value(); }
	T *operator->() { return &value(); }
	const T *operator->() const { return &value(); }

	const Error &error() const { return std::get<1>(v_); }

private:
	std::variant<T, Error> v_;
};

// Result<void>: success or an Error.
template <>
class [[nodiscard]] Result<void> {
public:
	Result() = default;
	Result(Error error) : e_(std::move(error)) {}

	bool ok() const { return !e_.has_value(); }
	explicit operator bool() const { return ok(); }
	const Error &error() const { return *e_; }

private:
	std::optional<Error> e_;
};

} // namespace daxfmap
