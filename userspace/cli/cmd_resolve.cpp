// SPDX-License-Identifier: GPL-2.0-only
// daxfmap resolve: file offset -> (device, device offset, length), as the
// kernel's iomap_begin computes it from the fmap: the native resolver, or a
// BPF strategy run in the kernel.
#include <algorithm>
#include <functional>
#include <cerrno>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "cli/commands.hpp"
#include "cli/fmap_io.hpp"
#include "cli/options.hpp"
#include "cli/report.hpp"
#include "cli/table.hpp"
#include "libdaxfmap/native_resolver.hpp"
#include "libdaxfmap/size_parse.hpp"
#include "libdaxfmap_bpf/resolver.hpp"

namespace daxfmap::cli {

namespace {

struct Options {
	std::string file;
	std::string offset;
	std::string length;
	std::string profile = "v10";
	std::string format;
	bool json = false;
	bool all = false;
	bool devices_from_file = false;
	bool force = false;
	std::string max_pieces = "65536";
	std::string strategy = "native";
};

using ResolveFn = std::function<Result<Resolution>(uint64_t offset, uint64_t length)>;

// The chosen strategy, loaded with this one file (file id 0).  BPF
// strategies need a device table: without --devices-from-file every device
// the fmap names is unbounded, as V10 checks no device bounds.
Result<ResolveFn> make_resolve_fn(bpf::Strategy s, const Fmap &f, std::vector<uint64_t> &sizes)
{
	if (s == bpf::Strategy::Native)
		return ResolveFn([&f, &sizes](uint64_t off, uint64_t len) -> Result<Resolution> {
			return resolve_native(f, off, len, sizes);
		});
	if (sizes.empty()) {
		uint32_t n = 0;
		auto grow = [&n](const SimpleExtent &e) { n = std::max(n, e.device + 1); };
		if (f.is_simple())
			std::for_each(f.simple().begin(), f.simple().end(), grow);
		else
			for (const auto &ie : f.interleaved())
				std::for_each(ie.strips.begin(), ie.strips.end(), grow);
		sizes.assign(n, UINT64_MAX);
	}
	const uint64_t entries = f.range_count() + 2 * f.extent_count() + 8;
	auto r = bpf::make_resolver(s, {.max_files = 1,
					.pool_entries = static_cast<uint32_t>(std::min<uint64_t>(entries, UINT32_MAX))});
	if (!r)
		return r.error();
	std::shared_ptr<bpf::Resolver> res(std::move(*r));
	if (auto d = res->set_devices(sizes); !d)
		return d.error();
	if (auto u = res->upsert(0, f); !u)
		return u.error();
	return ResolveFn([res](uint64_t off, uint64_t len) {
		return res->resolve({.file_id = 0, .offset = off, .length = len});
	});
}

// Where a file offset sits in the fmap, for display only: the extent, and
// for interleaved fmaps the strip and the chunk (counted from the start of
// the extent).  Follows the kernel's walk; nullopt where it finds nothing.
struct Location {
	size_t extent = 0;
	std::optional<uint64_t> strip;
	std::optional<uint64_t> chunk;
};

std::optional<Location> locate(const Fmap &f, uint64_t off)
{
	if (f.is_simple()) {
		for (size_t i = 0; i < f.simple().size(); i++) {
			if (off < f.simple()[i].length)
				return Location{i, std::nullopt, std::nullopt};
			off -= f.simple()[i].length;
		}
		return std::nullopt;
	}
	for (size_t i = 0; i < f.interleaved().size(); i++) {
		const auto &ie = f.interleaved()[i];
		const uint64_t ext_size = std::min(ie.nbytes, f.file_size);
		if (ext_size == 0)
			return std::nullopt;
		if (off < ext_size) {
			if (ie.chunk_size == 0 || ie.strips.empty())
				return std::nullopt;
			const uint64_t chunk = off / ie.chunk_size;
			return Location{i, chunk % ie.strips.size(), chunk};
		}
		off -= ext_size;
	}
	return std::nullopt;
}

// Why a query failed, in terms of the fmap at hand.
std::string explain(const Resolution &r, const Fmap &f, uint64_t offset)
{
	switch (r.status) {
	case DAXFMAP_E_PAST_END:
		return "offset " + hex(offset) + " is beyond the extent list";
	case DAXFMAP_E_BAD_LENGTH:
		return "the length is 0";
	case DAXFMAP_E_NO_DEVICE:
		return "the extent's device is not in the devices: list";
	case DAXFMAP_E_OUT_OF_DEVICE:
		return "the range would end past its device (see the devices: list)";
	case DAXFMAP_E_OUT_OF_EXTENT:
		return f.is_simple() ? "the range would end past its extent"
				     : "the range would end past its strip (V10 would map it anyway)";
	case DAXFMAP_E_BAD_FMAP:
		return "the interleaved extent has chunk_size 0 or no strips";
	default:
		return "the resolver failed";
	}
}

nlohmann::ordered_json piece_json(uint64_t offset, const Resolution &r, const Fmap &f)
{
	nlohmann::ordered_json j;
	j["status"] = status_name(r.status);
	j["errno"] = status_errno(r.status);
	j["offset"] = offset;
	j["device"] = r.device;
	j["device_offset"] = r.device_offset;
	j["length"] = r.length;
	if (r.ok()) {
		if (auto loc = locate(f, offset)) {
			j["extent"] = loc->extent;
			if (loc->strip)
				j["strip"] = *loc->strip;
			if (loc->chunk)
				j["chunk"] = *loc->chunk;
		}
	} else {
		j["message"] = explain(r, f, offset);
	}
	return j;
}

void add_row(Table &t, uint64_t offset, const Resolution &r, const Fmap &f)
{
	auto loc = locate(f, offset);
	auto opt = [](const std::optional<uint64_t> &v) { return v ? std::to_string(*v) : std::string("-"); };
	t.add_row({hex(offset), size_text(r.length), std::to_string(r.device), hex(r.device_offset),
		   loc ? std::to_string(loc->extent) : "-", loc ? opt(loc->strip) : "-", loc ? opt(loc->chunk) : "-"});
}

Table make_table()
{
	using A = Table::Align;
	return Table({{"FILE OFFSET", A::Left},
		      {"LENGTH", A::Left},
		      {"DEVICE", A::Right},
		      {"DEVICE OFFSET", A::Left},
		      {"EXTENT", A::Right},
		      {"STRIP", A::Right},
		      {"CHUNK", A::Right}});
}

// Device sizes by index from the record's devices: list; a listed device of
// unknown size (0) is present but unbounded.
std::vector<uint64_t> device_sizes(const FileRecord &rec)
{
	uint32_t n = 0;
	for (const auto &d : rec.devices)
		n = std::max(n, d.index + 1);
	std::vector<uint64_t> sizes(n, 0);
	for (const auto &d : rec.devices)
		sizes[d.index] = d.size ? d.size : UINT64_MAX;
	return sizes;
}

int run(Io &io, const Options &o)
{
	auto offset = parse_size(o.offset, "OFFSET");
	if (!offset) {
		print_failure(io, "resolve", offset.error());
		return kExitUsage;
	}
	// Parsed here rather than by CLI11, which takes "-5" for 2^64 - 5.
	auto max_pieces = parse_size(o.max_pieces, "--max-pieces");
	if (max_pieces && *max_pieces == 0)
		max_pieces = Error{.errnum = ERANGE, .field = "--max-pieces", .expected = "at least 1", .found = "0"};
	if (!max_pieces) {
		print_failure(io, "resolve", max_pieces.error());
		return kExitUsage;
	}
	std::optional<uint64_t> length;
	if (!o.length.empty()) {
		auto l = parse_size(o.length, "LENGTH");
		if (!l) {
			print_failure(io, "resolve", l.error());
			return kExitUsage;
		}
		length = *l;
	}

	const auto strategy = bpf::parse_strategy(o.strategy);
	if (!strategy) {
		io.err << "daxfmap resolve: --strategy: expected native, hash, flat or digest, found '"
		       << o.strategy << "'\n";
		return kExitUsage;
	}

	const Limits &limits = profile_limits(o.profile);
	int code = kExitOk;
	// With --json, an fmap that cannot be resolved gets validate --json's answer.
	nlohmann::ordered_json failure;
	auto l = load_or_report(io, "resolve", o.file, input_format(o.format), limits, code,
				o.json ? &failure : nullptr);
	if (!l) {
		if (o.json)
			io.out << json_text(failure);
		return code;
	}
	const Fmap &f = l->record.fmap;

	// The kernel never resolves an fmap it refused at open.
	const ValidationReport r = verdict(*l, limits);
	if (!r.ok()) {
		const std::string hint = extended_hint(*l, limits);
		io.err << "daxfmap resolve: " << o.file << ": INVALID under " << limits.name
		       << ", the kernel would fail the open with " << errno_name(r.errnum()) << hint << "\n";
		print_issues(io.err, r, "  ");
		if (!o.force) {
			if (o.json)
				io.out << json_text(verdict_json(*l, r, !hint.empty()));
			io.err << "daxfmap resolve: --force resolves it anyway\n";
			return kExitInvalid;
		}
	}

	std::vector<uint64_t> sizes;
	if (o.devices_from_file) {
		if (l->record.devices.empty()) {
			io.err << "daxfmap resolve: " << o.file
			       << ": --devices-from-file needs a devices: list in the fmap file, and it has none\n";
			return kExitUsage;
		}
		sizes = device_sizes(l->record);
	}

	// Reads stop at EOF and faults past it get SIGBUS: the kernel never asks.
	if (*offset >= f.file_size) {
		const std::string msg = "offset " + size_text(*offset) + " is at or past the end of the file: its size is " +
					size_text(f.file_size);
		if (o.json) {
			Resolution past{.status = DAXFMAP_E_PAST_END};
			auto j = piece_json(*offset, past, f);
			j["file_size"] = f.file_size;
			j["message"] = msg;
			io.out << json_text(j);
		}
		io.err << "daxfmap resolve: " << msg << "\n";
		return kExitInvalid;
	}
	// Default: the rest of the file (never 0: offset < file_size here).
	const uint64_t want = length.value_or(f.file_size - *offset);

	auto resolve_fn = make_resolve_fn(*strategy, f, sizes);
	if (!resolve_fn) {
		io.err << "daxfmap resolve: strategy " << o.strategy << ": " << resolve_fn.error().message() << "\n";
		return kExitUsage;
	}
	auto resolve_one = [&](uint64_t off, uint64_t len) -> std::optional<Resolution> {
		auto got = (*resolve_fn)(off, len);
		if (!got) {
			io.err << "daxfmap resolve: strategy " << o.strategy << ": " << got.error().message() << "\n";
			return std::nullopt;
		}
		return *got;
	};

	if (!o.all) {
		const auto got = resolve_one(*offset, want);
		if (!got)
			return kExitUsage;
		const Resolution &res = *got;
		if (o.json) {
			auto j = piece_json(*offset, res, f);
			j["strategy"] = o.strategy;
			io.out << json_text(j);
		} else if (res.ok()) {
			io.out << o.file << ": " << summary(f) << " (strategy " << o.strategy << ")\n";
			Table t = make_table();
			add_row(t, *offset, res, f);
			t.print(io.out);
		}
		if (!res.ok()) {
			io.err << "daxfmap resolve: " << status_name(res.status) << " ("
			       << errno_name(status_errno(res.status)) << "): " << explain(res, f, *offset) << "\n";
			return kExitInvalid;
		}
		return kExitOk;
	}

	// --all: one row per piece iomap_begin would return, until `want` is covered.
	Table t = make_table();
	nlohmann::ordered_json pieces = nlohmann::ordered_json::array();
	uint64_t pos = *offset;
	uint64_t left = want;
	Resolution failed;
	uint64_t failed_at = 0;
	uint64_t pieces_done = 0;
	while (left > 0) {
		// A huge file in small chunks has billions of pieces: stop, and say so.
		if (pieces_done == *max_pieces) {
			io.err << "daxfmap resolve: stopped after " << *max_pieces << " pieces, at offset " << hex(pos)
			       << " (--max-pieces; or give OFFSET and LENGTH for the part you want)\n";
			break;
		}
		pieces_done++;
		const auto got = resolve_one(pos, left);
		if (!got)
			return kExitUsage;
		const Resolution &res = *got;
		if (o.json)
			pieces.push_back(piece_json(pos, res, f));
		if (!res.ok() || res.length == 0) {
			failed = res.ok() ? Resolution{.status = DAXFMAP_E_LIMIT} : res;
			failed_at = pos;
			break;
		}
		if (!o.json)
			add_row(t, pos, res, f);
		const uint64_t step = std::min(res.length, left);
		left -= step;
		if (left && step > UINT64_MAX - pos)
			break; // the end of the address space; nothing further to tile
		pos += step;
	}
	if (o.json) {
		nlohmann::ordered_json j;
		j["status"] = status_name(failed.status);
		j["errno"] = status_errno(failed.status);
		j["offset"] = *offset;
		j["length"] = want;
		j["file_size"] = f.file_size;
		j["strategy"] = o.strategy;
		j["pieces"] = std::move(pieces);
		io.out << json_text(j);
	} else {
		io.out << o.file << ": " << summary(f) << " (strategy " << o.strategy << ")\n";
		t.print(io.out);
	}
	if (!failed.ok()) {
		io.err << "daxfmap resolve: at offset " << hex(failed_at) << ": " << status_name(failed.status) << " ("
		       << errno_name(status_errno(failed.status)) << "): " << explain(failed, f, failed_at) << "\n";
		return kExitInvalid;
	}
	return kExitOk;
}

} // namespace

Verb add_resolve(CLI::App &app)
{
	auto o = std::make_shared<Options>();
	CLI::App *cmd = app.add_subcommand("resolve", "Map a file offset to a device offset, as a DAX fault does");
	cmd->add_option("FILE", o->file, "fmap file (yaml, json or wire); - reads stdin")->required();
	cmd->add_option("OFFSET", o->offset, "File offset: decimal, 0x hex, or with a\nK/M/G/T suffix (4K, 2M, 1G)")
		->required();
	cmd->add_option("LENGTH", o->length,
			"Bytes wanted from OFFSET, same syntax\n(default: up to the end of the file)");
	cmd->add_flag("--all", o->all, "Print every piece of [OFFSET, OFFSET+LENGTH),\none row each");
	cmd->add_option("--max-pieces", o->max_pieces, "With --all, stop after this many pieces")
		->capture_default_str();
	cmd->add_flag("--json", o->json, "Print the answer as JSON");
	cmd->add_flag("--devices-from-file", o->devices_from_file,
		      "Check ranges against the device sizes in the\n"
		      "fmap file's devices: list (V10 checks no\n"
		      "device bounds, nor does resolve without it)");
	cmd->add_flag("--force", o->force, "Resolve even if the profile rejects the fmap");
	cmd->add_option("--strategy", o->strategy,
			"native (the kernel's algorithm, in userspace), or\n"
			"hash, flat, digest: the BPF resolvers, loaded and\n"
			"run in the kernel (BPF_PROG_TEST_RUN; needs root)")
		->capture_default_str();
	add_profile_option(cmd, o->profile);
	add_input_format_option(cmd, o->format);
	cmd->footer(
		"Prints the mapping iomap_begin returns for OFFSET: the device, the device offset\n"
		"and how many bytes it covers (at most LENGTH, never past a chunk or an extent),\n"
		"with the extent, strip and chunk it falls in.  An offset at or past the file size\n"
		"is an error (exit 1), as is any resolver status but ok.\n"
		"\n"
		"Examples:\n"
		"  daxfmap resolve examples/fmaps/interleaved-4x2M.yaml 15M\n"
		"  daxfmap resolve --json examples/fmaps/interleaved-4x2M.yaml 0x400000 4K\n"
		"  daxfmap resolve --all examples/fmaps/interleaved-4x2M.yaml 0\n"
		"  daxfmap resolve --strategy digest examples/fmaps/interleaved-4x2M.yaml 15M\n"
		"  daxfmap resolve --profile extended --devices-from-file examples/fmaps/multidev-extended.yaml 30M");
	return {cmd, [o](Io &io) { return run(io, *o); }};
}

} // namespace daxfmap::cli
