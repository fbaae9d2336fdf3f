// SPDX-License-Identifier: GPL-2.0-only
// famfs-compatible YAML for a FileRecord.  The reader here is also the
// schema for JSON (see fmap_json.cpp): JSON is YAML's flow syntax, so both
// formats share one set of keys, defaults and error messages.
//
// The reader consumes yaml-cpp's event stream instead of building a node
// tree: yaml-cpp's nodes cost hundreds of bytes per scalar, which a
// million-extent fmap (what --profile extended allows) cannot afford.
#include "libdaxfmap/fmap_text.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <optional>
#include <set>
#include <span>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

#include "libdaxfmap/size_parse.hpp"

namespace daxfmap {

namespace {

// ---- Reading: values ---------------------------------------------------------

// " at line 3, column 5" (1-based, as editors count), or "" without a mark.
std::string at(const YAML::Mark &m)
{
	if (m.is_null())
		return {};
	return " at line " + std::to_string(m.line + 1) + ", column " + std::to_string(m.column + 1);
}

// A scalar as it appeared, for "found ..." and for parsing.
struct Scalar {
	std::string text;
	YAML::Mark mark;

	std::string found() const { return quote_input(text) + at(mark); }
};

Error bad(const std::string &path, std::string expected, std::string found, int errnum = EINVAL)
{
	return Error{.errnum = errnum, .field = path, .expected = std::move(expected), .found = std::move(found)};
}

// parse_size()'s error, moved to `path` and given the scalar's position.
Error relocate(Error e, const std::string &path, const Scalar &s)
{
	e.field = path;
	e.found += at(s.mark);
	return e;
}

// Decimal digits, or 0x and hex digits: what a count or id may be written as.
bool plain_digits(std::string_view s)
{
	auto is_dec = [](char c) { return c >= '0' && c <= '9'; };
	auto is_hex = [&](char c) { return is_dec(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); };
	if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		return std::all_of(s.begin() + 2, s.end(), is_hex);
	return !s.empty() && std::all_of(s.begin(), s.end(), is_dec);
}

// A count or id: decimal or 0x hex, no unit suffix, at most `max`.  `noun`
// says what the field holds ("a uid"): parse_size() would call it a byte
// count.
Result<uint64_t> integer(const Scalar &s, const std::string &path, uint64_t max, std::string_view noun)
{
	const std::string range = std::string(noun) + " from 0 to " + std::to_string(max);
	if (s.text.size() > 1 && s.text[0] == '-' && plain_digits(std::string_view(s.text).substr(1)))
		return bad(path, range + " (it cannot be negative)", s.found(), ERANGE);
	const std::string expected = range + " (decimal or 0x hex)";
	if (!plain_digits(s.text))
		return bad(path, expected, s.found());
	auto v = parse_size(s.text, path);
	if (!v)
		return relocate(v.error(), path, s);
	if (*v > max)
		return bad(path, expected, s.found(), ERANGE);
	return *v;
}

// A byte quantity: parse_size() syntax (decimal, 0x hex, binary suffixes).
Result<uint64_t> bytes(const Scalar &s, const std::string &path, uint64_t max = UINT64_MAX)
{
	auto v = parse_size(s.text, path);
	if (!v)
		return relocate(v.error(), path, s);
	if (*v > max)
		return bad(path, "a byte count of at most " + hex(max), s.found(), ERANGE);
	return *v;
}

// famfs writes mode as octal with a leading 0 ("0644"); "0o644", decimal
// and 0x hex are accepted too.
Result<uint64_t> mode(const Scalar &s, const std::string &path)
{
	std::string_view t = s.text;
	if (t.size() > 2 && t[0] == '0' && (t[1] == 'o' || t[1] == 'O'))
		t.remove_prefix(2);
	else if (t.size() > 1 && t[0] == '0' && t[1] >= '0' && t[1] <= '9')
		t.remove_prefix(1);
	else
		return integer(s, path, UINT32_MAX, "a mode");
	const std::string expected = "a mode: octal with a leading 0 (0644), or decimal";
	uint64_t v = 0;
	for (char c : t) {
		if (c < '0' || c > '7')
			return bad(path, expected, s.found());
		v = v * 8 + static_cast<uint64_t>(c - '0');
		if (v > UINT32_MAX)
			return bad(path, expected, s.found(), ERANGE);
	}
	return v;
}

Result<uint64_t> file_type(const Scalar &s, const std::string &path)
{
	std::string l = s.text;
	std::transform(l.begin(), l.end(), l.begin(), [](unsigned char c) { return std::tolower(c); });
	if (l == "reg" || l == "regular")
		return uint64_t{FUSE_DAX_FILE_REG};
	if (l == "superblock")
		return uint64_t{FUSE_DAX_FILE_SUPERBLOCK};
	if (l == "log")
		return uint64_t{FUSE_DAX_FILE_LOG};
	if (plain_digits(l) || (l.size() > 1 && l[0] == '-' && plain_digits(std::string_view(l).substr(1))))
		return integer(s, path, UINT8_MAX, "a file type");
	return bad(path, "reg, superblock, log or a number from 0 to 255", s.found());
}

// The nbytes famfs assumes for an interleaved extent (it has no nbytes key):
// the sum of the strip lengths; false if that overflows.
bool default_nbytes(const InterleavedExtent &ie, uint64_t &sum)
{
	sum = 0;
	for (const auto &s : ie.strips) {
		if (s.length > UINT64_MAX - sum)
			return false;
		sum += s.length;
	}
	return true;
}

// ---- Reading: the schema -------------------------------------------------------

// The mappings of the format.
enum class Schema : uint8_t { Top, File, Simple, Striped, Device };

enum class Key : uint8_t {
	File, Devices,                                                    // top level
	Path, Size, Flags, Mode, Uid, Gid, Nextents, FileType, FmapVersion, // file:
	SimpleList, StripedList,
	Devindex, Offset, Length,                                         // simple extent
	Nstrips, ChunkSize, Nbytes,                                       // striped extent
	Index, Name, DevSize,                                             // device
};

struct KeyName {
	std::string_view name;
	Key key;
};

constexpr std::array kTopKeys{KeyName{"file", Key::File}, KeyName{"devices", Key::Devices}};
constexpr std::array kFileKeys{
	KeyName{"path", Key::Path},         KeyName{"size", Key::Size},
	KeyName{"flags", Key::Flags},       KeyName{"mode", Key::Mode},
	KeyName{"uid", Key::Uid},           KeyName{"gid", Key::Gid},
	KeyName{"nextents", Key::Nextents}, KeyName{"file_type", Key::FileType},
	KeyName{"fmap_version", Key::FmapVersion}, KeyName{"simple_ext_list", Key::SimpleList},
	KeyName{"striped_ext_list", Key::StripedList}};
constexpr std::array kSimpleKeys{KeyName{"devindex", Key::Devindex}, KeyName{"offset", Key::Offset},
				 KeyName{"length", Key::Length}};
constexpr std::array kStripedKeys{KeyName{"nstrips", Key::Nstrips}, KeyName{"chunk_size", Key::ChunkSize},
				  KeyName{"nbytes", Key::Nbytes}, KeyName{"simple_ext_list", Key::SimpleList}};
constexpr std::array kDeviceKeys{KeyName{"index", Key::Index}, KeyName{"name", Key::Name},
				 KeyName{"size", Key::DevSize}};

std::span<const KeyName> keys_of(Schema s)
{
	switch (s) {
	case Schema::Top: return kTopKeys;
	case Schema::File: return kFileKeys;
	case Schema::Simple: return kSimpleKeys;
	case Schema::Striped: return kStripedKeys;
	case Schema::Device: return kDeviceKeys;
	}
	return {};
}

std::string key_list(Schema s)
{
	std::string keys;
	for (const auto &k : keys_of(s))
		keys += (keys.empty() ? "" : ", ") + std::string(k.name);
	return keys;
}

std::string mapping_of(Schema s)
{
	return "a mapping with keys " + key_list(s);
}

// The schema of a list's items, for keys whose value is a sequence.
std::optional<Schema> list_of(Key k)
{
	switch (k) {
	case Key::SimpleList: return Schema::Simple;
	case Key::StripedList: return Schema::Striped;
	case Key::Devices: return Schema::Device;
	default: return std::nullopt;
	}
}

// What a key's value must be, for errors about its shape.
std::string expectation(Key k)
{
	switch (k) {
	case Key::File: return "the file: mapping (" + mapping_of(Schema::File) + ")";
	case Key::SimpleList: return "a sequence of {devindex, offset, length}";
	case Key::StripedList: return "a sequence of {nstrips, chunk_size, nbytes, simple_ext_list}";
	case Key::Devices: return "a sequence of {index, name, size}";
	case Key::Path:
	case Key::Name: return "a string";
	case Key::Mode: return "a mode: octal with a leading 0 (0644), or decimal";
	case Key::FileType: return "reg, superblock, log or a number from 0 to 255";
	case Key::Size:
	case Key::Offset:
	case Key::Length:
	case Key::ChunkSize:
	case Key::Nbytes:
	case Key::DevSize: return "a byte count (decimal, 0x hex, or 2M-style)";
	default: return "an integer (decimal or 0x hex)";
	}
}

// One open mapping or sequence, and what is being built from it.
struct Frame {
	bool is_map = true;
	Schema schema = Schema::Top; // a mapping's own schema; a sequence's items'
	YAML::Mark mark;
	std::string path; // "file.striped_ext_list[0]"; "" at the top

	// A mapping: keys seen (bit = position in keys_of()), and the key whose
	// value is awaited.
	uint32_t seen = 0;
	std::optional<size_t> key;
	YAML::Mark key_mark; // where that key is: a null value has no place of its own
	// A sequence: items so far.
	size_t count = 0;

	SimpleExtent se;
	InterleavedExtent ie;
	Device dev;
	SimpleExtents simples;
	InterleavedExtents striped;
	std::vector<Device> devices;
	// nextents or nstrips as given, checked against the list at the end.
	std::optional<std::pair<uint64_t, Scalar>> declared;

	std::string sub(std::string_view k) const
	{
		return path.empty() ? std::string(k) : path + "." + std::string(k);
	}
	std::string item(size_t i) const { return path + "[" + std::to_string(i) + "]"; }
	bool has(Key k) const
	{
		auto keys = keys_of(schema);
		for (size_t i = 0; i < keys.size(); i++)
			if (keys[i].key == k)
				return seen & (1u << i);
		return false;
	}
	Key awaited() const { return keys_of(schema)[*key].key; }
};

// Builds a FileRecord from the events of one YAML document.  The first error
// stops it: later events are ignored.
class Reader : public YAML::EventHandler {
public:
	Result<FileRecord> result()
	{
		if (error_)
			return *error_;
		if (!done_)
			return bad("top level", mapping_of(Schema::Top), "nothing");
		return std::move(rec_);
	}
	bool failed() const { return error_.has_value(); }

	void OnDocumentStart(const YAML::Mark &) override {}
	void OnDocumentEnd() override {}
	void OnAnchor(const YAML::Mark &, const std::string &) override {}

	void OnAlias(const YAML::Mark &mark, YAML::anchor_t) override
	{
		if (!error_)
			fail(bad(here(), "plain values (aliases are not supported)", "an alias" + at(mark)));
	}

	void OnNull(const YAML::Mark &mark, YAML::anchor_t) override
	{
		if (error_)
			return;
		if (stack_.empty())
			return fail(bad("top level", mapping_of(Schema::Top), "nothing" + at(mark)));
		Frame &f = stack_.back();
		if (!f.is_map)
			return fail(bad(f.item(f.count), mapping_of(f.schema), "nothing" + at(mark)));
		if (!f.key)
			return fail(bad(f.path.empty() ? "top level" : f.path, "scalar keys", "an empty key" + at(mark)));
		const Key k = f.awaited();
		const size_t index = *f.key;
		const std::string path = f.sub(keys_of(f.schema)[index].name);
		f.key.reset();
		// "key:" with nothing after it: an empty string or an empty list.
		switch (k) {
		case Key::Path: rec_.path.clear(); return;
		case Key::Name: f.dev.name.clear(); return;
		case Key::Devices: rec_.devices.clear(); return;
		case Key::StripedList: rec_.fmap.extents = InterleavedExtents{}; return;
		case Key::SimpleList:
			if (f.schema == Schema::Striped)
				f.ie.strips.clear();
			else
				rec_.fmap.extents = SimpleExtents{};
			return;
		default:
			return fail(bad(path, expectation(k),
					"nothing after \"" + std::string(keys_of(f.schema)[index].name) + ":\"" +
						at(f.key_mark)));
		}
	}

	void OnScalar(const YAML::Mark &mark, const std::string &, YAML::anchor_t, const std::string &value) override
	{
		if (error_)
			return;
		Scalar s{value, mark};
		if (stack_.empty())
			return fail(bad("top level", mapping_of(Schema::Top), s.found()));
		Frame &f = stack_.back();
		if (!f.is_map)
			return fail(bad(f.item(f.count), mapping_of(f.schema), s.found()));
		if (!f.key)
			return key(f, s);
		const Key k = f.awaited();
		const std::string path = f.sub(keys_of(f.schema)[*f.key].name);
		f.key.reset();
		if (auto r = scalar(f, k, s, path); !r)
			fail(r.error());
	}

	void OnMapStart(const YAML::Mark &mark, const std::string &, YAML::anchor_t, YAML::EmitterStyle::value) override
	{
		if (error_)
			return;
		if (stack_.empty())
			return push(true, Schema::Top, mark, "");
		Frame &f = stack_.back();
		if (!f.is_map)
			return push(true, f.schema, mark, f.item(f.count));
		if (!f.key)
			return fail(bad(f.path.empty() ? "top level" : f.path, "scalar keys", "a mapping as a key" + at(mark)));
		const Key k = f.awaited();
		const std::string path = f.sub(keys_of(f.schema)[*f.key].name);
		if (k != Key::File)
			return fail(bad(path, expectation(k), "a mapping" + at(mark)));
		push(true, Schema::File, mark, path);
	}

	void OnSequenceStart(const YAML::Mark &mark, const std::string &, YAML::anchor_t,
			     YAML::EmitterStyle::value) override
	{
		if (error_)
			return;
		if (stack_.empty())
			return fail(bad("top level", mapping_of(Schema::Top), "a sequence" + at(mark)));
		Frame &f = stack_.back();
		if (!f.is_map)
			return fail(bad(f.item(f.count), mapping_of(f.schema), "a sequence" + at(mark)));
		if (!f.key)
			return fail(bad(f.path.empty() ? "top level" : f.path, "scalar keys", "a sequence as a key" + at(mark)));
		const Key k = f.awaited();
		const std::string path = f.sub(keys_of(f.schema)[*f.key].name);
		const auto items = list_of(k);
		if (!items)
			return fail(bad(path, expectation(k), "a sequence" + at(mark)));
		push(false, *items, mark, path);
	}

	void OnSequenceEnd() override
	{
		if (error_ || stack_.size() < 2)
			return;
		Frame list = std::move(stack_.back());
		stack_.pop_back();
		Frame &parent = stack_.back();
		const Key k = parent.awaited();
		parent.key.reset();
		if (k == Key::Devices)
			rec_.devices = std::move(list.devices);
		else if (k == Key::StripedList)
			rec_.fmap.extents = std::move(list.striped);
		else if (parent.schema == Schema::Striped)
			parent.ie.strips = std::move(list.simples);
		else
			rec_.fmap.extents = std::move(list.simples);
	}

	void OnMapEnd() override
	{
		if (error_ || stack_.empty())
			return;
		Frame m = std::move(stack_.back());
		stack_.pop_back();
		if (auto r = finish(m); !r)
			return fail(r.error());
		if (stack_.empty()) {
			done_ = true;
			return;
		}
		Frame &parent = stack_.back();
		if (parent.is_map) { // the file: mapping
			parent.key.reset();
			return;
		}
		switch (m.schema) {
		case Schema::Simple: parent.simples.push_back(m.se); break;
		case Schema::Striped: parent.striped.push_back(std::move(m.ie)); break;
		case Schema::Device: parent.devices.push_back(std::move(m.dev)); break;
		default: break;
		}
		parent.count++;
	}

private:
	void fail(Error e) { error_ = std::move(e); }

	void push(bool is_map, Schema schema, const YAML::Mark &mark, std::string path)
	{
		Frame f;
		f.is_map = is_map;
		f.schema = schema;
		f.mark = mark;
		f.path = std::move(path);
		if (is_map && schema == Schema::Device)
			f.dev.index = static_cast<uint32_t>(stack_.back().count); // default: the position
		stack_.push_back(std::move(f));
	}

	// Where the reader is, for errors that have no better place.
	std::string here() const
	{
		if (stack_.empty())
			return "top level";
		const Frame &f = stack_.back();
		if (!f.is_map)
			return f.item(f.count);
		if (f.key)
			return f.sub(keys_of(f.schema)[*f.key].name);
		return f.path.empty() ? "top level" : f.path;
	}

	// A key of the mapping `f`: known, not seen before.
	void key(Frame &f, const Scalar &s)
	{
		auto keys = keys_of(f.schema);
		auto it = std::find_if(keys.begin(), keys.end(), [&](const KeyName &k) { return k.name == s.text; });
		if (it == keys.end()) {
			// An empty key has no name to add to the path: the mapping's own is the field.
			const std::string field = !s.text.empty() ? f.sub(printable(s.text))
					       : f.path.empty()   ? "top level"
								  : f.path;
			return fail(bad(field, "one of the keys " + key_list(f.schema), "unknown key " + s.found()));
		}
		const size_t i = static_cast<size_t>(it - keys.begin());
		if (f.seen & (1u << i))
			return fail(bad(f.sub(s.text), "each key once", "a second " + s.found()));
		if ((it->key == Key::SimpleList && f.has(Key::StripedList)) ||
		    (it->key == Key::StripedList && f.has(Key::SimpleList)))
			return fail(bad(f.sub(s.text), "either simple_ext_list or striped_ext_list, not both",
					"both, the second" + at(s.mark)));
		f.seen |= 1u << i;
		f.key = i;
		f.key_mark = s.mark;
	}

	// A scalar value for key `k` of mapping `f`.
	Result<void> scalar(Frame &f, Key k, const Scalar &s, const std::string &path)
	{
		auto set = [&](auto &out, Result<uint64_t> v) -> Result<void> {
			if (!v)
				return v.error();
			out = static_cast<std::remove_reference_t<decltype(out)>>(*v);
			return {};
		};
		switch (k) {
		case Key::Path: return set_string(rec_.path, s, path);
		case Key::Name: return set_string(f.dev.name, s, path);
		case Key::Size: return set(rec_.fmap.file_size, bytes(s, path));
		case Key::Flags: return set(rec_.flags, integer(s, path, UINT64_MAX, "a flags value"));
		case Key::Mode: return set(rec_.mode, mode(s, path));
		case Key::Uid: return set(rec_.uid, integer(s, path, UINT32_MAX, "a uid"));
		case Key::Gid: return set(rec_.gid, integer(s, path, UINT32_MAX, "a gid"));
		case Key::FileType: return set(rec_.fmap.file_type, file_type(s, path));
		case Key::FmapVersion: return set(rec_.fmap.version, integer(s, path, UINT16_MAX, "an fmap version"));
		case Key::Devindex: return set(f.se.device, integer(s, path, UINT32_MAX, "a device index"));
		case Key::Offset: return set(f.se.offset, bytes(s, path));
		case Key::Length: return set(f.se.length, bytes(s, path));
		case Key::ChunkSize: return set(f.ie.chunk_size, bytes(s, path, UINT32_MAX));
		case Key::Nbytes: return set(f.ie.nbytes, bytes(s, path));
		case Key::Index: return set(f.dev.index, integer(s, path, UINT32_MAX, "a device index"));
		case Key::DevSize: return set(f.dev.size, bytes(s, path));
		case Key::Nextents:
		case Key::Nstrips: {
			auto v = integer(s, path, UINT32_MAX, k == Key::Nextents ? "an extent count" : "a strip count");
			if (!v)
				return v.error();
			f.declared = {*v, s};
			return {};
		}
		default: return bad(path, expectation(k), s.found());
		}
	}

	// YAML is Unicode text, and so is JSON: bytes that are not UTF-8 could
	// not be written back as they were (the writers would replace them).
	static Result<void> set_string(std::string &out, const Scalar &s, const std::string &path)
	{
		if (!is_utf8(s.text))
			return bad(path, "a UTF-8 string", s.found());
		out = s.text;
		return {};
	}

	Error missing(const Frame &f, std::string_view key, const std::string &expected) const
	{
		return bad(f.sub(key), expected + " (required)", "no such key in the mapping" + at(f.mark));
	}

	// nextents / nstrips, if given, must agree with the list.
	static Result<void> check_count(const Frame &f, std::string_view key, std::string_view list, size_t actual)
	{
		if (!f.declared || f.declared->first == actual)
			return {};
		return bad(f.sub(key), "the number of entries in " + std::string(list) + " (" + std::to_string(actual) + ")",
			   f.declared->second.found());
	}

	// A mapping is complete: required keys, counts, defaults.
	Result<void> finish(Frame &m)
	{
		switch (m.schema) {
		case Schema::Top:
			if (!m.has(Key::File))
				return missing(m, "file", "the file: mapping");
			return {};
		case Schema::File:
			if (!m.has(Key::Size))
				return missing(m, "size", "the file size in bytes");
			if (m.has(Key::SimpleList))
				return check_count(m, "nextents", "simple_ext_list", rec_.fmap.extent_count());
			if (m.has(Key::StripedList))
				return check_count(m, "nextents", "striped_ext_list", rec_.fmap.extent_count());
			return missing(m, "simple_ext_list", "an extent list: simple_ext_list or striped_ext_list");
		case Schema::Simple:
			if (!m.has(Key::Offset))
				return missing(m, "offset", "a device offset in bytes");
			if (!m.has(Key::Length))
				return missing(m, "length", "a length in bytes");
			return {};
		case Schema::Striped:
			if (!m.has(Key::ChunkSize))
				return missing(m, "chunk_size", "a chunk size in bytes");
			if (!m.has(Key::SimpleList))
				return missing(m, "simple_ext_list", "the strips, a sequence of {devindex, offset, length}");
			if (auto r = check_count(m, "nstrips", "simple_ext_list", m.ie.strips.size()); !r)
				return r;
			if (!m.has(Key::Nbytes) && !default_nbytes(m.ie, m.ie.nbytes))
				return bad(m.sub("nbytes"), "an explicit nbytes when the strip lengths add up past 2^64",
					   "no nbytes key in the mapping" + at(m.mark), ERANGE);
			return {};
		case Schema::Device:
			if (!device_indices_.insert(m.dev.index).second)
				return bad(m.sub("index"), "each device index once",
					   std::to_string(m.dev.index) + " again, in the mapping" + at(m.mark));
			return {};
		}
		return {};
	}

	FileRecord rec_;
	std::vector<Frame> stack_;
	std::set<uint32_t> device_indices_;
	std::optional<Error> error_;
	bool done_ = false;
};

// Swallows a document: only to learn whether there is one.
class Ignore : public YAML::EventHandler {
public:
	void OnDocumentStart(const YAML::Mark &) override {}
	void OnDocumentEnd() override {}
	void OnNull(const YAML::Mark &, YAML::anchor_t) override {}
	void OnAlias(const YAML::Mark &, YAML::anchor_t) override {}
	void OnScalar(const YAML::Mark &, const std::string &, YAML::anchor_t, const std::string &) override {}
	void OnSequenceStart(const YAML::Mark &, const std::string &, YAML::anchor_t, YAML::EmitterStyle::value) override {}
	void OnSequenceEnd() override {}
	void OnMapStart(const YAML::Mark &, const std::string &, YAML::anchor_t, YAML::EmitterStyle::value) override {}
	void OnMapEnd() override {}
};

// ---- Writing ---------------------------------------------------------------

// Plain when a YAML reader takes it back as the same string, double-quoted
// (escaped by yaml-cpp) when it could be misread as a number, bool or null,
// or, inside a flow mapping, when it holds a character yaml-cpp's reader may
// end a flow scalar at: the flow indicators, and also '?', ':' and '#'.
std::string yaml_string(const std::string &s, bool flow = false)
{
	static const std::set<std::string> special = {"true", "false", "yes", "no", "on", "off", "y", "n", "null", "~"};
	std::string l = s;
	std::transform(l.begin(), l.end(), l.begin(), [](unsigned char c) { return std::tolower(c); });
	const bool risky = s.empty() || special.count(l) ||
			   std::string_view("0123456789+-.").find(s.front()) != std::string_view::npos ||
			   (flow && s.find_first_of(",[]{}?:#") != std::string::npos);
	YAML::Emitter e;
	if (risky)
		e << YAML::DoubleQuoted;
	e << s;
	return e.c_str();
}

std::string octal(uint32_t v)
{
	std::string digits;
	do {
		digits.insert(digits.begin(), static_cast<char>('0' + (v & 7)));
		v >>= 3;
	} while (v);
	return "0" + digits;
}

std::string file_type_name(uint8_t t)
{
	switch (t) {
	case FUSE_DAX_FILE_REG: return "reg";
	case FUSE_DAX_FILE_SUPERBLOCK: return "superblock";
	case FUSE_DAX_FILE_LOG: return "log";
	default: return std::to_string(t);
	}
}

void emit_simple_list(std::string &out, const SimpleExtents &list, const std::string &indent)
{
	out += indent + "simple_ext_list:";
	if (list.empty()) {
		out += " []\n";
		return;
	}
	out += "\n";
	// Indentless sequence, as libyaml (famfs) writes it.
	for (const auto &se : list) {
		out += indent + "- devindex: " + std::to_string(se.device) + "\n";
		out += indent + "  offset: " + hex(se.offset) + "\n";
		out += indent + "  length: " + hex(se.length) + "\n";
	}
}

} // namespace

Result<FileRecord> parse_yaml(std::string_view input)
{
	std::istringstream in{std::string(input)};
	Reader reader;
	try {
		YAML::Parser parser(in);
		if (parser.HandleNextDocument(reader) && !reader.failed()) {
			Ignore more;
			if (parser.HandleNextDocument(more))
				return bad("yaml", "one document", "a second document (after ---)");
		}
	} catch (const YAML::ParserException &e) {
		// An error the reader met first is the one to report.
		if (!reader.failed())
			return bad("yaml", "well-formed YAML", printable(e.msg) + at(e.mark));
	} catch (const YAML::Exception &e) {
		if (!reader.failed())
			return bad("yaml", "well-formed YAML", printable(e.what()));
	}
	return reader.result();
}

std::string to_yaml(const FileRecord &rec)
{
	const Fmap &f = rec.fmap;
	std::string out;
	out.reserve(256 + f.range_count() * 80);
	// A document, as famfs's emitter writes one ("---" ... "..."), so that
	// a file's text is what famfs's shadow YAML holds for it.
	out += "---\nfile:\n";
	out += "  path: " + yaml_string(rec.path) + "\n";
	out += "  size: " + std::to_string(f.file_size) + "\n";
	out += "  flags: " + std::to_string(rec.flags) + "\n";
	out += "  mode: " + octal(rec.mode) + "\n";
	out += "  uid: " + std::to_string(rec.uid) + "\n";
	out += "  gid: " + std::to_string(rec.gid) + "\n";
	out += "  nextents: " + std::to_string(f.extent_count()) + "\n";
	// Extensions only when needed: famfs's reader refuses keys it does not know.
	if (f.file_type != FUSE_DAX_FILE_REG)
		out += "  file_type: " + file_type_name(f.file_type) + "\n";
	if (f.version != FUSE_DAX_FMAP_VERSION)
		out += "  fmap_version: " + std::to_string(f.version) + "\n";
	if (f.is_simple()) {
		emit_simple_list(out, f.simple(), "  ");
	} else if (f.interleaved().empty()) {
		out += "  striped_ext_list: []\n";
	} else {
		out += "  striped_ext_list:\n";
		for (const auto &ie : f.interleaved()) {
			out += "  - nstrips: " + std::to_string(ie.strips.size()) + "\n";
			out += "    chunk_size: " + hex(ie.chunk_size) + "\n";
			uint64_t sum = 0;
			if (!default_nbytes(ie, sum) || sum != ie.nbytes)
				out += "    nbytes: " + hex(ie.nbytes) + "\n";
			emit_simple_list(out, ie.strips, "    ");
		}
	}
	if (!rec.devices.empty()) {
		out += "devices:\n";
		for (const auto &d : rec.devices) {
			out += "- {index: " + std::to_string(d.index);
			if (!d.name.empty())
				out += ", name: " + yaml_string(d.name, true);
			if (d.size)
				out += ", size: " + hex(d.size);
			out += "}\n";
		}
	}
	out += "...\n";
	return out;
}

} // namespace daxfmap
