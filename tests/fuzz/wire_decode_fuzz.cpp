// SPDX-License-Identifier: GPL-2.0-only
// libFuzzer target: GET_FMAP replies (and GET_DAXDEV ones) from untrusted
// bytes.  Beyond "no crash, no sanitizer report" it aborts when an invariant
// of the codec breaks:
//   - whatever decodes re-encodes to exactly the bytes it consumed, and
//     decodes again to the same model;
//   - decode_and_validate() accepts exactly what decode_fmap() + validate()
//     accept, with the same errno;
//   - every error names a field and carries a positive errno.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <span>

#include "libdaxfmap/validate.hpp"
#include "libdaxfmap/wire_codec.hpp"

namespace {

using namespace daxfmap;

void require(bool ok, const char *what)
{
	if (!ok) {
		std::fprintf(stderr, "wire_decode_fuzz: invariant broken: %s\n", what);
		std::abort();
	}
}

void require_sane(const Error &e)
{
	require(e.errnum > 0, "error without errno");
	require(!e.field.empty(), "error without field");
	require(!e.message().empty(), "empty message");
}

void fmap_round_trip(std::span<const uint8_t> in, const Limits &limits)
{
	auto d = decode_fmap(in, limits);
	auto dv = decode_and_validate(in, limits);
	if (!d.ok()) {
		require_sane(d.error());
		require(!dv.ok() && dv.error().errnum == d.error().errnum,
			"decode_and_validate disagrees with a failed decode");
		return;
	}
	require(d->consumed <= in.size(), "consumed past the input");
	require(d->fmap.wire_size() == d->consumed, "wire_size != consumed");

	const Bytes enc = encode_fmap(d->fmap);
	require(enc.size() == d->consumed && std::equal(enc.begin(), enc.end(), in.begin()),
		"encode(decode(x)) != x[0:consumed]");
	auto again = decode_fmap(enc, limits);
	require(again.ok() && again->consumed == enc.size() && again->fmap == d->fmap,
		"decode(encode(m)) != m");

	// Both profiles on the model, whichever profile decoded it.
	for (Profile p : {Profile::V10, Profile::Extended}) {
		const ValidationReport r = validate(d->fmap, limits_for(p));
		for (const auto &e : r.errors)
			require_sane(e);
		for (const auto &w : r.warnings)
			require_sane(w);
		require(r.errors.size() <= ValidationReport::kMaxListed, "uncapped error list");
	}
	const ValidationReport r = validate(d->fmap, limits);
	require(dv.ok() == r.ok(), "decode_and_validate disagrees with validate");
	if (!dv.ok())
		require(dv.error().errnum == r.errnum(), "decode_and_validate errno != validate errno");
}

void daxdev_round_trip(std::span<const uint8_t> in)
{
	auto d = decode_daxdev(in);
	if (!d.ok()) {
		require_sane(d.error());
		return;
	}
	auto enc = encode_daxdev(*d);
	require(enc.ok() && std::equal(enc->begin(), enc->end(), in.begin(), in.end()),
		"encode_daxdev(decode_daxdev(x)) != x");
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const std::span<const uint8_t> in(data, size);
	fmap_round_trip(in, limits_for(Profile::V10));
	fmap_round_trip(in, limits_for(Profile::Extended));
	daxdev_round_trip(in);
	return 0;
}
