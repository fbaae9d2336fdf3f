// SPDX-License-Identifier: GPL-2.0-only
// Checks every fuzz target here can use: an invariant that breaks aborts,
// naming it, so libFuzzer keeps the input.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <string>

#include <nlohmann/json.hpp>

#include "libdaxfmap/result.hpp"

namespace daxfmap::fuzz {

inline void require(bool ok, const char *what)
{
	if (!ok) {
		std::fprintf(stderr, "fuzz: invariant broken: %s\n", what);
		std::abort();
	}
}

// Checked by another implementation than the one under test.
inline bool utf8_per_nlohmann(const std::string &s)
{
	try {
		(void)nlohmann::json(s).dump();
		return true;
	} catch (const nlohmann::json::type_error &) {
		return false;
	}
}

inline void require_printable(const std::string &s, const char *what)
{
	for (unsigned char c : s)
		require(c >= 0x20 && c != 0x7f, what);
	require(utf8_per_nlohmann(s), what);
}

inline void require_sane(const Error &e)
{
	require(e.errnum > 0, "error without errno");
	require(!e.field.empty(), "error without field");
	require_printable(e.message(), "error message does not print as it is");
}

} // namespace daxfmap::fuzz
