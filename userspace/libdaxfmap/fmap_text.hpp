// SPDX-License-Identifier: GPL-2.0-only
// Text forms of a FileRecord: famfs-compatible YAML and JSON.
//
// YAML (famfs per-file format; keys marked * are daxfmap extensions, written
// only when they differ from what famfs would assume):
//   file:
//     path: dir/name
//     size: 25165824
//     flags: 2
//     mode: 0644
//     uid: 0
//     gid: 0
//     nextents: 1
//     file_type: reg          *  (reg | superblock | log | number)
//     fmap_version: 1         *
//     simple_ext_list:        (or striped_ext_list)
//     - devindex: 0
//       offset: 0x200000
//       length: 0x400000
//     striped_ext_list:
//     - nstrips: 4
//       chunk_size: 0x200000
//       nbytes: 0x1800000     *  (default: sum of the strip lengths)
//       simple_ext_list: [...]
//   devices:                  *
//   - {index: 0, name: /dev/dax0.0, size: 0x40000000}
// JSON: the same structure and keys, numbers as JSON integers, mode as an
// octal string ("0644").
//
// Reading (both formats):
//  - byte quantities (size, offset, length, chunk_size, nbytes, device size)
//    take parse_size() syntax: decimal, 0x hex, or 2M/4KiB suffixes; counts
//    and ids (nextents, nstrips, devindex, index, flags, uid, gid,
//    fmap_version) decimal or 0x hex; mode octal with a leading 0 ("0644",
//    also "0o644"), or decimal.  A decimal with a leading zero is refused
//    elsewhere (octal to C, decimal to YAML: ambiguous).
//  - defaults: devindex 0, flags/uid/gid 0, mode 0644, path "", file_type reg,
//    fmap_version 1, nbytes the sum of the strip lengths, a device's index
//    its position in devices:.  nextents and nstrips may be left out; if
//    given they must equal the list lengths.  size and the extent list are
//    required.
//  - unknown or repeated keys, a wrong shape, a value out of its field's
//    range (chunk_size fits u32, ...) are errors (EINVAL, ERANGE for range)
//    naming the key path ("file.simple_ext_list[2].offset"), what was
//    expected and what was found, with its line and column.  JSON input is
//    checked for JSON syntax, then read by the same reader (JSON is YAML's
//    flow syntax), so its errors carry the same paths and positions.
//  - path and device names are strings of UTF-8 (what YAML and JSON are
//    made of; other bytes could not be written back as they were).
//  - error texts quote the input with quote_input(): whatever it held,
//    they print as they are.
//  - text carries no reserved fields: they are zero after parsing, and
//    to_yaml()/to_json() drop them.
// Large fmaps: YAML is read as an event stream (about 200 MB and 15 s for a
// million extents); JSON goes through yaml-cpp's flow parser, which needs
// about 1.7 KB per extent.
#pragma once

#include <string>
#include <string_view>

#include "libdaxfmap/fmap.hpp"
#include "libdaxfmap/limits.hpp"
#include "libdaxfmap/result.hpp"

namespace daxfmap {

Result<FileRecord> parse_yaml(std::string_view text);
Result<FileRecord> parse_json(std::string_view text);
std::string to_yaml(const FileRecord &rec);
std::string to_json(const FileRecord &rec, int indent = 2);

// An upper bound on the text of any fmap `limits` accepts, YAML or JSON,
// with room for hand-written spacing and comments: the reply-size limit
// bounds the extents and strips (validate() checks it on text too), and
// the path, attributes and devices: table get a fixed allowance.  Larger
// text cannot be a valid fmap under `limits`, so readers stop there.
uint64_t max_text_bytes(const Limits &limits);

} // namespace daxfmap
