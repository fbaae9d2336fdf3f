// SPDX-License-Identifier: GPL-2.0-only
#include "cli/fmap_io.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "libdaxfmap/fmap_text.hpp"

namespace daxfmap::cli {

namespace {

// Larger than any fmap daxfmap accepts in any format (1M extents of YAML is
// about 80 MiB); a bound so that a wrong path (a disk image) fails quickly.
constexpr uint64_t kMaxInputBytes = 1ull << 30;

Error sys_error(int errnum, const std::string &path, const std::string &what)
{
	return Error{.errnum = errnum, .field = path, .expected = {}, .found = what + ": " + std::strerror(errnum)};
}

bool ends_with(std::string_view s, std::string_view suffix)
{
	if (s.size() < suffix.size())
		return false;
	return std::equal(suffix.begin(), suffix.end(), s.end() - static_cast<ptrdiff_t>(suffix.size()),
			  [](char a, char b) { return std::tolower(static_cast<unsigned char>(a)) == b; });
}

// Closes a descriptor on every path out of a function.
class Fd {
public:
	explicit Fd(int fd) : fd_(fd) {}
	~Fd()
	{
		if (fd_ >= 0)
			::close(fd_);
	}
	Fd(const Fd &) = delete;
	Fd &operator=(const Fd &) = delete;
	int get() const { return fd_; }
	int release()
	{
		int fd = fd_;
		fd_ = -1;
		return fd;
	}

private:
	int fd_;
};

Result<void> write_all(int fd, std::string_view data, const std::string &path)
{
	while (!data.empty()) {
		ssize_t n = ::write(fd, data.data(), data.size());
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return sys_error(errno, path, "cannot write");
		}
		data.remove_prefix(static_cast<size_t>(n));
	}
	return {};
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

Result<Bytes> read_bytes(const std::string &path)
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

	Bytes data;
	if (S_ISREG(st.st_mode)) {
		if (static_cast<uint64_t>(st.st_size) > kMaxInputBytes)
			return Error{.errnum = EFBIG,
				     .field = path,
				     .expected = "an fmap file of at most 1 GiB",
				     .found = std::to_string(st.st_size) + " bytes"};
		data.reserve(static_cast<size_t>(st.st_size));
	}
	uint8_t buf[65536];
	for (;;) {
		ssize_t n = ::read(raw, buf, sizeof(buf));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return sys_error(errno, path, "cannot read");
		}
		if (n == 0)
			break;
		if (data.size() + static_cast<size_t>(n) > kMaxInputBytes)
			return Error{.errnum = EFBIG,
				     .field = path,
				     .expected = "an fmap file of at most 1 GiB",
				     .found = "more"};
		data.insert(data.end(), buf, buf + n);
	}
	return data;
}

Result<Input> read_input(const std::string &path, std::optional<Format> forced)
{
	auto bytes = read_bytes(path);
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

Result<void> write_atomic(const std::string &path, std::string_view data)
{
	if (path == "-") {
		if (std::fwrite(data.data(), 1, data.size(), stdout) != data.size() || std::fflush(stdout) != 0)
			return sys_error(errno ? errno : EIO, "stdout", "cannot write");
		return {};
	}

	// Same directory, so that rename() is atomic and never crosses devices.
	const auto slash = path.rfind('/');
	const std::string dir = slash == std::string::npos ? "." : path.substr(0, slash + 1);
	const std::string base = slash == std::string::npos ? path : path.substr(slash + 1);
	if (base.empty())
		return sys_error(EISDIR, path, "cannot write");
	std::string tmp = (slash == std::string::npos ? "" : dir) + "." + base + ".tmp.XXXXXX";

	// Keep the mode of a file being replaced; new files get 0644.
	mode_t mode = 0644;
	struct stat st {};
	if (::stat(path.c_str(), &st) == 0) {
		if (S_ISDIR(st.st_mode))
			return sys_error(EISDIR, path, "cannot write");
		mode = st.st_mode & 07777;
	}

	Fd fd(::mkstemp(tmp.data()));
	if (fd.get() < 0)
		return sys_error(errno, path, "cannot create a temporary file in " + dir);
	auto fail = [&](Error e) -> Result<void> {
		::unlink(tmp.c_str());
		return e;
	};
	if (auto r = write_all(fd.get(), data, path); !r)
		return fail(r.error());
	if (::fchmod(fd.get(), mode) < 0)
		return fail(sys_error(errno, path, "cannot set the mode of " + tmp));
	if (::fsync(fd.get()) < 0)
		return fail(sys_error(errno, path, "cannot sync " + tmp));
	if (::close(fd.release()) < 0)
		return fail(sys_error(errno, path, "cannot close " + tmp));
	if (::rename(tmp.c_str(), path.c_str()) < 0)
		return fail(sys_error(errno, path, "cannot rename " + tmp + " to it"));
	return {};
}

} // namespace daxfmap::cli
