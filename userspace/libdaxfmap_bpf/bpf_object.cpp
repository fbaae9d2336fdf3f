// SPDX-License-Identifier: GPL-2.0-only
#include "libdaxfmap_bpf/bpf_object.hpp"
#include "libdaxfmap_bpf/pin_tree.hpp"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

namespace daxfmap::bpf {

namespace {

thread_local LibbpfLogCapture *t_capture = nullptr;

int print_to_capture(enum libbpf_print_level level, const char *fmt, va_list args)
{
	if (!t_capture)
		return 0;
	(void)level;
	char buf[4096];
	va_list copy;
	va_copy(copy, args);
	const int n = std::vsnprintf(buf, sizeof(buf), fmt, copy);
	va_end(copy);
	if (n > 0)
		t_capture->append(std::string_view(buf, std::min<size_t>(n, sizeof(buf) - 1)));
	return n;
}

std::string errno_text(int err)
{
	return errno_name(err) + ": " + std::strerror(err);
}

} // namespace

LibbpfLogCapture::LibbpfLogCapture() : prev_(t_capture)
{
	t_capture = this;
	libbpf_set_print(print_to_capture);
}

LibbpfLogCapture::~LibbpfLogCapture()
{
	t_capture = prev_;
}

std::string LibbpfLogCapture::tail(size_t lines) const
{
	size_t pos = text_.size();
	size_t seen = 0;
	while (pos > 0 && seen <= lines) {
		pos = text_.rfind('\n', pos - 1);
		if (pos == std::string::npos) {
			pos = 0;
			break;
		}
		seen++;
	}
	return text_.substr(pos == 0 ? 0 : pos + 1);
}

Error load_error(std::string_view what, int err, const LibbpfLogCapture &log)
{
	err = err < 0 ? -err : err;
	const std::string &t = log.text();
	// The verifier answers a rejected program with EACCES or EINVAL too:
	// a verifier log decides before the errno does.
	std::string why;
	if (t.find("unknown func") != std::string::npos ||
	    t.find("invalid func") != std::string::npos ||
	    t.find("program of this type cannot use helper") != std::string::npos)
		why = "kernel too old: a BPF helper this program needs is missing";
	else if (t.find("-- BEGIN PROG LOAD LOG --") != std::string::npos)
		why = "the verifier rejected the program";
	else if (err == EPERM || err == EACCES)
		why = "no privilege for BPF (run as root, or with CAP_BPF and CAP_PERFMON)";
	else if (err == ENOSYS || err == EOPNOTSUPP ||
		 t.find("unknown BPF_PROG_TYPE") != std::string::npos)
		why = "kernel too old or BPF disabled: program or map type not supported";
	else
		why = "loading failed";
	std::string found = errno_text(err);
	const std::string tail = log.tail(12);
	if (!tail.empty())
		found += "; libbpf/verifier log tail:\n" + tail;
	return Error{.errnum = err, .field = std::string(what), .expected = why, .found = found};
}

MappedMap::~MappedMap()
{
	if (addr_)
		munmap(addr_, len_);
}

MappedMap::MappedMap(MappedMap &&o) noexcept : addr_(o.addr_), len_(o.len_)
{
	o.addr_ = nullptr;
	o.len_ = 0;
}

MappedMap &MappedMap::operator=(MappedMap &&o) noexcept
{
	if (this != &o) {
		if (addr_)
			munmap(addr_, len_);
		addr_ = o.addr_;
		len_ = o.len_;
		o.addr_ = nullptr;
		o.len_ = 0;
	}
	return *this;
}

Result<MappedMap> MappedMap::map(const struct bpf_map *m)
{
	const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
	const size_t bytes = size_t(bpf_map__value_size(m)) * bpf_map__max_entries(m);
	MappedMap mm;
	mm.len_ = (bytes + page - 1) / page * page;
	void *p = mmap(nullptr, mm.len_, PROT_READ | PROT_WRITE, MAP_SHARED, bpf_map__fd(m), 0);
	if (p == MAP_FAILED)
		return Error{.errnum = errno,
			     .field = std::string("mmap of map ") + bpf_map__name(m),
			     .found = errno_text(errno)};
	mm.addr_ = p;
	return mm;
}

std::vector<MapMemory> object_memory(const struct bpf_object *obj)
{
	std::vector<MapMemory> out;
	const struct bpf_map *m;
	bpf_object__for_each_map(m, obj)
	{
		// Skip libbpf's internal maps (.rodata, .bss): they hold no fmaps.
		if (bpf_map__is_internal(m))
			continue;
		MapMemory mem{.name = bpf_map__name(m),
			      .max_entries = bpf_map__max_entries(m),
			      .value_size = bpf_map__value_size(m)};
		std::ifstream in("/proc/self/fdinfo/" + std::to_string(bpf_map__fd(m)));
		std::string key;
		while (in >> key) {
			if (key == "memlock:") {
				in >> mem.bytes;
				break;
			}
		}
		out.push_back(mem);
	}
	return out;
}

Result<void> prepare_map(struct bpf_map *m, uint32_t max_entries, const Options &opts)
{
	if (max_entries && bpf_map__set_max_entries(m, max_entries))
		return Error{.errnum = EINVAL,
			     .field = std::string("map ") + bpf_map__name(m) + " max_entries",
			     .found = std::to_string(max_entries)};
	if (!opts.reuse_pinned)
		return {};
	const std::string path = opts.pin_dir + "/" + bpf_map__name(m);
	const int fd = bpf_obj_get(path.c_str());
	if (fd < 0)
		return Error{.errnum = errno,
			     .field = "pinned map " + path,
			     .expected = "a map pinned by `daxfmap bpf load`",
			     .found = errno_text(errno)};
	const int err = bpf_map__reuse_fd(m, fd);
	close(fd); // reuse_fd dups it
	if (err)
		return Error{.errnum = -err, .field = "pinned map " + path,
			     .expected = "a map of the same type and size",
			     .found = errno_text(-err)};
	return {};
}

Result<void> pin_object(struct bpf_object *obj, const Options &opts,
			const std::vector<std::string> &private_maps)
{
	if (opts.pin_dir.empty() || opts.reuse_pinned)
		return {};
	if (auto ok = make_pin_dirs(opts.pin_dir); !ok)
		return ok;
	struct bpf_map *m;
	bpf_object__for_each_map(m, obj)
	{
		if (bpf_map__is_internal(m))
			continue;
		const std::string name = bpf_map__name(m);
		bool skip = false;
		for (const auto &p : private_maps)
			skip |= p == name;
		if (skip)
			continue;
		const std::string path = opts.pin_dir + "/" + name;
		if (int err = bpf_map__pin(m, path.c_str()))
			return Error{.errnum = -err, .field = "pin " + path, .found = errno_text(-err)};
		chmod(path.c_str(), 0600);
	}
	struct bpf_program *p;
	bpf_object__for_each_program(p, obj)
	{
		const std::string path = opts.pin_dir + "/prog_" + bpf_program__name(p);
		if (int err = bpf_program__pin(p, path.c_str()))
			return Error{.errnum = -err, .field = "pin " + path, .found = errno_text(-err)};
		chmod(path.c_str(), 0600);
	}
	return {};
}

Result<void> unpin_dir(const std::string &dir)
{
	std::error_code ec;
	if (!std::filesystem::exists(std::filesystem::symlink_status(dir, ec)))
		return Error{.errnum = ENOENT, .field = dir, .expected = "a pinned daxfmap instance",
			     .found = "nothing there"};
	// Only what root alone controls: never another user's directory.
	if (auto ok = check_pin_dirs(dir, PinAccess::Write); !ok)
		return ok;
	// bpffs entries are removed with unlink; remove_all does that.
	std::filesystem::remove_all(dir, ec);
	if (ec)
		return Error{.errnum = ec.value(), .field = "unpin " + dir, .found = ec.message()};
	return {};
}

Result<int> run_syscall_prog(const struct bpf_program *prog, void *ctx, size_t ctx_size)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts, .ctx_in = ctx,
		    .ctx_size_in = static_cast<__u32>(ctx_size));
	const int err = bpf_prog_test_run_opts(bpf_program__fd(prog), &opts);
	if (err)
		return Error{.errnum = -err,
			     .field = std::string("BPF_PROG_TEST_RUN of ") + bpf_program__name(prog),
			     .found = errno_text(-err)};
	return static_cast<int>(opts.retval);
}

} // namespace daxfmap::bpf
