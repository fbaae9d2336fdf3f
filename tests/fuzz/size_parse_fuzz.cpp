// SPDX-License-Identifier: GPL-2.0-only
// libFuzzer target: parse_size(), what every OFFSET/LENGTH/--size option
// and every byte quantity in a text fmap goes through.  Invariants:
//   - an error has a positive errno, names the field it was given, and its
//     message prints as it is, whatever the text held;
//   - a value reads back from each way daxfmap writes one: decimal, hex()
//     and format_size() ("2 MiB");
//   - plain decimal digits mean what strtoull says.
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "fuzz_checks.hpp"
#include "libdaxfmap/fmap.hpp"
#include "libdaxfmap/size_parse.hpp"

namespace {

using namespace daxfmap;
using fuzz::require;

void reads_back(uint64_t v, const std::string &text)
{
	auto again = parse_size(text, "again");
	require(again.ok() && *again == v, "a written value does not read back");
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const std::string_view text(reinterpret_cast<const char *>(data), size);
	auto v = parse_size(text, "FIELD");
	if (!v) {
		const Error &e = v.error();
		require(e.errnum == EINVAL || e.errnum == ERANGE, "errno other than EINVAL/ERANGE");
		require(e.field == "FIELD", "error names another field");
		fuzz::require_printable(e.message(), "error message does not print as it is");
		return 0;
	}
	reads_back(*v, std::to_string(*v));
	reads_back(*v, hex(*v));
	reads_back(*v, format_size(*v));

	const bool digits = !text.empty() && text.size() <= 19 && text.find_first_not_of("0123456789") == std::string_view::npos;
	if (digits && (text.size() == 1 || text[0] != '0'))
		require(*v == std::strtoull(std::string(text).c_str(), nullptr, 10), "decimal differs from strtoull");
	return 0;
}
