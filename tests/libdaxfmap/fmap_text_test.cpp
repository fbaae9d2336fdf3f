// SPDX-License-Identifier: GPL-2.0-only
// famfs-compatible YAML and JSON: what famfs writes parses, models round-trip,
// and every malformed input gets an error naming where and what.
#include <cerrno>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "libdaxfmap/fmap_text.hpp"
#include "libdaxfmap/fmap_gen.hpp"
#include "libdaxfmap/limits.hpp"

namespace daxfmap {
namespace {

constexpr uint64_t MiB = 1ull << 20;

FileRecord simple_record()
{
	FileRecord r;
	r.path = "dir/file";
	r.flags = 2;
	r.mode = 0640;
	r.uid = 1000;
	r.gid = 100;
	r.fmap.file_size = 5 * MiB + 17;
	r.fmap.extents = SimpleExtents{{.device = 0, .offset = 32 * MiB, .length = 4 * MiB},
				       {.device = 0, .offset = 2 * MiB, .length = 2 * MiB}};
	return r;
}

// The FACTS.md vector: 4 strips, 2 MiB chunks, 24 MiB.
FileRecord interleaved_record()
{
	FileRecord r;
	r.path = "striped";
	r.fmap.file_size = 24 * MiB;
	InterleavedExtent ie{.chunk_size = 2 * MiB, .nbytes = 24 * MiB};
	for (uint64_t s = 0; s < 4; s++)
		ie.strips.push_back({.device = 0, .offset = 64 * MiB + s * 6 * MiB, .length = 6 * MiB});
	r.fmap.extents = InterleavedExtents{ie};
	return r;
}

FileRecord yaml_round_trip(const FileRecord &r)
{
	auto back = parse_yaml(to_yaml(r));
	EXPECT_TRUE(back.ok()) << back.error().message() << "\n" << to_yaml(r);
	return back.ok() ? *back : FileRecord{};
}

FileRecord json_round_trip(const FileRecord &r, int indent = 2)
{
	auto back = parse_json(to_json(r, indent));
	EXPECT_TRUE(back.ok()) << back.error().message() << "\n" << to_json(r, indent);
	return back.ok() ? *back : FileRecord{};
}

Error yaml_error(const std::string &text)
{
	auto r = parse_yaml(text);
	EXPECT_FALSE(r.ok()) << "parsed:\n" << text;
	return r.ok() ? Error{} : r.error();
}

Error json_error(const std::string &text)
{
	auto r = parse_json(text);
	EXPECT_FALSE(r.ok()) << "parsed:\n" << text;
	return r.ok() ? Error{} : r.error();
}

// A famfs file section with `list` spliced in after nextents.
std::string famfs_yaml(const std::string &nextents_and_list, const std::string &extra = "")
{
	return "file:\n"
	       "  path: f\n"
	       "  size: 2097152\n"
	       "  flags: 2\n"
	       "  mode: 0644\n"
	       "  uid: 0\n"
	       "  gid: 0\n" +
	       extra + nextents_and_list;
}

const std::string kOneExtent = "  nextents: 1\n"
			       "  simple_ext_list:\n"
			       "  - devindex: 0\n"
			       "    offset: 0x200000\n"
			       "    length: 0x200000\n";

// ---- famfs compatibility ----------------------------------------------------

TEST(FmapYaml, ParsesFamfsSimpleOutput)
{
	// As famfs's libyaml emitter writes a file: explicit document markers,
	// indentless sequences, mode in octal, offsets and lengths in hex.
	const char *famfs = "---\n"
			    "file:\n"
			    "  path: test/file1\n"
			    "  size: 1048576\n"
			    "  flags: 2\n"
			    "  mode: 0644\n"
			    "  uid: 1000\n"
			    "  gid: 1000\n"
			    "  nextents: 2\n"
			    "  simple_ext_list:\n"
			    "  - devindex: 0\n"
			    "    offset: 0x3c00000\n"
			    "    length: 0x200000\n"
			    "  - devindex: 0\n"
			    "    offset: 0x4000000\n"
			    "    length: 0x200000\n"
			    "...\n";
	auto r = parse_yaml(famfs);
	ASSERT_TRUE(r.ok()) << r.error().message();
	FileRecord want;
	want.path = "test/file1";
	want.flags = 2;
	want.mode = 0644;
	want.uid = 1000;
	want.gid = 1000;
	want.fmap.file_size = 1048576;
	want.fmap.extents = SimpleExtents{{.device = 0, .offset = 0x3c00000, .length = 0x200000},
					  {.device = 0, .offset = 0x4000000, .length = 0x200000}};
	EXPECT_EQ(*r, want);
}

TEST(FmapYaml, ParsesFamfsStripedOutput)
{
	const char *famfs = "---\n"
			    "file:\n"
			    "  path: striped\n"
			    "  size: 25165824\n"
			    "  flags: 2\n"
			    "  mode: 0644\n"
			    "  uid: 0\n"
			    "  gid: 0\n"
			    "  nextents: 1\n"
			    "  striped_ext_list:\n"
			    "  - nstrips: 4\n"
			    "    chunk_size: 0x200000\n"
			    "    simple_ext_list:\n"
			    "    - devindex: 0\n"
			    "      offset: 0x4000000\n"
			    "      length: 0x600000\n"
			    "    - devindex: 0\n"
			    "      offset: 0x4600000\n"
			    "      length: 0x600000\n"
			    "    - devindex: 0\n"
			    "      offset: 0x4c00000\n"
			    "      length: 0x600000\n"
			    "    - devindex: 0\n"
			    "      offset: 0x5200000\n"
			    "      length: 0x600000\n"
			    "...\n";
	auto r = parse_yaml(famfs);
	ASSERT_TRUE(r.ok()) << r.error().message();
	FileRecord want = interleaved_record();
	want.flags = 2;
	want.mode = 0644;
	EXPECT_EQ(*r, want); // nbytes defaults to the strips' total
}

TEST(FmapYaml, OlderFamfsOutputWithoutDevindex)
{
	auto r = parse_yaml("file:\n  path: a\n  size: 4096\n  flags: 0\n  mode: 0755\n  uid: 0\n  gid: 0\n"
			    "  nextents: 1\n  simple_ext_list:\n  - offset: 0x200000\n    length: 0x200000\n");
	ASSERT_TRUE(r.ok()) << r.error().message();
	EXPECT_EQ(r->mode, 0755u);
	EXPECT_EQ(r->fmap.simple().at(0), (SimpleExtent{.device = 0, .offset = 2 * MiB, .length = 2 * MiB}));
}

TEST(FmapYaml, WritesFamfsLayoutWithoutExtensions)
{
	const std::string y = to_yaml(interleaved_record());
	EXPECT_EQ(y, "---\n"
		     "file:\n"
		     "  path: striped\n"
		     "  size: 25165824\n"
		     "  flags: 0\n"
		     "  mode: 0644\n"
		     "  uid: 0\n"
		     "  gid: 0\n"
		     "  nextents: 1\n"
		     "  striped_ext_list:\n"
		     "  - nstrips: 4\n"
		     "    chunk_size: 0x200000\n"
		     "    simple_ext_list:\n"
		     "    - devindex: 0\n"
		     "      offset: 0x4000000\n"
		     "      length: 0x600000\n"
		     "    - devindex: 0\n"
		     "      offset: 0x4600000\n"
		     "      length: 0x600000\n"
		     "    - devindex: 0\n"
		     "      offset: 0x4c00000\n"
		     "      length: 0x600000\n"
		     "    - devindex: 0\n"
		     "      offset: 0x5200000\n"
		     "      length: 0x600000\n"
		     "...\n");
	for (const char *ext : {"file_type", "fmap_version", "nbytes", "devices"})
		EXPECT_EQ(y.find(ext), std::string::npos) << ext;
}

TEST(FmapYaml, WritesExtensionsOnlyWhenNotDefault)
{
	FileRecord r = interleaved_record();
	r.fmap.file_type = FUSE_DAX_FILE_LOG;
	r.fmap.version = 2;
	r.fmap.interleaved()[0].nbytes = 20 * MiB;
	r.devices = {{.index = 0, .name = "/dev/dax0.0", .size = 1ull << 30}};
	const std::string y = to_yaml(r);
	EXPECT_NE(y.find("  file_type: log\n"), std::string::npos) << y;
	EXPECT_NE(y.find("  fmap_version: 2\n"), std::string::npos) << y;
	EXPECT_NE(y.find("    nbytes: 0x1400000\n"), std::string::npos) << y;
	EXPECT_NE(y.find("devices:\n- {index: 0, name: /dev/dax0.0, size: 0x40000000}\n"), std::string::npos) << y;
	EXPECT_EQ(yaml_round_trip(r), r);
}

// ---- Round trips ------------------------------------------------------------

TEST(FmapText, RoundTripsSimpleAndInterleaved)
{
	for (const FileRecord &r : {simple_record(), interleaved_record()}) {
		EXPECT_EQ(yaml_round_trip(r), r);
		EXPECT_EQ(json_round_trip(r), r);
		EXPECT_EQ(json_round_trip(r, -1), r); // compact JSON too
	}
}

TEST(FmapText, RoundTripsU64Extremes)
{
	FileRecord r;
	r.flags = UINT64_MAX;
	r.mode = UINT32_MAX;
	r.uid = UINT32_MAX;
	r.gid = UINT32_MAX;
	r.fmap.file_type = 255;
	r.fmap.version = UINT16_MAX;
	r.fmap.file_size = UINT64_MAX;
	r.fmap.extents = SimpleExtents{{.device = UINT32_MAX, .offset = UINT64_MAX, .length = UINT64_MAX}};
	r.devices = {{.index = UINT32_MAX, .name = "x", .size = UINT64_MAX}};
	EXPECT_EQ(yaml_round_trip(r), r);
	EXPECT_EQ(json_round_trip(r), r);

	FileRecord i = interleaved_record();
	i.fmap.file_size = UINT64_MAX;
	i.fmap.interleaved()[0].chunk_size = UINT32_MAX;
	i.fmap.interleaved()[0].nbytes = UINT64_MAX;
	i.fmap.interleaved()[0].strips[0].length = UINT64_MAX; // strip total wraps: nbytes written out
	EXPECT_EQ(yaml_round_trip(i), i);
	EXPECT_EQ(json_round_trip(i), i);
}

TEST(FmapText, RoundTripsEmptyListsAndZeroes)
{
	FileRecord r;
	EXPECT_EQ(yaml_round_trip(r), r);
	EXPECT_EQ(json_round_trip(r), r);
	r.fmap.extents = InterleavedExtents{};
	EXPECT_EQ(yaml_round_trip(r), r);
	EXPECT_EQ(json_round_trip(r), r);
	r.fmap.extents = InterleavedExtents{{.chunk_size = 0, .nbytes = 0, .strips = {}}};
	EXPECT_EQ(yaml_round_trip(r), r);
	EXPECT_EQ(json_round_trip(r), r);
}

TEST(FmapText, RoundTripsAwkwardStrings)
{
	for (const char *s : {"", "true", "no", "null", "~", "0644", "-1", "a: b", "#x", "x #y", "[a]", "{b}",
			      "a,b", "quote\"d", "back\\slash", "tab\there", "new\nline", " lead", "trail ",
			      "ünïcødé/файл", "- dash", "? q", "@at", "`tick", "%pct", "*star", "&amp", "!bang",
			      "/dev/dax2?.0", "a?b", "a:b", "a:", "x#y"}) {
		FileRecord r = simple_record();
		r.path = s;
		r.devices = {{.index = 0, .name = s, .size = 0}, {.index = 1, .name = "/dev/dax1.0", .size = 0}};
		EXPECT_EQ(yaml_round_trip(r), r) << "path: " << s << "\n" << to_yaml(r);
		EXPECT_EQ(json_round_trip(r), r) << "path: " << s;
	}
}

TEST(FmapText, RoundTripsLargeFmaps)
{
	FileRecord r;
	SimpleExtents list;
	for (uint64_t i = 0; i < 20000; i++)
		list.push_back({.device = static_cast<uint32_t>(i % 24), .offset = i * 4 * MiB, .length = 2 * MiB});
	r.fmap.file_size = 20000 * 2 * MiB;
	r.fmap.extents = std::move(list);
	EXPECT_EQ(yaml_round_trip(r), r);
	EXPECT_EQ(json_round_trip(r), r);
}

TEST(FmapText, RoundTripsRandomFmaps)
{
	for (uint64_t seed = 1; seed <= 200; seed++) {
		FileRecord r;
		r.path = "f" + std::to_string(seed);
		r.fmap = gen::random_fmap(seed, {.max_extents = 40, .max_strips = 12});
		for (uint32_t d = 0; d < 4; d++)
			r.devices.push_back({.index = d, .name = "/dev/dax" + std::to_string(d) + ".0", .size = seed << 30});
		ASSERT_EQ(yaml_round_trip(r), r) << "seed " << seed;
		ASSERT_EQ(json_round_trip(r), r) << "seed " << seed;
	}
}

TEST(FmapText, ReservedFieldsAreNotCarried)
{
	FileRecord r = interleaved_record();
	r.fmap.reserved = 1;
	r.fmap.reserved0 = 2;
	r.fmap.reserved1 = 3;
	r.fmap.interleaved()[0].reserved = 4;
	r.fmap.interleaved()[0].strips[1].reserved = 5;
	EXPECT_EQ(yaml_round_trip(r), interleaved_record());
	EXPECT_EQ(json_round_trip(r), interleaved_record());
}

// ---- Reading: the accepted spellings ---------------------------------------

TEST(FmapYaml, AcceptsSizeSuffixesAndFlowStyle)
{
	auto r = parse_yaml("file: {path: p, size: 3M, nextents: 1,\n"
			    "  striped_ext_list: [{nstrips: 2, chunk_size: 2MiB, nbytes: 4m,\n"
			    "    simple_ext_list: [{offset: 1G, length: 2M}, {devindex: 0x1, offset: 0, length: 2097152}]}]}\n");
	ASSERT_TRUE(r.ok()) << r.error().message();
	const auto &ie = r->fmap.interleaved().at(0);
	EXPECT_EQ(r->fmap.file_size, 3 * MiB);
	EXPECT_EQ(ie.chunk_size, 2 * MiB);
	EXPECT_EQ(ie.nbytes, 4 * MiB);
	EXPECT_EQ(ie.strips.at(0).offset, 1ull << 30);
	EXPECT_EQ(ie.strips.at(1).device, 1u);
	EXPECT_EQ(r->mode, 0644u); // defaults for what famfs always writes
	EXPECT_EQ(r->uid, 0u);
}

TEST(FmapYaml, NextentsIsOptionalAndModeSpellings)
{
	for (auto [text, want] : {std::pair{"0644", 0644u}, {"0o755", 0755u}, {"420", 420u}, {"0", 0u}, {"0x1ff", 0777u}}) {
		auto r = parse_yaml(std::string("file:\n  size: 0\n  mode: ") + text + "\n  simple_ext_list: []\n");
		ASSERT_TRUE(r.ok()) << text << ": " << r.error().message();
		EXPECT_EQ(r->mode, want) << text;
	}
}

TEST(FmapYaml, FileTypeNamesAndNumbers)
{
	for (auto [text, want] : {std::pair{"reg", 0}, {"superblock", 1}, {"LOG", 2}, {"7", 7}}) {
		auto r = parse_yaml(famfs_yaml(kOneExtent, std::string("  file_type: ") + text + "\n"));
		ASSERT_TRUE(r.ok()) << r.error().message();
		EXPECT_EQ(r->fmap.file_type, want);
	}
	Error e = yaml_error(famfs_yaml(kOneExtent, "  file_type: fifo\n"));
	EXPECT_EQ(e.field, "file.file_type");
	EXPECT_NE(e.expected.find("reg, superblock, log"), std::string::npos);
}

TEST(FmapYaml, DevicesDefaultIndexAndOptionalFields)
{
	auto r = parse_yaml(famfs_yaml(kOneExtent) + "devices:\n- {name: /dev/dax0.0}\n- {size: 1G}\n");
	ASSERT_TRUE(r.ok()) << r.error().message();
	ASSERT_EQ(r->devices.size(), 2u);
	EXPECT_EQ(r->devices[0], (Device{.index = 0, .name = "/dev/dax0.0", .size = 0}));
	EXPECT_EQ(r->devices[1], (Device{.index = 1, .name = "", .size = 1ull << 30}));
}

// ---- Reading: errors --------------------------------------------------------

TEST(FmapYaml, UnknownKeyNamesKeyAndPosition)
{
	Error e = yaml_error(famfs_yaml(kOneExtent, "  colour: blue\n"));
	EXPECT_EQ(e.errnum, EINVAL);
	EXPECT_EQ(e.field, "file.colour");
	EXPECT_NE(e.found.find("unknown key \"colour\" at line 8, column 3"), std::string::npos) << e.message();
	EXPECT_NE(e.expected.find("simple_ext_list"), std::string::npos);

	e = yaml_error(famfs_yaml("  nextents: 1\n  simple_ext_list:\n  - offset: 0\n    length: 0\n    dev: 1\n"));
	EXPECT_EQ(e.field, "file.simple_ext_list[0].dev");
	EXPECT_NE(e.found.find("line 12, column 5"), std::string::npos) << e.message();

	e = yaml_error(famfs_yaml(kOneExtent) + "extra: 1\n");
	EXPECT_EQ(e.field, "extra");
}

// Found by yaml_fmap_fuzz: an unknown key "" made an error with no field.
TEST(FmapYaml, AnEmptyKeyIsNamedByTheMappingItIsIn)
{
	Error e = yaml_error("\"\": 1\n");
	EXPECT_EQ(e.field, "top level");
	EXPECT_NE(e.found.find("unknown key \"\" at line 1, column 1"), std::string::npos) << e.message();
	e = yaml_error("file: {\"\": 1}\n");
	EXPECT_EQ(e.field, "file");
	e = json_error("{\"file\": {\"size\": 0, \"simple_ext_list\": [{\"\": 0}]}}");
	EXPECT_EQ(e.field, "file.simple_ext_list[0]");
}

// Found by yaml_fmap_fuzz: a path that was not UTF-8 was read as it was,
// and to_yaml() wrote U+FFFD in its place.
TEST(FmapYaml, StringsMustBeUtf8)
{
	Error e = yaml_error("file:\n  path: a\xa6\xff" "b\n  size: 0\n  simple_ext_list: []\n");
	EXPECT_EQ(e.field, "file.path");
	EXPECT_EQ(e.errnum, EINVAL);
	EXPECT_EQ(e.expected, "a UTF-8 string");
	EXPECT_NE(e.found.find("\"a\\xa6\\xffb\" at line 2"), std::string::npos) << e.message();
	e = yaml_error("file: {size: 0, simple_ext_list: []}\ndevices: [{name: \"\xc0\x80\"}]\n");
	EXPECT_EQ(e.field, "devices[0].name");
	auto ok = parse_yaml("file: {path: caf\xc3\xa9, size: 0, simple_ext_list: []}\n");
	ASSERT_TRUE(ok.ok()) << ok.error().message();
	EXPECT_EQ(ok->path, "caf\xc3\xa9");
}

TEST(FmapYaml, NextentsMustMatchTheList)
{
	Error e = yaml_error(famfs_yaml("  nextents: 2\n  simple_ext_list:\n  - offset: 0\n    length: 0\n"));
	EXPECT_EQ(e.errnum, EINVAL);
	EXPECT_EQ(e.field, "file.nextents");
	EXPECT_EQ(e.expected, "the number of entries in simple_ext_list (1)");
	EXPECT_EQ(e.found, "\"2\" at line 8, column 13");

	e = yaml_error(famfs_yaml("  nextents: 1\n  striped_ext_list:\n  - nstrips: 3\n    chunk_size: 0x200000\n"
				  "    simple_ext_list:\n    - {offset: 0, length: 0x200000}\n"));
	EXPECT_EQ(e.field, "file.striped_ext_list[0].nstrips");
	EXPECT_EQ(e.expected, "the number of entries in simple_ext_list (1)");
}

TEST(FmapYaml, BadNumbersNamePathAndPosition)
{
	struct Case {
		const char *value;
		int errnum;
	} cases[] = {{"0x20000z", EINVAL}, {"-2097152", ERANGE}, {"18446744073709551616", ERANGE},
		     {"0x10000000000000000", ERANGE}, {"2Q", EINVAL}, {"1.5", EINVAL}, {"", EINVAL},
		     {"[1]", EINVAL}, {"017", EINVAL}, {"16E", ERANGE}};
	for (const auto &c : cases) {
		Error e = yaml_error(famfs_yaml(std::string("  nextents: 1\n  simple_ext_list:\n  - devindex: 0\n"
							    "    offset: ") + c.value + "\n    length: 0x200000\n"));
		EXPECT_EQ(e.errnum, c.errnum) << c.value << ": " << e.message();
		EXPECT_EQ(e.field, "file.simple_ext_list[0].offset") << c.value;
		EXPECT_NE(e.found.find("line 11, column"), std::string::npos) << e.message();
	}
}

TEST(FmapYaml, CountsRejectSuffixesAndRange)
{
	Error e = yaml_error(famfs_yaml("  nextents: 1K\n  simple_ext_list: []\n"));
	EXPECT_EQ(e.field, "file.nextents");
	EXPECT_EQ(e.errnum, EINVAL);

	e = yaml_error(famfs_yaml("  nextents: 1\n  simple_ext_list:\n  - {devindex: 4294967296, offset: 0, length: 0}\n"));
	EXPECT_EQ(e.field, "file.simple_ext_list[0].devindex");
	EXPECT_EQ(e.errnum, ERANGE);

	e = yaml_error(famfs_yaml(kOneExtent, "  uid: 0\n"));
	EXPECT_EQ(e.field, "file.uid"); // given twice
	EXPECT_NE(e.found.find("a second \"uid\" at line 8"), std::string::npos) << e.message();

	e = yaml_error("file:\n  size: 0\n  mode: 0844\n  simple_ext_list: []\n");
	EXPECT_EQ(e.field, "file.mode");
}

TEST(FmapYaml, ChunkSizeMustFitU32)
{
	Error e = yaml_error(famfs_yaml("  nextents: 1\n  striped_ext_list:\n  - nstrips: 1\n    chunk_size: 4G\n"
					"    simple_ext_list: [{offset: 0, length: 4G}]\n"));
	EXPECT_EQ(e.errnum, ERANGE);
	EXPECT_EQ(e.field, "file.striped_ext_list[0].chunk_size");
	EXPECT_NE(e.expected.find("0xffffffff"), std::string::npos) << e.message();
}

TEST(FmapYaml, StripTotalOverflowNeedsExplicitNbytes)
{
	Error e = yaml_error(famfs_yaml("  nextents: 1\n  striped_ext_list:\n  - chunk_size: 2M\n"
					"    simple_ext_list: [{offset: 0, length: 16E}, {offset: 0, length: 0xffffffffffffffff}]\n"));
	// 16E itself is out of range: the first error wins.
	EXPECT_EQ(e.field, "file.striped_ext_list[0].simple_ext_list[0].length");
	e = yaml_error(famfs_yaml("  nextents: 1\n  striped_ext_list:\n  - chunk_size: 2M\n"
				  "    simple_ext_list: [{offset: 0, length: 8E}, {offset: 0, length: 8E}]\n"));
	EXPECT_EQ(e.errnum, ERANGE);
	EXPECT_EQ(e.field, "file.striped_ext_list[0].nbytes");
}

TEST(FmapYaml, StructureErrors)
{
	Error e = yaml_error(famfs_yaml("  nextents: 0\n"));
	EXPECT_EQ(e.field, "file.simple_ext_list");
	EXPECT_NE(e.expected.find("simple_ext_list or striped_ext_list"), std::string::npos);

	e = yaml_error(famfs_yaml(kOneExtent + "  striped_ext_list: []\n"));
	EXPECT_EQ(e.field, "file.striped_ext_list");
	EXPECT_NE(e.expected.find("not both"), std::string::npos);

	e = yaml_error("file:\n  path: x\n  simple_ext_list: []\n");
	EXPECT_EQ(e.field, "file.size");
	EXPECT_NE(e.expected.find("required"), std::string::npos);

	e = yaml_error(famfs_yaml("  nextents: 1\n  simple_ext_list:\n  - offset: 0\n"));
	EXPECT_EQ(e.field, "file.simple_ext_list[0].length");

	e = yaml_error(famfs_yaml("  simple_ext_list: 5\n"));
	EXPECT_EQ(e.field, "file.simple_ext_list");
	EXPECT_NE(e.found.find("\"5\""), std::string::npos);

	e = yaml_error("");
	EXPECT_EQ(e.field, "top level");
	EXPECT_NE(e.expected.find("a mapping"), std::string::npos);

	e = yaml_error("- a\n- b\n");
	EXPECT_EQ(e.field, "top level");
	EXPECT_NE(e.found.find("a sequence at line 1, column 1"), std::string::npos) << e.message();

	e = yaml_error("devices: []\n");
	EXPECT_EQ(e.field, "file");

	e = yaml_error(famfs_yaml(kOneExtent) + "devices:\n- {index: 1}\n- {index: 1}\n");
	EXPECT_EQ(e.field, "devices[1].index");
}

TEST(FmapYaml, SyntaxErrorHasPosition)
{
	Error e = yaml_error("file: {path: x,\n  size: 1\n");
	EXPECT_EQ(e.errnum, EINVAL);
	EXPECT_EQ(e.field, "yaml");
	EXPECT_NE(e.found.find("at line 3, column 1"), std::string::npos) << e.message();

	// A problem the reader meets before the syntax error is the one reported.
	e = yaml_error("file:\n  path: [unclosed\n  size: 1\n");
	EXPECT_EQ(e.field, "file.path");
	EXPECT_EQ(e.found, "a sequence at line 2, column 9");

	e = yaml_error(famfs_yaml(kOneExtent) + "---\nfile: {}\n");
	EXPECT_EQ(e.field, "yaml");
	EXPECT_EQ(e.expected, "one document");

	e = yaml_error("a: &x 1\nb: *x\n");
	EXPECT_EQ(e.field, "a"); // unknown key first
	e = yaml_error(famfs_yaml("  nextents: 1\n  simple_ext_list:\n  - &e {offset: 0, length: 0}\n  - *e\n"));
	EXPECT_EQ(e.field, "file.simple_ext_list[1]");
	EXPECT_NE(e.expected.find("aliases are not supported"), std::string::npos) << e.message();
}

TEST(FmapJson, ParsesIntegersAndHexStrings)
{
	auto r = parse_json(R"({"file": {"path": "p", "size": 4194304, "mode": "0600", "nextents": 2,
		"simple_ext_list": [{"devindex": 0, "offset": "0x200000", "length": 2097152},
				    {"offset": 8388608, "length": "2M"}]}})");
	ASSERT_TRUE(r.ok()) << r.error().message();
	EXPECT_EQ(r->mode, 0600u);
	EXPECT_EQ(r->fmap.simple().at(0).offset, 2 * MiB);
	EXPECT_EQ(r->fmap.simple().at(1).length, 2 * MiB);

	auto m = parse_json(R"({"file": {"size": 0, "mode": 420, "simple_ext_list": []}})");
	ASSERT_TRUE(m.ok()) << m.error().message();
	EXPECT_EQ(m->mode, 0644u);
}

TEST(FmapJson, ErrorsNameTheJsonPath)
{
	Error e = json_error(R"({"file": {"size": 0, "simple_ext_list": [{"offset": 0, "length": 0},
		{"offset": -1, "length": 0}]}})");
	EXPECT_EQ(e.errnum, ERANGE);
	EXPECT_EQ(e.field, "file.simple_ext_list[1].offset");
	EXPECT_NE(e.found.find("line 2, column"), std::string::npos) << e.message();

	e = json_error(R"({"file": {"size": 1.5, "simple_ext_list": []}})");
	EXPECT_EQ(e.field, "file.size");

	e = json_error(R"({"file": {"size": 0, "simple_ext_list": {}}})");
	EXPECT_EQ(e.field, "file.simple_ext_list");
	EXPECT_NE(e.found.find("an object"), std::string::npos) << e.message();

	e = json_error(R"({"file": {"size": 0, "simple_ext_list": [], "size": 1}})");
	EXPECT_EQ(e.field, "file.size");

	e = json_error(R"({"file": {"size": 0, "simple_ext_list": [], "bogus": true}})");
	EXPECT_EQ(e.field, "file.bogus");

	e = json_error(R"([1, 2])");
	EXPECT_EQ(e.field, "top level");
	EXPECT_NE(e.found.find("an array"), std::string::npos) << e.message();
}

TEST(FmapJson, SyntaxErrorHasPosition)
{
	Error e = json_error("{\"file\": {\"size\": 0,\n \"simple_ext_list\": [}\n}");
	EXPECT_EQ(e.errnum, EINVAL);
	EXPECT_EQ(e.field, "json");
	EXPECT_NE(e.found.find("line 2, column"), std::string::npos) << e.message();

	e = json_error("file: {size: 0}"); // YAML is not JSON
	EXPECT_EQ(e.field, "json");
	e = json_error("");
	EXPECT_EQ(e.field, "json");
}

// ---- Error messages -----------------------------------------------------------

TEST(FmapText, NegativeCountsAndIdsSayWhatTheFieldIsAndThatItCannotBeNegative)
{
	const struct {
		const char *yaml;
		const char *json;
		const char *field;
		const char *noun;
	} cases[] = {
		{"file:\n  size: 0\n  nextents: -1\n  simple_ext_list: []\n",
		 R"({"file": {"size": 0, "nextents": -1, "simple_ext_list": []}})", "file.nextents", "an extent count"},
		{"file:\n  size: 0\n  uid: -5\n  simple_ext_list: []\n",
		 R"({"file": {"size": 0, "uid": -5, "simple_ext_list": []}})", "file.uid", "a uid"},
		{"file:\n  size: 0\n  gid: -5\n  simple_ext_list: []\n",
		 R"({"file": {"size": 0, "gid": -5, "simple_ext_list": []}})", "file.gid", "a gid"},
		{"file:\n  size: 0\n  mode: -1\n  simple_ext_list: []\n",
		 R"({"file": {"size": 0, "mode": -1, "simple_ext_list": []}})", "file.mode", "a mode"},
		{"file:\n  size: 0\n  flags: -2\n  simple_ext_list: []\n",
		 R"({"file": {"size": 0, "flags": -2, "simple_ext_list": []}})", "file.flags", "a flags value"},
		{"file:\n  size: 0\n  fmap_version: -1\n  simple_ext_list: []\n",
		 R"({"file": {"size": 0, "fmap_version": -1, "simple_ext_list": []}})", "file.fmap_version",
		 "an fmap version"},
		{"file:\n  size: 0\n  file_type: -1\n  simple_ext_list: []\n",
		 R"({"file": {"size": 0, "file_type": -1, "simple_ext_list": []}})", "file.file_type", "a file type"},
		{"file:\n  size: 0\n  simple_ext_list: [{devindex: -1, offset: 0, length: 0}]\n",
		 R"({"file": {"size": 0, "simple_ext_list": [{"devindex": -1, "offset": 0, "length": 0}]}})",
		 "file.simple_ext_list[0].devindex", "a device index"},
		{"file:\n  size: 0\n  striped_ext_list: [{nstrips: -1, chunk_size: 2M, simple_ext_list: []}]\n",
		 R"({"file": {"size": 0, "striped_ext_list": [{"nstrips": -1, "chunk_size": 0, "simple_ext_list": []}]}})",
		 "file.striped_ext_list[0].nstrips", "a strip count"},
		{"file:\n  size: 0\n  simple_ext_list: []\ndevices: [{index: -1}]\n",
		 R"({"file": {"size": 0, "simple_ext_list": []}, "devices": [{"index": -1}]})", "devices[0].index",
		 "a device index"},
	};
	for (const auto &c : cases) {
		for (const Error &e : {yaml_error(c.yaml), json_error(c.json)}) {
			EXPECT_EQ(e.field, c.field) << e.message();
			EXPECT_EQ(e.errnum, ERANGE) << e.message();
			EXPECT_EQ(e.expected.rfind(c.noun, 0), 0u) << e.message();
			EXPECT_NE(e.expected.find("cannot be negative"), std::string::npos) << e.message();
			EXPECT_EQ(e.message().find("byte count"), std::string::npos) << e.message();
		}
	}
	// A byte quantity is one, and says so.
	Error e = yaml_error("file:\n  size: -1\n  simple_ext_list: []\n");
	EXPECT_EQ(e.expected, "a non-negative byte count");
}

// Prints as it is: no control byte, no DEL, valid UTF-8 (nlohmann refuses
// to write anything else).
void expect_printable(const std::string &msg)
{
	for (unsigned char c : msg)
		EXPECT_TRUE(c >= 0x20 && c != 0x7f) << "byte " << int(c) << " in: " << msg;
	EXPECT_NO_THROW((void)nlohmann::json(msg).dump()) << msg;
}

TEST(FmapText, ErrorsQuotingInputEscapeBytesThatWouldNotPrint)
{
	const struct {
		std::string text;
		bool json;
		const char *shows;
	} cases[] = {
		{"file:\n  size: 2M\x01\n  simple_ext_list: []\n", false, "\"2M\\x01\""},     // a value
		{"file:\n  si\x1b[2Jze: 2M\n", false, "si\\x1b[2Jze"},                   // a key
		{"file:\n  size: \"\\\x01\"\n", false, "unknown escape character: \\x01"}, // yaml-cpp's own
		{"file:\n  pa\xffth: x\n", false, "pa\\xffth"},                            // not UTF-8
		{"file:\n  path: x\n  mode: 0\x7f\n", false, "\"0\\x7f\""},
		{"{\"file\": {\"size\": \"1\x01\"}}", true, "<U+0001>"}, // nlohmann escapes these itself
		{"{\"file\": {\"pa\xfe" "th\": 1}}", true, "\\xfe"},   // but not these
		{"{\"file\": {\"size\": \"2\\u0007M\", \"simple_ext_list\": []}}", true, "\"2\\x07M\""},
	};
	for (const auto &c : cases) {
		Error e = c.json ? json_error(c.text) : yaml_error(c.text);
		expect_printable(e.message());
		expect_printable(e.field);
		EXPECT_NE(e.message().find(c.shows), std::string::npos) << e.message();
	}
}

// The input cap readers apply (max_text_bytes) must hold any fmap whose
// reply fits the profile, however daxfmap writes it: every field at its
// widest, the longest path, a full devices: table with the longest names.
TEST(FmapText, MaxTextBytesHoldsTheWidestTextOfTheLargestFmaps)
{
	const Limits &v10 = limits_for(Profile::V10);
	const Limits &extended = limits_for(Profile::Extended);
	const SimpleExtent widest{.device = UINT32_MAX, .offset = UINT64_MAX, .length = UINT64_MAX};
	const size_t units = (v10.max_reply_bytes - sizeof(fuse_dax_fmap_header)) / sizeof(fuse_dax_simple_ext);
	auto widen = [&](FileRecord r) {
		r.path = std::string(4095, '\x01'); // PATH_MAX, escaped by both writers
		for (uint32_t i = 0; i < extended.max_devices; i++)
			r.devices.push_back({.index = UINT32_MAX - i, .name = std::string(255, '\x01'), .size = UINT64_MAX});
		return r;
	};
	auto record = [&](std::variant<SimpleExtents, InterleavedExtents> extents) {
		FileRecord r;
		r.flags = UINT64_MAX;
		r.mode = UINT32_MAX;
		r.uid = r.gid = UINT32_MAX;
		r.fmap.file_size = UINT64_MAX;
		r.fmap.file_type = 255;
		r.fmap.version = UINT16_MAX;
		r.fmap.extents = std::move(extents);
		return r;
	};
	InterleavedExtents one_strip_each(units / 2, InterleavedExtent{.chunk_size = UINT32_MAX, .nbytes = 1,
								       .strips = {widest}});
	InterleavedExtents all_strips{InterleavedExtent{.chunk_size = UINT32_MAX, .nbytes = 1,
							.strips = SimpleExtents(units - 1, widest)}};
	for (const FileRecord &r : {record(SimpleExtents(units, widest)), record(one_strip_each), record(all_strips)}) {
		ASSERT_LE(r.fmap.wire_size(), v10.max_reply_bytes);
		const FileRecord wide = widen(r);
		for (int json = 0; json < 2; json++) {
			const size_t text = (json ? to_json(r) : to_yaml(r)).size();
			const size_t wide_text = (json ? to_json(wide) : to_yaml(wide)).size();
			EXPECT_LE(wide_text, max_text_bytes(v10)) << (json ? "json" : "yaml");
			// The extended profile's largest fmaps are these, repeated up
			// to its reply size: their text grows in proportion.
			const double per_reply_byte = double(text) / double(r.fmap.wire_size());
			EXPECT_LE(per_reply_byte * double(extended.max_reply_bytes) + double(wide_text - text),
				  double(max_text_bytes(extended)))
				<< (json ? "json" : "yaml");
		}
	}
}

TEST(FmapJson, WritesIntegersAndFamfsKeys)
{
	FileRecord r = simple_record();
	r.devices = {{.index = 0, .name = "/dev/dax0.0", .size = 1ull << 30}};
	const std::string j = to_json(r, -1);
	EXPECT_EQ(j, "{\"file\":{\"path\":\"dir/file\",\"size\":5242897,\"flags\":2,\"mode\":\"0640\",\"uid\":1000,"
		     "\"gid\":100,\"nextents\":2,\"simple_ext_list\":[{\"devindex\":0,\"offset\":33554432,"
		     "\"length\":4194304},{\"devindex\":0,\"offset\":2097152,\"length\":2097152}]},"
		     "\"devices\":[{\"index\":0,\"name\":\"/dev/dax0.0\",\"size\":1073741824}]}\n");
}

} // namespace
} // namespace daxfmap
