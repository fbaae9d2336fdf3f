// SPDX-License-Identifier: GPL-2.0-only
// libFuzzer target: GET_FMAP replies (and GET_DAXDEV ones) from untrusted
// bytes.  Beyond "no crash, no sanitizer report" it aborts when an invariant
// of the codec breaks:
//   - whatever decodes re-encodes to exactly the bytes it consumed, and
//     decodes again to the same model;
//   - decode_and_validate() accepts exactly what decode_fmap() + validate()
//     accept, with the same errno, and check() gives validate()'s first error;
//   - both profiles decode bytes they both accept to the same model;
//   - every error names a field and carries a positive errno.
// Each model is validated once per profile, and messages are formatted for
// the first and last error only: the string work of every error of a broken
// input, repeated, was what held this target to a few thousand runs a second.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <span>
#include <string>

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
}

// The message of an error names its field first.
void require_message(const Error &e)
{
	const std::string m = e.message();
	require(m.starts_with(e.field), "message does not start with the field");
}

constexpr size_t kListed = 8;

// What one profile's decoders made of the input.
struct Decoded {
	DecodedFmap decoded;
	int dv_errnum; // decode_and_validate()'s errno, 0 if it accepted
};

// Every report of a model under both profiles, and check()'s first error;
// dv[p]: what decode_and_validate() said under profile p, where it decoded.
void validate_model(const Fmap &fmap, const std::optional<int> (&dv)[2])
{
	for (Profile p : {Profile::V10, Profile::Extended}) {
		// A short list: listing an input's every broken extent costs
		// string work per extent, and the cap's own logic is what differs.
		const ValidationReport r = validate(fmap, limits_for(p), kListed);
		for (const auto &e : r.errors)
			require_sane(e);
		for (const auto &w : r.warnings)
			require_sane(w);
		require(r.errors.size() <= kListed && r.warnings.size() <= kListed,
			"uncapped error list");
		require(r.errors.size() == kListed || r.errors_omitted == 0,
			"errors omitted from a list with room");
		if (!r.errors.empty()) {
			require_message(r.errors.front());
			require_message(r.errors.back());
		}
		// check() builds only the first error: it must be the report's.
		const Result<void> c = check(fmap, limits_for(p));
		require(c.ok() == r.ok(), "check disagrees with validate");
		if (!c.ok())
			require(c.error().message() == r.errors.front().message(),
				"check's error is not validate's first");
		// decode_and_validate() is decode + check(), in the kernel's order.
		if (const auto &e = dv[p == Profile::Extended]; e)
			require(*e == r.errnum(), "decode_and_validate disagrees with validate");
	}
}

// Decodes under one profile; returns the model if it decoded.
std::optional<Decoded> fmap_round_trip(std::span<const uint8_t> in, Profile profile)
{
	const Limits &limits = limits_for(profile);
	auto d = decode_fmap(in, limits);
	auto dv = decode_and_validate(in, limits);
	if (!d.ok()) {
		require_sane(d.error());
		require_message(d.error());
		require(!dv.ok() && dv.error().errnum == d.error().errnum,
			"decode_and_validate disagrees with a failed decode");
		return std::nullopt;
	}
	require(d->consumed <= in.size(), "consumed past the input");
	require(d->fmap.wire_size() == d->consumed, "wire_size != consumed");

	const Bytes enc = encode_fmap(d->fmap);
	require(enc.size() == d->consumed && std::equal(enc.begin(), enc.end(), in.begin()),
		"encode(decode(x)) != x[0:consumed]");
	auto again = decode_fmap(enc, limits);
	require(again.ok() && again->consumed == enc.size() && again->fmap == d->fmap,
		"decode(encode(m)) != m");

	if (dv.ok())
		require(dv->fmap == d->fmap, "decode_and_validate's model is not decode's");
	return Decoded{std::move(*d), dv.ok() ? 0 : dv.error().errnum};
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
	const auto v10 = fmap_round_trip(in, Profile::V10);
	const auto ext = fmap_round_trip(in, Profile::Extended);
	// The profiles' decoders differ in their limits only: a model both
	// decode is the same model, and is validated once.
	if (v10 && ext)
		require(v10->decoded.fmap == ext->decoded.fmap &&
				v10->decoded.consumed == ext->decoded.consumed,
			"the profiles decode the same bytes differently");
	const std::optional<int> dv[2] = {v10 ? std::optional(v10->dv_errnum) : std::nullopt,
					  ext ? std::optional(ext->dv_errnum) : std::nullopt};
	if (ext)
		validate_model(ext->decoded.fmap, dv);
	else if (v10)
		validate_model(v10->decoded.fmap, dv);
	daxdev_round_trip(in);
	return 0;
}
