// SPDX-License-Identifier: GPL-2.0-only
// What the YAML and JSON forms share beyond the reader (fmap_yaml.cpp).
#include "libdaxfmap/fmap_text.hpp"

namespace daxfmap {

namespace {

// Text bytes per byte of the GET_FMAP reply.  to_json() of the largest v10
// fmaps, every field at its maximum, takes 6.3 (indented JSON of one-strip
// interleaved extents), to_yaml() 4; 10 leaves room for what people write.
constexpr uint64_t kTextPerReplyByte = 10;
// What the reply does not carry: path (PATH_MAX, escaped up to 6 bytes a
// byte in JSON) and attributes; and per device a name of up to 255 bytes.
constexpr uint64_t kRecordAllowance = uint64_t{64} << 10;
constexpr uint64_t kDeviceAllowance = uint64_t{2} << 10;

} // namespace

uint64_t max_text_bytes(const Limits &limits)
{
	return kTextPerReplyByte * limits.max_reply_bytes + kRecordAllowance +
	       kDeviceAllowance * limits.max_devices;
}

} // namespace daxfmap
