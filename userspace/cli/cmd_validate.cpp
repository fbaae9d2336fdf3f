// SPDX-License-Identifier: GPL-2.0-only
// daxfmap validate: would the kernel accept these fmaps, and if not, why.
#include <algorithm>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "cli/commands.hpp"
#include "cli/fmap_io.hpp"
#include "cli/options.hpp"
#include "cli/report.hpp"

namespace daxfmap::cli {

namespace {

struct Options {
	std::vector<std::string> files;
	std::string profile = "v10";
	std::string format;
	bool json = false;
};

// One file's outcome, in both output forms.
struct Outcome {
	int code = kExitOk;
	nlohmann::ordered_json json;
};

Outcome check_file(Io &io, const Options &o, const std::string &path)
{
	const Limits &limits = profile_limits(o.profile);
	auto in = read_input(path, input_format(o.format), limits);
	if (!in) {
		if (!o.json)
			print_failure(io, "validate", in.error());
		return {kExitUsage, unreadable_json(path, std::nullopt, in.error())};
	}

	// Wire bytes that do not decode are still a verdict (the kernel's
	// EINVAL/ERANGE); text that does not parse is not an fmap at all.
	Loaded l;
	if (in->format == Format::Wire) {
		if (auto d = decode_fmap(in->bytes, limits)) {
			l.record.fmap = std::move(d->fmap);
			l.wire_consumed = d->consumed;
		}
		l.input = std::move(*in);
	} else {
		const Format format = in->format;
		auto parsed = parse_input(std::move(*in), limits);
		if (!parsed) {
			if (!o.json)
				io.err << "daxfmap validate: " << path << ": not a valid " << format_name(format)
				       << " fmap: " << parsed.error().message() << "\n";
			return {kExitUsage, unreadable_json(path, format, parsed.error())};
		}
		l = std::move(*parsed);
	}

	const ValidationReport r = verdict(l, limits);
	const bool decoded = l.input.format != Format::Wire || l.wire_consumed > 0;
	const std::string hint = r.ok() ? "" : extended_hint(l, limits);
	if (!o.json) {
		io.out << path << ": " << (r.ok() ? "OK" : "INVALID") << " under " << limits.name << " ("
		       << format_name(l.input.format);
		if (decoded)
			io.out << "; " << summary(l.record.fmap);
		io.out << ")";
		if (!r.ok())
			io.out << ", the kernel answers " << errno_name(r.errnum()) << hint;
		io.out << "\n";
		print_issues(io.out, r, "  ");
	}
	return {r.ok() ? kExitOk : kExitInvalid, verdict_json(l, r, !hint.empty())};
}

} // namespace

Verb add_validate(CLI::App &app)
{
	auto o = std::make_shared<Options>();
	CLI::App *cmd = app.add_subcommand("validate", "Check fmaps against the kernel's rules and list every problem");
	cmd->add_option("FILE", o->files, "fmap files (yaml, json or wire); - reads stdin")->required();
	add_profile_option(cmd, o->profile);
	add_input_format_option(cmd, o->format);
	cmd->add_flag("--json", o->json, "Print the verdicts as JSON");
	cmd->footer(
		"Prints OK or INVALID per file with every error (in the order the kernel fails on\n"
		"them: the first is the errno it returns) and every warning.  Wire input is\n"
		"decoded as the kernel decodes a GET_FMAP reply, structural errors included.\n"
		"Exit status: 0 all valid, 1 some invalid, 2 some unreadable or not an fmap.\n"
		"\n"
		"Examples:\n"
		"  daxfmap validate examples/fmaps/interleaved-4x2M.yaml\n"
		"  daxfmap validate --profile extended examples/fmaps/*.yaml\n"
		"  daxfmap validate --json reply.bin");

	return {cmd, [o](Io &io) {
			int code = kExitOk;
			nlohmann::ordered_json out;
			out["profile"] = profile_limits(o->profile).name;
			out["files"] = nlohmann::ordered_json::array();
			for (const auto &f : o->files) {
				Outcome r = check_file(io, *o, f);
				code = std::max(code, r.code);
				out["files"].push_back(std::move(r.json));
			}
			out["valid"] = code == kExitOk;
			if (o->json)
				io.out << json_text(out);
			return code;
		}};
}

} // namespace daxfmap::cli
