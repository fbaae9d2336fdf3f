// SPDX-License-Identifier: GPL-2.0-only
// Options several verbs share, spelled and documented the same everywhere.
#pragma once

#include <optional>
#include <string>

#include <CLI/CLI.hpp>

#include "cli/fmap_io.hpp"
#include "libdaxfmap/limits.hpp"

namespace daxfmap::cli {

// --profile v10|extended, default v10: what the V10 kernel accepts.
void add_profile_option(CLI::App *cmd, std::string &profile);
// Its description, with the profiles' limits.
std::string profile_help();
const Limits &profile_limits(const std::string &profile);

// --format yaml|json|wire for the input; empty: by extension, else sniffed.
void add_input_format_option(CLI::App *cmd, std::string &format);
std::optional<Format> input_format(const std::string &format);

} // namespace daxfmap::cli
