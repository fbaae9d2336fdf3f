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
// JSON: the same structure and keys, numbers as JSON integers.
#pragma once

#include <string>
#include <string_view>

#include "libdaxfmap/fmap.hpp"
#include "libdaxfmap/result.hpp"

namespace daxfmap {

Result<FileRecord> parse_yaml(std::string_view text);
Result<FileRecord> parse_json(std::string_view text);
std::string to_yaml(const FileRecord &rec);
std::string to_json(const FileRecord &rec, int indent = 2);

} // namespace daxfmap
