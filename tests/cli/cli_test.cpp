// SPDX-License-Identifier: GPL-2.0-only
// End-to-end tests of the daxfmap binary: exit statuses, stdout and stderr.
#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <vector>

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "libdaxfmap/fmap_text.hpp"
#include "support/cli_fixture.hpp"

namespace daxfmap {
namespace {

using namespace daxfmap::testing;

const std::string kStriped = kExamples + "interleaved-4x2M.yaml";


// ---- General -----------------------------------------------------------------

TEST_F(Cli, HelpOnEveryVerbExitsZero)
{
	Outcome top = run({"--help"});
	EXPECT_EQ(top.code, 0);
	for (const char *verb : {"validate", "encode", "decode", "resolve"}) {
		EXPECT_CONTAINS(top.out, verb);
		Outcome r = run({verb, "--help"});
		EXPECT_EQ(r.code, 0) << verb;
		EXPECT_CONTAINS(r.out, "Examples:");
		EXPECT_CONTAINS(r.out, std::string("daxfmap ") + verb);
		EXPECT_CONTAINS(r.out, "--profile");
		EXPECT_EQ(r.err, "");
	}
}

TEST_F(Cli, Version)
{
	Outcome r = run({"--version"});
	EXPECT_EQ(r.code, 0);
	EXPECT_EQ(r.out.rfind("daxfmap ", 0), 0u) << r.out;
}

TEST_F(Cli, UsageErrors)
{
	Outcome r = run({"frob"});
	EXPECT_EQ(r.code, 2);
	EXPECT_CONTAINS(r.err, "unknown command 'frob'");
	EXPECT_CONTAINS(r.err, "validate, encode, decode, resolve");

	r = run({});
	EXPECT_EQ(r.code, 2);
	EXPECT_CONTAINS(r.err, "a command is required");

	r = run({"validate"});
	EXPECT_EQ(r.code, 2);
	EXPECT_CONTAINS(r.err, "FILE");

	r = run({"validate", "--profile", "v11", kStriped});
	EXPECT_EQ(r.code, 2);
	EXPECT_CONTAINS(r.err, "v11");

	r = run({"validate", "--bogus", kStriped});
	EXPECT_EQ(r.code, 2);
	EXPECT_CONTAINS(r.err, "--bogus");

	r = run({"decode", "--to", "xml", kStriped});
	EXPECT_EQ(r.code, 2);
	EXPECT_CONTAINS(r.err, "xml");

	r = run({"encode", kStriped});
	EXPECT_EQ(r.code, 2);
	EXPECT_CONTAINS(r.err, "--output");
}

// ---- validate ------------------------------------------------------------------

TEST_F(Cli, ValidateValidExamples)
{
	for (const char *f : {"simple-1ext.yaml", "simple-multi.yaml", "simple-multi.json", "interleaved-4x2M.yaml",
			      "interleaved-4x2M.bin"}) {
		for (const char *profile : {"v10", "extended"}) {
			Outcome r = run({"validate", "--profile", profile, kExamples + f});
			EXPECT_EQ(r.code, 0) << f << " " << profile << "\n" << r.out << r.err;
			EXPECT_CONTAINS(r.out, std::string(": OK under ") + profile);
		}
	}
}

TEST_F(Cli, ValidateDefaultProfileIsV10)
{
	Outcome r = run({"validate", kExamples + "multidev-extended.yaml"});
	EXPECT_EQ(r.code, 1);
	EXPECT_CONTAINS(r.out, "multidev-extended.yaml: INVALID under v10 (yaml; interleaved, 2 extents, 5 strips, size 0x2700000 (39 MiB)), the kernel answers EINVAL; --profile extended accepts it\n");
	EXPECT_CONTAINS(r.out, "error: interleaved[0].strips[1].devindex");
	EXPECT_CONTAINS(r.out, "; --profile extended accepts it");

	r = run({"validate", "--profile", "extended", kExamples + "multidev-extended.yaml"});
	EXPECT_EQ(r.code, 0) << r.out;
	EXPECT_CONTAINS(r.out, "OK under extended");
}

TEST_F(Cli, ValidateInvalidExamplesUnderEveryProfile)
{
	const struct {
		const char *file;
		const char *error;
	} cases[] = {
		{"invalid-unaligned.yaml", "error: extents[1].offset"},
		{"invalid-short.yaml", "error: sum(extents[].length)"},
		{"invalid-chunk.yaml", "error: interleaved[0].chunk_size"},
	};
	for (const auto &c : cases) {
		for (const char *profile : {"v10", "extended"}) {
			Outcome r = run({"validate", "--profile", profile, kExamples + c.file});
			EXPECT_EQ(r.code, 1) << c.file << " " << profile;
			EXPECT_CONTAINS(r.out, "INVALID");
			EXPECT_CONTAINS(r.out, c.error);
			EXPECT_CONTAINS(r.out, "(EINVAL)");
		}
	}
}

TEST_F(Cli, ValidateSeveralFilesTakesTheWorstStatus)
{
	Outcome r = run({"validate", kStriped, kExamples + "invalid-short.yaml"});
	EXPECT_EQ(r.code, 1);
	EXPECT_CONTAINS(r.out, "interleaved-4x2M.yaml: OK");
	EXPECT_CONTAINS(r.out, "invalid-short.yaml: INVALID");

	r = run({"validate", kStriped, path("missing.yaml"), kExamples + "invalid-short.yaml"});
	EXPECT_EQ(r.code, 2);
	EXPECT_CONTAINS(r.err, "missing.yaml: cannot open: No such file or directory (ENOENT)");
	EXPECT_CONTAINS(r.out, "invalid-short.yaml: INVALID");
}

TEST_F(Cli, ValidateJson)
{
	Outcome r = run({"validate", "--json", kStriped, kExamples + "invalid-unaligned.yaml", path("nope.json")});
	EXPECT_EQ(r.code, 2);
	auto j = parse(r.out);
	EXPECT_EQ(j["profile"], "v10");
	EXPECT_EQ(j["valid"], false);
	ASSERT_EQ(j["files"].size(), 3u);
	EXPECT_EQ(j["files"][0]["valid"], true);
	EXPECT_EQ(j["files"][0]["format"], "yaml");
	EXPECT_EQ(j["files"][1]["valid"], false);
	EXPECT_EQ(j["files"][1]["errno"], EINVAL);
	EXPECT_EQ(j["files"][1]["errno_name"], "EINVAL");
	EXPECT_EQ(j["files"][1]["errors"][0]["field"], "extents[1].offset");
	EXPECT_EQ(j["files"][1]["errors"][0]["found"], "0x601000");
	EXPECT_EQ(j["files"][2]["readable"], false);
	EXPECT_EQ(j["files"][2]["error"]["errno"], ENOENT);
}

TEST_F(Cli, ValidateCorruptWire)
{
	const std::string wire = slurp(kExamples + "interleaved-4x2M.bin");
	ASSERT_EQ(wire.size(), 152u);

	spit(path("short.bin"), wire.substr(0, 40)); // cut inside the interleaved header
	Outcome r = run({"validate", path("short.bin")});
	EXPECT_EQ(r.code, 1);
	EXPECT_CONTAINS(r.out, "short.bin: INVALID under v10 (wire), the kernel answers EINVAL\n");
	EXPECT_CONTAINS(r.out, "error: interleaved[0]");

	spit(path("tiny.bin"), wire.substr(0, 10));
	r = run({"validate", path("tiny.bin")});
	EXPECT_EQ(r.code, 1);
	EXPECT_CONTAINS(r.out, "(EINVAL)");

	std::string many = wire;
	many[8] = 33; // nextents
	spit(path("many.bin"), many);
	r = run({"validate", path("many.bin")});
	EXPECT_EQ(r.code, 1);
	EXPECT_CONTAINS(r.out, "the kernel answers ERANGE");

	spit(path("trailing.bin"), wire + std::string(8, '\0'));
	r = run({"validate", path("trailing.bin")});
	EXPECT_EQ(r.code, 0);
	EXPECT_CONTAINS(r.out, "warning: reply:");
	EXPECT_CONTAINS(r.out, "8 trailing bytes");

	// Sniffed without an extension: NUL bytes mean wire.
	spit(path("reply"), wire);
	r = run({"validate", path("reply")});
	EXPECT_EQ(r.code, 0);
	EXPECT_CONTAINS(r.out, "(wire;");
}

TEST_F(Cli, ValidateUnreadableAndUnparsable)
{
	Outcome r = run({"validate", dir_});
	EXPECT_EQ(r.code, 2);
	EXPECT_CONTAINS(r.err, "cannot read: Is a directory");

	spit(path("bad.yaml"), "file:\n  path: x\n  colour: red\n");
	r = run({"validate", path("bad.yaml")});
	EXPECT_EQ(r.code, 2);
	EXPECT_CONTAINS(r.err, "not a valid yaml fmap: file.colour:");
	EXPECT_CONTAINS(r.err, "line 3, column 3");

	spit(path("bad.json"), "{\"file\": {\"size\": }}");
	r = run({"validate", path("bad.json")});
	EXPECT_EQ(r.code, 2);
	EXPECT_CONTAINS(r.err, "not a valid json fmap: json:");

	// The format option overrides the extension.
	r = run({"validate", "--format", "json", kStriped});
	EXPECT_EQ(r.code, 2);
	EXPECT_CONTAINS(r.err, "not a valid json fmap");
}

TEST_F(Cli, ValidateReadsStdin)
{
	Outcome r = run({"validate", "-"}, slurp(kStriped));
	EXPECT_EQ(r.code, 0) << r.err;
	EXPECT_CONTAINS(r.out, "-: OK under v10 (yaml;");
	r = run({"validate", "-"}, slurp(kExamples + "interleaved-4x2M.bin"));
	EXPECT_EQ(r.code, 0) << r.err;
	EXPECT_CONTAINS(r.out, "(wire;");
}

TEST_F(Cli, ValidateWarnsAboutDeviceTable)
{
	std::string y = slurp(kExamples + "multidev-extended.yaml");
	y.replace(y.find("size: 512M"), 10, "size: 2M");
	spit(path("small-dev.yaml"), y);
	Outcome r = run({"validate", "--profile", "extended", path("small-dev.yaml")});
	EXPECT_EQ(r.code, 0);
	EXPECT_CONTAINS(r.out, "warning: interleaved[0].strips[2]: expected a range inside device 2 (size 0x200000)");
}

// ---- encode / decode -------------------------------------------------------------

TEST_F(Cli, EncodeDecodeRoundTrip)
{
	for (const char *f : {"simple-1ext.yaml", "simple-multi.yaml", "interleaved-4x2M.yaml", "simple-multi.json"}) {
		const std::string bin = path("out.bin");
		Outcome e = run({"encode", kExamples + f, "-o", bin});
		ASSERT_EQ(e.code, 0) << f << ": " << e.err;
		EXPECT_EQ(e.err, "");
		for (const char *to : {"yaml", "json"}) {
			Outcome d = run({"decode", "--to", to, bin});
			ASSERT_EQ(d.code, 0) << d.err;
			auto back = std::string(to) == "yaml" ? parse_yaml(d.out) : parse_json(d.out);
			ASSERT_TRUE(back.ok()) << back.error().message();
			const std::string text = slurp(kExamples + f);
			auto orig = std::string(f).ends_with(".json") ? parse_json(text) : parse_yaml(text);
			ASSERT_TRUE(orig.ok());
			// The wire carries the fmap; path and attributes stay in the text.
			EXPECT_EQ(back->fmap, orig->fmap) << f << " via " << to;
		}
	}
	// The committed wire example is what encode writes.
	Outcome e = run({"encode", kStriped, "-o", path("i.bin")});
	EXPECT_EQ(e.code, 0);
	EXPECT_EQ(slurp(path("i.bin")), slurp(kExamples + "interleaved-4x2M.bin"));
}

TEST_F(Cli, DecodeWritesFileAtomically)
{
	Outcome d = run({"decode", "--to", "json", "-o", path("x.json"), kExamples + "interleaved-4x2M.bin"});
	EXPECT_EQ(d.code, 0) << d.err;
	EXPECT_EQ(d.out, "");
	auto j = parse(slurp(path("x.json")));
	EXPECT_EQ(j["file"]["size"], 25165824);
	EXPECT_EQ(j["file"]["striped_ext_list"][0]["nstrips"], 4);
	EXPECT_EQ(j["file"]["striped_ext_list"][0]["chunk_size"], 2097152);
}

TEST_F(Cli, EncodeRefusesInvalidAndNeverTruncates)
{
	const std::string out = path("keep.bin");
	spit(out, "precious");
	Outcome r = run({"encode", kExamples + "invalid-short.yaml", "-o", out});
	EXPECT_EQ(r.code, 1);
	EXPECT_CONTAINS(r.err, "INVALID under v10");
	EXPECT_CONTAINS(r.err, "not written (--force writes it anyway)");
	EXPECT_EQ(slurp(out), "precious");

	r = run({"encode", kExamples + "multidev-extended.yaml", "-o", out});
	EXPECT_EQ(r.code, 1);
	EXPECT_CONTAINS(r.err, "; --profile extended accepts it");
	EXPECT_EQ(slurp(out), "precious");

	// Unparsable input: nothing written either.
	spit(path("junk.yaml"), "file: [");
	r = run({"encode", path("junk.yaml"), "-o", out});
	EXPECT_EQ(r.code, 2);
	EXPECT_EQ(slurp(out), "precious");

	r = run({"encode", "--profile", "extended", kExamples + "multidev-extended.yaml", "-o", out});
	EXPECT_EQ(r.code, 0) << r.err;
	EXPECT_EQ(slurp(out).size(), 32u + 2 * 24 + 5 * 24);

	r = run({"encode", "--force", kExamples + "invalid-short.yaml", "-o", out});
	EXPECT_EQ(r.code, 0);
	EXPECT_CONTAINS(r.err, "anyway (--force)");
	EXPECT_EQ(slurp(out).size(), 32u + 2 * 24);

	// No temporary file left behind.
	for (const auto &entry : std::filesystem::directory_iterator(dir_))
		EXPECT_EQ(entry.path().filename().string().find(".tmp."), std::string::npos) << entry.path();
}

TEST_F(Cli, EncodeIntoMissingDirectoryFails)
{
	Outcome r = run({"encode", kStriped, "-o", path("no/such/dir/out.bin")});
	EXPECT_EQ(r.code, 2);
	EXPECT_CONTAINS(r.err, "out.bin");
	EXPECT_CONTAINS(r.err, "(ENOENT)");
}

TEST_F(Cli, DecodeLimitsFollowTheProfile)
{
	Outcome e = run({"encode", "--profile", "extended", kExamples + "multidev-extended.yaml", "-o", path("m.bin")});
	ASSERT_EQ(e.code, 0) << e.err;
	Outcome d = run({"decode", path("m.bin")});
	EXPECT_EQ(d.code, 0);
	EXPECT_CONTAINS(d.err, "note:");
	EXPECT_CONTAINS(d.err, "INVALID under v10");
	EXPECT_CONTAINS(d.out, "striped_ext_list:");

	std::string wire = slurp(kExamples + "interleaved-4x2M.bin");
	wire[4] = 7; // ext_type
	spit(path("bad.bin"), wire);
	d = run({"decode", path("bad.bin")});
	EXPECT_EQ(d.code, 1);
	EXPECT_CONTAINS(d.err, "invalid GET_FMAP reply under --profile v10");
	EXPECT_EQ(d.out, "");
}

// ---- resolve ----------------------------------------------------------------------

// The one table row of a single resolve, split into cells.
std::vector<std::string> row(const std::string &out)
{
	std::istringstream in(out);
	std::string line;
	std::getline(in, line); // summary
	std::getline(in, line); // header
	EXPECT_EQ(line.rfind("FILE OFFSET", 0), 0u) << out;
	std::getline(in, line);
	std::vector<std::string> cells;
	std::istringstream cols(line);
	for (std::string c; cols >> c;)
		cells.push_back(c);
	return cells;
}

TEST_F(Cli, ResolveFactsVectors)
{
	const struct {
		const char *offset;
		const char *device_offset;
		const char *length;
		const char *strip;
		const char *chunk;
	} cases[] = {
		{"0", "0x4000000", "0x200000", "0", "0"},
		{"4M", "0x4c00000", "0x200000", "2", "2"},
		{"15M", "0x5500000", "0x100000", "3", "7"},
		{"0xf00000", "0x5500000", "0x100000", "3", "7"},
		{"15728640", "0x5500000", "0x100000", "3", "7"},
		{"15MiB", "0x5500000", "0x100000", "3", "7"},
	};
	for (const auto &c : cases) {
		Outcome r = run({"resolve", kStriped, c.offset});
		ASSERT_EQ(r.code, 0) << c.offset << ": " << r.err;
		auto cells = row(r.out);
		// FILE OFFSET, LENGTH (2 cells: hex and "(n MiB)"), DEVICE, DEVICE OFFSET, EXTENT, STRIP, CHUNK
		ASSERT_EQ(cells.size(), 9u) << r.out;
		EXPECT_EQ(cells[1], c.length) << c.offset;
		EXPECT_EQ(cells[4], "0");
		EXPECT_EQ(cells[5], c.device_offset) << c.offset;
		EXPECT_EQ(cells[6], "0");
		EXPECT_EQ(cells[7], c.strip) << c.offset;
		EXPECT_EQ(cells[8], c.chunk) << c.offset;
	}
}

TEST_F(Cli, ResolveJson)
{
	const struct {
		const char *offset;
		uint64_t device_offset, length, strip, chunk;
	} cases[] = {
		{"0", 0x4000000, 0x200000, 0, 0},
		{"4M", 0x4c00000, 0x200000, 2, 2},
		{"15M", 0x5500000, 0x100000, 3, 7},
	};
	for (const auto &c : cases) {
		Outcome r = run({"resolve", "--json", kStriped, c.offset});
		ASSERT_EQ(r.code, 0) << r.err;
		auto j = parse(r.out);
		EXPECT_EQ(j["status"], "ok");
		EXPECT_EQ(j["errno"], 0);
		EXPECT_EQ(j["device"], 0);
		EXPECT_EQ(j["device_offset"], c.device_offset) << c.offset;
		EXPECT_EQ(j["length"], c.length) << c.offset;
		EXPECT_EQ(j["extent"], 0);
		EXPECT_EQ(j["strip"], c.strip);
		EXPECT_EQ(j["chunk"], c.chunk);
	}
	// An explicit LENGTH bounds the answer.
	Outcome r = run({"resolve", "--json", kStriped, "15M", "4K"});
	EXPECT_EQ(parse(r.out)["length"], 4096);
	r = run({"resolve", "--json", kStriped, "15M", "0x10"});
	EXPECT_EQ(parse(r.out)["length"], 16);
}

TEST_F(Cli, ResolveSimpleExtents)
{
	Outcome r = run({"resolve", "--json", kExamples + "simple-multi.yaml", "5M"});
	ASSERT_EQ(r.code, 0) << r.err;
	auto j = parse(r.out);
	EXPECT_EQ(j["device_offset"], 0x2100000);
	EXPECT_EQ(j["length"], 0x100000);
	EXPECT_EQ(j["extent"], 1);
	EXPECT_FALSE(j.contains("strip"));

	r = run({"resolve", kExamples + "simple-multi.yaml", "5M"});
	auto cells = row(r.out);
	ASSERT_EQ(cells.size(), 9u) << r.out;
	EXPECT_EQ(cells[6], "1");
	EXPECT_EQ(cells[7], "-");
	EXPECT_EQ(cells[8], "-");
}

TEST_F(Cli, ResolveAllTilesTheFile)
{
	Outcome r = run({"resolve", "--all", kStriped, "0"});
	ASSERT_EQ(r.code, 0) << r.err;
	std::istringstream in(r.out);
	std::vector<std::string> lines;
	for (std::string l; std::getline(in, l);)
		lines.push_back(l);
	ASSERT_EQ(lines.size(), 2u + 12); // summary, header, 12 chunks of 2 MiB
	EXPECT_EQ(lines[3].rfind("0x200000 ", 0), 0u) << lines[3];
	EXPECT_CONTAINS(lines[13], "0x5600000");

	r = run({"resolve", "--all", "--json", kExamples + "multidev-extended.yaml", "22M", "6M", "--profile", "extended"});
	ASSERT_EQ(r.code, 0) << r.err;
	auto j = parse(r.out);
	ASSERT_EQ(j["pieces"].size(), 2u);
	EXPECT_EQ(j["pieces"][0]["device"], 2);
	EXPECT_EQ(j["pieces"][0]["length"], 2u << 20);
	EXPECT_EQ(j["pieces"][1]["extent"], 1);
	EXPECT_EQ(j["pieces"][1]["device"], 1);
	EXPECT_EQ(j["pieces"][1]["device_offset"], 0x3f800000);
	EXPECT_EQ(j["pieces"][1]["length"], 4u << 20);
}

TEST_F(Cli, ResolveAllStopsAtMaxPieces)
{
	Outcome r = run({"resolve", "--all", "--max-pieces", "3", kStriped, "0"});
	EXPECT_EQ(r.code, 0);
	EXPECT_CONTAINS(r.err, "stopped after 3 pieces, at offset 0x600000");
	EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 2 + 3);
	for (const char *bad : {"0", "-5", "many"}) {
		r = run({"resolve", "--all", "--max-pieces", bad, kStriped, "0"});
		EXPECT_EQ(r.code, 2) << bad;
		EXPECT_CONTAINS(r.err, "--max-pieces: expected");
	}
}

TEST_F(Cli, DecodeWarnsAboutReservedFields)
{
	std::string wire = slurp(kExamples + "interleaved-4x2M.bin");
	wire[12] = 1; // header reserved0
	spit(path("r.bin"), wire);
	Outcome d = run({"decode", path("r.bin")});
	EXPECT_EQ(d.code, 0);
	EXPECT_CONTAINS(d.err, "reserved fields are not zero and yaml cannot carry them (first: header.reserved0 = 0x1)");
	auto rec = parse_yaml(d.out);
	ASSERT_TRUE(rec.ok()) << rec.error().message();
	EXPECT_EQ(rec->fmap.reserved0, 0u);
}

TEST_F(Cli, ResolveBadOffsets)
{
	for (const char *bad : {"12Q", "-1", "99999999999999999999999", "", "0x", "1.5M", "010"}) {
		Outcome r = run({"resolve", kStriped, bad});
		EXPECT_EQ(r.code, 2) << bad;
		EXPECT_CONTAINS(r.err, "OFFSET: expected");
		EXPECT_EQ(r.out, "");
	}
	Outcome r = run({"resolve", kStriped, "0", "2X"});
	EXPECT_EQ(r.code, 2);
	EXPECT_CONTAINS(r.err, "LENGTH: expected");
	r = run({"resolve", kStriped, "-1"});
	EXPECT_CONTAINS(r.err, "(ERANGE)");
	r = run({"resolve", kStriped, "99999999999999999999999"});
	EXPECT_CONTAINS(r.err, "(ERANGE)");
}

TEST_F(Cli, ResolvePastTheEnd)
{
	Outcome r = run({"resolve", kStriped, "24M"});
	EXPECT_EQ(r.code, 1);
	EXPECT_CONTAINS(r.err, "offset 0x1800000 (24 MiB) is at or past the end of the file: its size is 0x1800000 (24 MiB)");

	r = run({"resolve", "--json", kStriped, "0xffffffffffffffff"});
	EXPECT_EQ(r.code, 1);
	auto j = parse(r.out);
	EXPECT_EQ(j["status"], "past-end");
	EXPECT_EQ(j["errno"], EIO);
	EXPECT_EQ(j["length"], 0);
	EXPECT_EQ(j["file_size"], 25165824);
}

TEST_F(Cli, ResolveResolverStatuses)
{
	Outcome r = run({"resolve", "--json", kStriped, "0", "0"});
	EXPECT_EQ(r.code, 1);
	EXPECT_EQ(parse(r.out)["status"], "bad-length");
	EXPECT_CONTAINS(r.err, "bad-length (EINVAL)");

	// A device table that is too small: the range would leave device 2.
	std::string y = slurp(kExamples + "multidev-extended.yaml");
	y.replace(y.find("size: 512M"), 10, "size: 2M");
	spit(path("small-dev.yaml"), y);
	r = run({"resolve", "--profile", "extended", "--devices-from-file", path("small-dev.yaml"), "4M"});
	EXPECT_EQ(r.code, 1);
	EXPECT_CONTAINS(r.err, "out-of-device (EIO)");
	// Without the flag, no device bounds, as in V10.
	r = run({"resolve", "--profile", "extended", path("small-dev.yaml"), "4M"});
	EXPECT_EQ(r.code, 0) << r.err;
}

TEST_F(Cli, ResolveRefusesWhatTheKernelRefuses)
{
	Outcome r = run({"resolve", kExamples + "invalid-short.yaml", "0"});
	EXPECT_EQ(r.code, 1);
	EXPECT_CONTAINS(r.err, "the kernel would fail the open with EINVAL");
	EXPECT_EQ(r.out, "");

	r = run({"resolve", "--force", kExamples + "invalid-short.yaml", "3M"});
	EXPECT_EQ(r.code, 0) << r.err;
	EXPECT_CONTAINS(r.out, "0xb00000"); // the second extent, 1 MiB in

	r = run({"resolve", "--force", "--json", kExamples + "invalid-short.yaml", "5M"});
	EXPECT_EQ(r.code, 1);
	EXPECT_EQ(parse(r.out)["status"], "past-end");

	r = run({"resolve", "--devices-from-file", kStriped, "0"});
	EXPECT_EQ(r.code, 2);
	EXPECT_CONTAINS(r.err, "has none");
}

TEST_F(Cli, ResolveMissingAndCorruptFiles)
{
	Outcome r = run({"resolve", path("absent.yaml"), "0"});
	EXPECT_EQ(r.code, 2);
	EXPECT_CONTAINS(r.err, "absent.yaml: cannot open: No such file or directory (ENOENT)");

	spit(path("cut.bin"), slurp(kExamples + "interleaved-4x2M.bin").substr(0, 100));
	r = run({"resolve", path("cut.bin"), "0"});
	EXPECT_EQ(r.code, 1);
	EXPECT_CONTAINS(r.err, "invalid GET_FMAP reply under --profile v10");
	EXPECT_EQ(r.out, "");
}

} // namespace
} // namespace daxfmap
