// SPDX-License-Identifier: GPL-2.0-only
#include "cli/fmap_io.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/fd_io.hpp"
#include "libdaxfmap/fmap_text.hpp"

namespace daxfmap::cli {

namespace {

bool ends_with(std::string_view s, std::string_view suffix)
{
	if (s.size() < suffix.size())
		return false;
	return std::equal(suffix.begin(), suffix.end(), s.end() - static_cast<ptrdiff_t>(suffix.size()),
			  [](char a, char b) { return std::tolower(static_cast<unsigned char>(a)) == b; });
}

} // namespace

std::string_view format_name(Format f)
{
	switch (f) {
	case Format::Yaml: return "yaml";
	case Format::Json: return "json";
	case Format::Wire: return "wire";
	}
	return "?";
}

std::optional<Format> parse_format(std::string_view name)
{
	if (name == "yaml" || name == "yml")
		return Format::Yaml;
	if (name == "json")
		return Format::Json;
	if (name == "wire" || name == "bin" || name == "fmap")
		return Format::Wire;
	return std::nullopt;
}

std::optional<Format> format_from_name(std::string_view path)
{
	if (ends_with(path, ".yaml") || ends_with(path, ".yml"))
		return Format::Yaml;
	if (ends_with(path, ".json"))
		return Format::Json;
	if (ends_with(path, ".bin") || ends_with(path, ".fmap"))
		return Format::Wire;
	return std::nullopt;
}

Format sniff_format(const Bytes &bytes)
{
	if (std::find(bytes.begin(), bytes.end(), uint8_t{0}) != bytes.end())
		return Format::Wire;
	auto first = std::find_if(bytes.begin(), bytes.end(),
				  [](uint8_t c) { return c != ' ' && c != '\t' && c != '\n' && c != '\r'; });
	if (first != bytes.end() && *first == '{')
		return Format::Json;
	return Format::Yaml;
}

uint64_t max_input_bytes(const Limits &limits)
{
	// Text is always the larger form of an fmap.
	return std::max(max_text_bytes(limits), limits.max_reply_bytes);
}

Result<Bytes> read_bytes(const std::string &path, const Limits &limits)
{
	const bool is_stdin = path == "-";
	Fd fd(is_stdin ? STDIN_FILENO : ::open(path.c_str(), O_RDONLY | O_CLOEXEC));
	if (fd.get() < 0)
		return sys_error(errno, path, "cannot open");
	if (is_stdin)
		(void)fd.release(); // not ours to close
	const int raw = is_stdin ? STDIN_FILENO : fd.get();

	struct stat st {};
	if (::fstat(raw, &st) < 0)
		return sys_error(errno, path, "cannot stat");
	if (S_ISDIR(st.st_mode))
		return sys_error(EISDIR, path, "cannot read");

	const uint64_t cap = max_input_bytes(limits);
	auto too_large = [&](const std::string &found) {
		std::string expected = "an fmap file of at most " + std::to_string(cap) + " bytes (" +
				       format_size(cap) + ", the largest fmap --profile " + std::string(limits.name) +
				       " accepts, as text)";
		const Limits &extended = limits_for(Profile::Extended);
		if (limits.profile != Profile::Extended)
			expected += "; --profile extended reads up to " + format_size(max_input_bytes(extended));
		return Error{.errnum = EFBIG, .field = path, .expected = expected, .found = found};
	};
	// st_size may lie (/proc files say 0), so the cap holds for the reads too.
	if (S_ISREG(st.st_mode) && static_cast<uint64_t>(st.st_size) > cap)
		return too_large(std::to_string(st.st_size) + " bytes");

	Bytes data;
	if (S_ISREG(st.st_mode))
		data.reserve(static_cast<size_t>(st.st_size));
	uint8_t buf[65536];
	// One byte past the cap tells a file of exactly the cap from a larger one.
	while (data.size() <= cap) {
		const size_t want = static_cast<size_t>(std::min<uint64_t>(sizeof(buf), cap + 1 - data.size()));
		const ssize_t n = ::read(raw, buf, want);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return sys_error(errno, path, "cannot read");
		if (n == 0)
			return data;
		data.insert(data.end(), buf, buf + n);
	}
	return too_large("more");
}

Result<Input> read_input(const std::string &path, std::optional<Format> forced, const Limits &limits)
{
	auto bytes = read_bytes(path, limits);
	if (!bytes)
		return bytes.error();
	Input in;
	in.path = path;
	in.format = forced ? *forced : format_from_name(path).value_or(sniff_format(*bytes));
	in.bytes = std::move(*bytes);
	return in;
}

Result<Loaded> parse_input(Input input, const Limits &limits)
{
	Loaded l;
	if (input.format == Format::Wire) {
		auto d = decode_fmap(input.bytes, limits);
		if (!d)
			return d.error();
		l.record.fmap = std::move(d->fmap);
		l.wire_consumed = d->consumed;
	} else {
		std::string_view text(reinterpret_cast<const char *>(input.bytes.data()), input.bytes.size());
		auto rec = input.format == Format::Json ? parse_json(text) : parse_yaml(text);
		if (!rec)
			return rec.error();
		l.record = std::move(*rec);
	}
	l.input = std::move(input);
	return l;
}

std::string render(const FileRecord &rec, Format f)
{
	switch (f) {
	case Format::Yaml: return to_yaml(rec);
	case Format::Json: return to_json(rec);
	case Format::Wire: {
		Bytes b = encode_fmap(rec.fmap);
		return std::string(b.begin(), b.end());
	}
	}
	return {};
}

} // namespace daxfmap::cli
