// SPDX-License-Identifier: GPL-2.0-only
#include "cli/options.hpp"

#include "libdaxfmap/fmap.hpp"

namespace daxfmap::cli {

std::string profile_help()
{
	// From the limits themselves, so that the help cannot drift from them.
	const Limits &v = limits_for(Profile::V10);
	const Limits &x = limits_for(Profile::Extended);
	return "Rules: v10 = what the V10 kernel accepts\n(device 0, " + std::to_string(v.max_extents) +
	       " extents, " + std::to_string(v.max_strips) + " strips, " + format_size(v.max_reply_bytes) +
	       " reply);\nextended = " + std::to_string(x.max_devices) + " devices, " +
	       std::to_string(x.max_extents) + " extents,\n" + std::to_string(x.max_strips) + " strips, " +
	       format_size(x.max_reply_bytes) + " reply, and the checks\nV10 lacks (overflow, short strips)";
}

void add_profile_option(CLI::App *cmd, std::string &profile)
{
	cmd->add_option("--profile", profile, profile_help())
		->check(CLI::IsMember({"v10", "extended"}))
		->capture_default_str();
}

const Limits &profile_limits(const std::string &profile)
{
	// The option's validator admits only known names.
	return limits_for(parse_profile(profile).value_or(Profile::V10));
}

void add_input_format_option(CLI::App *cmd, std::string &format)
{
	cmd->add_option("--format", format,
			"Input format (default: by extension .yaml .yml\n"
			".json .bin .fmap, else sniffed from the bytes)")
		->check(CLI::IsMember({"yaml", "yml", "json", "wire", "bin", "fmap"}));
}

std::optional<Format> input_format(const std::string &format)
{
	return format.empty() ? std::nullopt : parse_format(format);
}

} // namespace daxfmap::cli
