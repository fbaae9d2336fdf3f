// SPDX-License-Identifier: GPL-2.0-only
// Verdicts on loaded fmaps and how they are shown: text lines for people,
// JSON for programs.
#pragma once

#include <iosfwd>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "cli/fmap_io.hpp"
#include "libdaxfmap/validate.hpp"

namespace daxfmap::cli {

// "0x1800000 (24 MiB)", "0x1001 (4097)".
std::string size_text(uint64_t bytes);
// "interleaved, 1 extent, 4 strips, size 0x1800000 (24 MiB)".
std::string summary(const Fmap &f);

// Everything `validate` reports on a loaded fmap under `limits`:
//  - wire input: decode_and_validate()'s verdict (its first error is where
//    the kernel stops, structural errors included), then validate()'s full
//    list, and a warning for trailing bytes V10 ignores;
//  - text input: validate() on the model (its first rule is the reply size);
//  - both: warnings for ranges outside the record's devices: table, if any.
ValidationReport verdict(const Loaded &l, const Limits &limits);

// "; --profile extended accepts it" when the fmap fails v10 only on a
// limit that the extended profile raises; "" otherwise.
std::string extended_hint(const Loaded &l, const Limits &limits);

// "<indent>error: <message>" and "<indent>warning: <message>" lines, and a
// count of those left out.
void print_issues(std::ostream &out, const ValidationReport &r, std::string_view indent);

// Indented JSON and a newline.  Bytes that are not UTF-8 (a path is
// whatever bytes it is) are replaced rather than thrown on.
std::string json_text(const nlohmann::ordered_json &j);

nlohmann::ordered_json error_json(const Error &e);
// {"valid", "errno", "errno_name", "errors": [...], "warnings": [...], ...}
nlohmann::ordered_json report_json(const ValidationReport &r);

// validate --json's object for one file (resolve --json prints it too when
// it has no answer).  A file that cannot be read (no format yet) or text
// that is not an fmap: {"file", "format", "readable": false, "error"}.
nlohmann::ordered_json unreadable_json(const std::string &path, std::optional<Format> format, const Error &e);
// A verdict: {"file", "format", "readable": true, "summary" (if it decoded),
// report_json()'s keys, "hint" (if --profile extended accepts it)}.
nlohmann::ordered_json verdict_json(const Loaded &l, const ValidationReport &r, bool extended_accepts);

// "daxfmap VERB: <message>" on stderr.
void print_failure(Io &io, std::string_view verb, const Error &e);

// Reads and parses `path` for `verb`.  On failure prints why and sets `code`:
// kExitUsage for unreadable files and text that is not an fmap,
// kExitInvalid for wire bytes the kernel would reject; and, if `failure` is
// given, sets it to validate --json's object for the file.
std::optional<Loaded> load_or_report(Io &io, std::string_view verb, const std::string &path,
				     std::optional<Format> forced, const Limits &limits, int &code,
				     nlohmann::ordered_json *failure = nullptr);

} // namespace daxfmap::cli
