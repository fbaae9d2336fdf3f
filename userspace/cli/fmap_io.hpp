// SPDX-License-Identifier: GPL-2.0-only
// Reading and writing fmap files: YAML, JSON or GET_FMAP wire bytes.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "libdaxfmap/fmap.hpp"
#include "libdaxfmap/limits.hpp"
#include "libdaxfmap/result.hpp"
#include "libdaxfmap/wire_codec.hpp"

namespace daxfmap::cli {

enum class Format { Yaml, Json, Wire };

std::string_view format_name(Format f); // "yaml", "json", "wire"
// "yaml"/"yml", "json", "wire"/"bin"/"fmap"; nullopt otherwise.
std::optional<Format> parse_format(std::string_view name);
// By extension (.yaml .yml .json .bin .fmap), nullopt if it says nothing.
std::optional<Format> format_from_name(std::string_view path);
// Wire if the bytes hold a NUL (a header always does: its reserved bytes,
// and the high bytes of small counts), JSON if the first non-blank is '{',
// else YAML.
Format sniff_format(const Bytes &bytes);

// The most bytes read_bytes() takes under `limits`: the largest fmap the
// profile accepts, in any format (max_text_bytes()).  A larger input cannot
// be a valid fmap, and a wrong path (a disk image, /dev/zero) fails after
// reading one byte more than this, not after reading it all.
uint64_t max_input_bytes(const Limits &limits);

// Whole file ("-": stdin), at most max_input_bytes(limits) (EFBIG beyond,
// naming the cap).  Errors name the path and the system's reason.
Result<Bytes> read_bytes(const std::string &path, const Limits &limits);

struct Input {
	std::string path;
	Format format = Format::Yaml;
	Bytes bytes;
};

// Reads a file (read_bytes()) and settles its format: `forced`, else the
// extension, else sniffed.
Result<Input> read_input(const std::string &path, std::optional<Format> forced, const Limits &limits);

// A parsed fmap and where it came from.  A wire file yields a record with
// only the fmap set.
struct Loaded {
	Input input;
	FileRecord record;
	size_t wire_consumed = 0; // wire: bytes the fmap occupies (V10 ignores the rest)
};

// Parses text, or decodes wire bytes structurally under `limits` (reply size,
// nextents range, lengths: decode_fmap()).  No semantic validation.  A
// failure on wire bytes is the kernel rejecting the reply; on text, the
// input is not an fmap at all.
Result<Loaded> parse_input(Input input, const Limits &limits);

// Text or wire bytes of a record in a format (wire: the fmap alone).
std::string render(const FileRecord &rec, Format f);

} // namespace daxfmap::cli
