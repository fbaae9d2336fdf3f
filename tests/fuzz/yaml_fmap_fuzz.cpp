// SPDX-License-Identifier: GPL-2.0-only
// libFuzzer target: YAML fmaps (parse_yaml, what the CLI reads .yaml files
// and sniffed text with).  Invariants: fmap_text_checks.hpp.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fmap_text_checks.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const std::string_view text(reinterpret_cast<const char *>(data), size);
	daxfmap::fuzz::check_parsed(daxfmap::parse_yaml(text));
	return 0;
}
