// SPDX-License-Identifier: GPL-2.0-only
// daxfmap encode / decode: text fmaps <-> GET_FMAP wire bytes.
#include <memory>
#include <ostream>
#include <string>

#include "cli/commands.hpp"
#include "cli/fmap_io.hpp"
#include "cli/options.hpp"
#include "cli/output.hpp"
#include "cli/report.hpp"

namespace daxfmap::cli {

namespace {

struct EncodeOptions {
	std::string file;
	std::string output;
	std::string profile = "v10";
	std::string format;
	bool force = false;
};

struct DecodeOptions {
	std::string file;
	std::string output = "-";
	std::string to = "yaml";
	std::string profile = "v10";
	std::string format;
};

// What write_output() does with each kind of path.
constexpr const char *kOutputHelp =
	"Output: - is stdout; a regular file (or a new\n"
	"one) is replaced atomically, never left\n"
	"truncated; a device, FIFO or socket is written\n"
	"through; a symlink is followed (the link is\n"
	"never replaced); a directory is refused";

// The first non-zero wire padding field, if any: text formats have no place
// for them, so decoding to text drops them.
std::string nonzero_reserved(const Fmap &f)
{
	if (f.reserved)
		return "header.reserved = " + hex(f.reserved);
	if (f.reserved0)
		return "header.reserved0 = " + hex(f.reserved0);
	if (f.reserved1)
		return "header.reserved1 = " + hex(f.reserved1);
	auto strip_name = [](size_t i, size_t j) {
		return "interleaved[" + std::to_string(i) + "].strips[" + std::to_string(j) + "].reserved";
	};
	if (f.is_simple()) {
		for (size_t i = 0; i < f.simple().size(); i++)
			if (f.simple()[i].reserved)
				return "extents[" + std::to_string(i) + "].reserved = " + hex(f.simple()[i].reserved);
		return {};
	}
	for (size_t i = 0; i < f.interleaved().size(); i++) {
		const auto &ie = f.interleaved()[i];
		if (ie.reserved)
			return "interleaved[" + std::to_string(i) + "].reserved = " + hex(ie.reserved);
		for (size_t j = 0; j < ie.strips.size(); j++)
			if (ie.strips[j].reserved)
				return strip_name(i, j) + " = " + hex(ie.strips[j].reserved);
	}
	return {};
}

int run_encode(Io &io, const EncodeOptions &o)
{
	const Limits &limits = profile_limits(o.profile);
	int code = kExitOk;
	auto l = load_or_report(io, "encode", o.file, input_format(o.format), limits, code);
	if (!l)
		return code;

	const ValidationReport r = verdict(*l, limits);
	if (!r.ok()) {
		io.err << "daxfmap encode: " << o.file << ": INVALID under " << limits.name
		       << ", the kernel answers " << errno_name(r.errnum()) << extended_hint(*l, limits) << "\n";
		print_issues(io.err, r, "  ");
		if (!o.force) {
			io.err << "daxfmap encode: " << o.output << " not written (--force writes it anyway)\n";
			return kExitInvalid;
		}
		io.err << "daxfmap encode: writing " << o.output << " anyway (--force)\n";
	} else if (!r.warnings.empty()) {
		print_issues(io.err, r, "daxfmap encode: ");
	}

	if (auto w = write_output(o.output, render(l->record, Format::Wire)); !w) {
		print_failure(io, "encode", w.error());
		return kExitUsage;
	}
	return kExitOk;
}

int run_decode(Io &io, const DecodeOptions &o)
{
	const Limits &limits = profile_limits(o.profile);
	int code = kExitOk;
	auto l = load_or_report(io, "decode", o.file, input_format(o.format), limits, code);
	if (!l)
		return code;

	// Decoding shows what the bytes say, valid or not; validate judges.
	const ValidationReport r = verdict(*l, limits);
	if (!r.ok())
		io.err << "daxfmap decode: note: " << o.file << " is INVALID under " << limits.name << " ("
		       << r.errors.front().message() << "); 'daxfmap validate' lists every problem\n";
	if (std::string pad = nonzero_reserved(l->record.fmap); !pad.empty())
		io.err << "daxfmap decode: warning: reserved fields are not zero and " << o.to
		       << " cannot carry them (first: " << pad << ")\n";

	const Format to = parse_format(o.to).value_or(Format::Yaml);
	if (auto w = write_output(o.output, render(l->record, to)); !w) {
		print_failure(io, "decode", w.error());
		return kExitUsage;
	}
	return kExitOk;
}

} // namespace

Verb add_encode(CLI::App &app)
{
	auto o = std::make_shared<EncodeOptions>();
	CLI::App *cmd = app.add_subcommand("encode", "Write an fmap as GET_FMAP reply bytes (the V10 wire format)");
	cmd->add_option("FILE", o->file, "Input fmap (yaml or json; wire is re-encoded);\n- reads stdin")->required();
	cmd->add_option("-o,--output", o->output, kOutputHelp)->required();
	add_profile_option(cmd, o->profile);
	add_input_format_option(cmd, o->format);
	cmd->add_flag("--force", o->force, "Write the reply even if the profile rejects\nthe fmap");
	cmd->footer(
		"Refuses (exit 1) an fmap the profile rejects unless --force.  The wire format has\n"
		"no path, attributes or device table: those stay in the text form.\n"
		"\n"
		"Examples:\n"
		"  daxfmap encode examples/fmaps/interleaved-4x2M.yaml -o reply.bin\n"
		"  daxfmap encode --profile extended big.json -o big.bin");
	return {cmd, [o](Io &io) { return run_encode(io, *o); }};
}

Verb add_decode(CLI::App &app)
{
	auto o = std::make_shared<DecodeOptions>();
	CLI::App *cmd = app.add_subcommand("decode", "Print GET_FMAP reply bytes as famfs-style YAML or as JSON");
	cmd->add_option("FILE", o->file, "Input (wire; yaml or json are converted);\n- reads stdin")->required();
	cmd->add_option("--to", o->to, "Output format: yaml or json")
		->check(CLI::IsMember({"yaml", "json"}))
		->capture_default_str();
	cmd->add_option("-o,--output", o->output, kOutputHelp)->capture_default_str();
	add_profile_option(cmd, o->profile);
	add_input_format_option(cmd, o->format);
	cmd->footer(
		"The profile bounds what is decoded at all (reply size, extent count), as the\n"
		"kernel's decode does; an fmap that decodes but breaks other rules is printed,\n"
		"with a note on stderr.  Non-zero reserved fields are reported and dropped.\n"
		"\n"
		"Examples:\n"
		"  daxfmap decode examples/fmaps/interleaved-4x2M.bin\n"
		"  daxfmap decode --to json -o reply.json reply.bin\n"
		"  daxfmap decode --profile extended big.bin");
	return {cmd, [o](Io &io) { return run_decode(io, *o); }};
}

} // namespace daxfmap::cli
