// SPDX-License-Identifier: GPL-2.0-only
// libFuzzer target: GET_DAXDEV replies.  The input is tried as a reply as it
// is, then cut or zero-padded to the reply size (so that most inputs reach
// the name checks), and its bytes are also used as a name to encode.
// Aborts when a decoded reply does not re-encode to the same bytes, or an
// encoded one does not decode to the same fields.
#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <span>
#include <string>

#include "libdaxfmap/wire_codec.hpp"

namespace {

using namespace daxfmap;

constexpr size_t kReply = sizeof(struct fuse_dax_daxdev_out);

void require(bool ok, const char *what)
{
	if (!ok) {
		std::fprintf(stderr, "daxdev_decode_fuzz: invariant broken: %s\n", what);
		std::abort();
	}
}

void decode_round_trip(std::span<const uint8_t> in)
{
	auto d = decode_daxdev(in);
	if (!d.ok()) {
		require(d.error().errnum == EINVAL && !d.error().field.empty(), "bad decode error");
		return;
	}
	require(in.size() == kReply, "decoded a reply of the wrong size");
	require(d->name.size() < FUSE_DAX_DEVNAME_MAX, "name too long");
	require(d->name.find('\0') == std::string::npos, "NUL inside a decoded name");
	auto enc = encode_daxdev(*d);
	require(enc.ok() && std::equal(enc->begin(), enc->end(), in.begin(), in.end()),
		"encode(decode(x)) != x");
}

void encode_round_trip(std::span<const uint8_t> in)
{
	DaxdevReply r;
	if (in.size() >= 2)
		r.index = static_cast<uint16_t>(in[0] | in[1] << 8);
	if (in.size() >= 3)
		r.reserved4 = in[2];
	r.name.assign(in.begin() + std::min<size_t>(in.size(), 3), in.end());
	auto enc = encode_daxdev(r);
	if (!enc.ok()) {
		const bool too_long = r.name.size() >= FUSE_DAX_DEVNAME_MAX;
		const bool has_nul = r.name.find('\0') != std::string::npos;
		require(enc.error().errnum == (too_long ? ENAMETOOLONG : EINVAL), "bad encode errno");
		require(too_long || has_nul, "refused a good name");
		return;
	}
	require(enc->size() == kReply, "encoded size");
	auto d = decode_daxdev(*enc);
	require(d.ok() && *d == r, "decode(encode(r)) != r");
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const std::span<const uint8_t> in(data, size);
	decode_round_trip(in);
	if (size != kReply) {
		Bytes fixed(kReply, 0);
		std::copy_n(data, std::min(size, kReply), fixed.begin());
		decode_round_trip(fixed);
	}
	encode_round_trip(in);
	return 0;
}
