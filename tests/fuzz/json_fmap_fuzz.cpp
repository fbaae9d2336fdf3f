// SPDX-License-Identifier: GPL-2.0-only
// libFuzzer target: JSON fmaps (parse_json, what the CLI reads .json files
// and sniffed '{' text with).  Invariants: fmap_text_checks.hpp, and JSON
// the reader takes is read the same by the YAML reader (JSON is YAML's
// flow syntax; parse_json() checks the syntax, then hands it over).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fmap_text_checks.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	using namespace daxfmap;
	const std::string_view text(reinterpret_cast<const char *>(data), size);
	const auto rec = parse_json(text);
	fuzz::check_parsed(rec);
	if (rec) {
		auto as_yaml = parse_yaml(text);
		fuzz::require(as_yaml.ok() && *as_yaml == *rec, "parse_yaml(json) != parse_json(json)");
	}
	return 0;
}
