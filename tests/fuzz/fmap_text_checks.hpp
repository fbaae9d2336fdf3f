// SPDX-License-Identifier: GPL-2.0-only
// What the YAML and JSON fuzz targets check on a text fmap, beyond "no
// crash, no sanitizer report":
//   - an error has a positive errno and a field, and its message prints as
//     it is (no control byte, no DEL, valid UTF-8) whatever the input held;
//   - a parsed record written back (to_yaml, to_json) parses to the same
//     record, and daxfmap's own text of it fits max_text_bytes() of every
//     profile that accepts it;
//   - an fmap a profile accepts encodes to a reply that decodes, under that
//     profile, to the same fmap, and that decode_and_validate() accepts.
#pragma once

#include <string>

#include "fuzz_checks.hpp"
#include "libdaxfmap/fmap_text.hpp"
#include "libdaxfmap/validate.hpp"
#include "libdaxfmap/wire_codec.hpp"

namespace daxfmap::fuzz {

inline void check_parsed(const Result<FileRecord> &rec)
{
	if (!rec) {
		require_sane(rec.error());
		return;
	}
	const std::string yaml = to_yaml(*rec);
	const std::string json = to_json(*rec);
	auto from_yaml = parse_yaml(yaml);
	require(from_yaml.ok() && *from_yaml == *rec, "parse_yaml(to_yaml(r)) != r");
	auto from_json = parse_json(json);
	require(from_json.ok() && *from_json == *rec, "parse_json(to_json(r)) != r");

	for (Profile p : {Profile::V10, Profile::Extended}) {
		const Limits &limits = limits_for(p);
		const ValidationReport r = validate(rec->fmap, limits);
		for (const auto &e : r.errors)
			require_sane(e);
		if (!r.ok())
			continue;
		require(yaml.size() <= max_text_bytes(limits) && json.size() <= max_text_bytes(limits),
			"the text of an accepted fmap exceeds max_text_bytes()");
		const Bytes wire = encode_fmap(rec->fmap);
		auto back = decode_fmap(wire, limits);
		require(back.ok() && back->consumed == wire.size() && back->fmap == rec->fmap,
			"decode(encode(f)) != f for an accepted fmap");
		require(decode_and_validate(wire, limits).ok(), "decode_and_validate refuses an accepted fmap");
	}
}

} // namespace daxfmap::fuzz
