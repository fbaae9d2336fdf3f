// SPDX-License-Identifier: GPL-2.0-only
// JSON for a FileRecord: the YAML structure and keys, numbers as integers.
//
// Reading checks the JSON syntax strictly (nlohmann's SAX parser, no tree),
// then hands the text to the YAML reader: JSON is YAML's flow syntax, so the
// YAML reader's line/column marks point into the JSON text and both formats
// share one schema, one set of defaults and one set of error messages.
#include "libdaxfmap/fmap_text.hpp"

#include <cerrno>
#include <string>

#include <nlohmann/json.hpp>

namespace daxfmap {

namespace {

// Accepts every event; keeps the first syntax error.
class SyntaxCheck : public nlohmann::json_sax<nlohmann::json> {
public:
	std::string error;

	bool null() override { return true; }
	bool boolean(bool) override { return true; }
	bool number_integer(number_integer_t) override { return true; }
	bool number_unsigned(number_unsigned_t) override { return true; }
	bool number_float(number_float_t, const string_t &) override { return true; }
	bool string(string_t &) override { return true; }
	bool binary(binary_t &) override { return true; }
	bool start_object(std::size_t) override { return true; }
	bool key(string_t &) override { return true; }
	bool end_object() override { return true; }
	bool start_array(std::size_t) override { return true; }
	bool end_array() override { return true; }
	bool parse_error(std::size_t, const std::string &, const nlohmann::json::exception &ex) override
	{
		// Drop nlohmann's "[json.exception.parse_error.101] " prefix.
		std::string what = ex.what();
		auto close = what.find("] ");
		// nlohmann quotes the input it stopped at; raw bytes stay raw.
		error = printable(close == std::string::npos ? what : what.substr(close + 2));
		return false;
	}
};

void replace_all(std::string &s, std::string_view from, std::string_view to)
{
	for (size_t pos = 0; (pos = s.find(from, pos)) != std::string::npos; pos += to.size())
		s.replace(pos, from.size(), to);
}

// The shared reader speaks YAML; say it in JSON's words.
Error in_json_terms(Error e)
{
	for (std::string *s : {&e.expected, &e.found}) {
		replace_all(*s, "a mapping", "an object");
		replace_all(*s, "a sequence", "an array");
	}
	if (e.field == "yaml")
		e.field = "json";
	return e;
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

nlohmann::ordered_json simple_list(const SimpleExtents &list)
{
	auto arr = nlohmann::ordered_json::array();
	for (const auto &se : list)
		arr.push_back({{"devindex", se.device}, {"offset", se.offset}, {"length", se.length}});
	return arr;
}

} // namespace

Result<FileRecord> parse_json(std::string_view input)
{
	SyntaxCheck check;
	if (!nlohmann::json::sax_parse(input, &check) || !check.error.empty())
		return Error{.errnum = EINVAL,
			     .field = "json",
			     .expected = "well-formed JSON",
			     .found = check.error.empty() ? "malformed input" : check.error};
	auto rec = parse_yaml(input);
	if (!rec)
		return in_json_terms(rec.error());
	return rec;
}

std::string to_json(const FileRecord &rec, int indent)
{
	const Fmap &f = rec.fmap;
	nlohmann::ordered_json file;
	file["path"] = rec.path;
	file["size"] = f.file_size;
	file["flags"] = rec.flags;
	file["mode"] = octal(rec.mode); // as famfs writes it; a bare 420 would hide 0644
	file["uid"] = rec.uid;
	file["gid"] = rec.gid;
	file["nextents"] = f.extent_count();
	// The same extension keys as YAML, under the same conditions.
	if (f.file_type != FUSE_DAX_FILE_REG) {
		switch (f.file_type) {
		case FUSE_DAX_FILE_SUPERBLOCK: file["file_type"] = "superblock"; break;
		case FUSE_DAX_FILE_LOG: file["file_type"] = "log"; break;
		default: file["file_type"] = f.file_type; break;
		}
	}
	if (f.version != FUSE_DAX_FMAP_VERSION)
		file["fmap_version"] = f.version;
	if (f.is_simple()) {
		file["simple_ext_list"] = simple_list(f.simple());
	} else {
		auto arr = nlohmann::ordered_json::array();
		for (const auto &ie : f.interleaved()) {
			nlohmann::ordered_json e;
			e["nstrips"] = ie.strips.size();
			e["chunk_size"] = ie.chunk_size;
			uint64_t sum = 0;
			bool fits = true;
			for (const auto &s : ie.strips) {
				fits = fits && s.length <= UINT64_MAX - sum;
				sum += s.length;
			}
			if (!fits || sum != ie.nbytes)
				e["nbytes"] = ie.nbytes;
			e["simple_ext_list"] = simple_list(ie.strips);
			arr.push_back(std::move(e));
		}
		file["striped_ext_list"] = std::move(arr);
	}

	nlohmann::ordered_json root;
	root["file"] = std::move(file);
	if (!rec.devices.empty()) {
		auto devs = nlohmann::ordered_json::array();
		for (const auto &d : rec.devices) {
			nlohmann::ordered_json j;
			j["index"] = d.index;
			if (!d.name.empty())
				j["name"] = d.name;
			if (d.size)
				j["size"] = d.size;
			devs.push_back(std::move(j));
		}
		root["devices"] = std::move(devs);
	}
	// Replace invalid UTF-8 rather than throw: a path is whatever bytes it is.
	return root.dump(indent, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

} // namespace daxfmap
