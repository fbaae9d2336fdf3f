// SPDX-License-Identifier: GPL-2.0-only
#include "libdaxfmap_bpf/hook_ops.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>

#include <elf.h>
#include <fcntl.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "digest_hook.skel.h"
#include "flat_hook.skel.h"
#include "hash_hook.skel.h"
#include "libdaxfmap_bpf/bpf_object.hpp"

namespace daxfmap::bpf {

namespace {

Error elf_error(std::string expected, std::string found)
{
	return Error{.errnum = EINVAL, .field = "BPF object", .expected = std::move(expected),
		     .found = std::move(found)};
}

// Offset and size of the .struct_ops section's data in a 64-bit ELF.
Result<std::pair<size_t, size_t>> struct_ops_section(std::span<const uint8_t> elf)
{
	Elf64_Ehdr eh;
	if (elf.size() < sizeof(eh) || std::memcmp(elf.data(), ELFMAG, SELFMAG) != 0 ||
	    elf[EI_CLASS] != ELFCLASS64)
		return elf_error("a 64-bit ELF object", std::to_string(elf.size()) + " bytes without one");
	std::memcpy(&eh, elf.data(), sizeof(eh));
	auto section = [&](size_t i) -> std::optional<Elf64_Shdr> {
		const uint64_t at = eh.e_shoff + i * sizeof(Elf64_Shdr);
		if (eh.e_shentsize != sizeof(Elf64_Shdr) || at + sizeof(Elf64_Shdr) > elf.size())
			return std::nullopt;
		Elf64_Shdr sh;
		std::memcpy(&sh, elf.data() + at, sizeof(sh));
		return sh;
	};
	const auto names = section(eh.e_shstrndx);
	if (!names || names->sh_offset + names->sh_size > elf.size())
		return elf_error("a section name table", "none readable");
	for (size_t i = 0; i < eh.e_shnum; i++) {
		const auto sh = section(i);
		if (!sh || sh->sh_name >= names->sh_size)
			return elf_error("readable section headers", "section " + std::to_string(i) + " is not");
		const char *name = reinterpret_cast<const char *>(elf.data() + names->sh_offset + sh->sh_name);
		const size_t room = names->sh_size - sh->sh_name;
		if (strnlen(name, room) < room && std::string_view(name) == ".struct_ops") {
			if (sh->sh_type != SHT_PROGBITS || sh->sh_offset + sh->sh_size > elf.size())
				return elf_error(".struct_ops with data", "a section without");
			return std::pair{static_cast<size_t>(sh->sh_offset), static_cast<size_t>(sh->sh_size)};
		}
	}
	return elf_error("a .struct_ops section", "none");
}

} // namespace

std::span<const uint8_t> hook_object(Strategy s)
{
	size_t n = 0;
	const void *p = nullptr;
	switch (s) {
	case Strategy::Hash: p = daxfmap_hash_hook__elf_bytes(&n); break;
	case Strategy::Flat: p = daxfmap_flat_hook__elf_bytes(&n); break;
	case Strategy::Digest: p = daxfmap_digest_hook__elf_bytes(&n); break;
	case Strategy::Native: break;
	}
	return {static_cast<const uint8_t *>(p), n};
}

// The ops name bpf/<strategy>_hook.bpf.c gives (DAXFMAP_HOOK_NAME).
std::string hook_built_in_name(Strategy s)
{
	return "daxfmap_" + std::string(strategy_name(s));
}

std::string hook_ops_name(std::string_view instance)
{
	// FNV-1a: the same name for the same instance on every build.
	uint64_t h = 0xcbf29ce484222325ull;
	for (unsigned char c : instance) {
		h ^= c;
		h *= 0x100000001b3ull;
	}
	char name[kHookNameMax + 1];
	std::snprintf(name, sizeof(name), "dxf_%011llx", static_cast<unsigned long long>(h >> 20));
	return name;
}

Result<std::vector<uint8_t>> patch_ops_name(std::span<const uint8_t> elf, std::string_view from,
					    std::string_view to)
{
	if (to.empty() || to.size() > kHookNameMax)
		return Error{.errnum = EINVAL, .field = "ops name",
			     .expected = "1 to " + std::to_string(kHookNameMax) + " bytes",
			     .found = std::to_string(to.size()) + " bytes: " + quote_input(to)};
	auto sec = struct_ops_section(elf);
	if (!sec)
		return sec.error();
	const auto [off, size] = *sec;
	// The name field: `from` and its NUL, kHookNameMax + 1 bytes in all.
	std::string needle(from);
	needle.resize(kHookNameMax + 1, '\0');
	std::vector<uint8_t> out(elf.begin(), elf.end());
	size_t at = 0, hits = 0;
	for (size_t i = 0; i + needle.size() <= size; i++)
		if (std::memcmp(out.data() + off + i, needle.data(), needle.size()) == 0) {
			at = off + i;
			hits++;
		}
	if (hits != 1)
		return elf_error("the ops name " + quote_input(from) + " once in .struct_ops",
				 std::to_string(hits) + " times");
	std::memset(out.data() + at, 0, needle.size());
	std::memcpy(out.data() + at, to.data(), to.size());
	return out;
}

Result<std::unique_ptr<HookOps>> HookOps::register_ops(Strategy s, const std::string &maps_dir,
							const std::string &name, const std::string &pin_path)
{
	const std::span<const uint8_t> elf = hook_object(s);
	if (elf.empty())
		return Error{.errnum = EINVAL, .field = "--strategy", .expected = "hash, flat or digest",
			     .found = std::string(strategy_name(s))};
	// libbpf reads the buffer until the object is loaded.
	auto bytes = patch_ops_name(elf, hook_built_in_name(s), name);
	if (!bytes)
		return bytes.error();
	LibbpfLogCapture log;
	const std::string obj_name = "daxfmap_" + std::string(strategy_name(s)) + "_hook";
	LIBBPF_OPTS(bpf_object_open_opts, oo, .object_name = obj_name.c_str());
	struct bpf_object *obj = bpf_object__open_mem(bytes->data(), bytes->size(), &oo);
	if (!obj)
		return load_error("open " + obj_name, errno, log);
	auto fail = [&](Error e) -> Result<std::unique_ptr<HookOps>> {
		bpf_object__close(obj);
		return e;
	};
	// The instance's maps, so that the ops resolve what the daemon keeps in
	// them; the batch slots are per process, and the object's own .rodata
	// and .bss are not shared.
	struct bpf_map *m;
	bpf_object__for_each_map(m, obj) {
		if (bpf_map__is_internal(m) || bpf_map__type(m) == BPF_MAP_TYPE_STRUCT_OPS ||
		    std::string_view(bpf_map__name(m)) == "daxfmap_batch")
			continue;
		const std::string path = maps_dir + "/" + bpf_map__name(m);
		const int fd = bpf_obj_get(path.c_str());
		if (fd < 0)
			return fail(Error{.errnum = errno, .field = path, .expected = "a pinned map of the instance",
					  .found = std::strerror(errno)});
		const int err = bpf_map__reuse_fd(m, fd);
		::close(fd);
		if (err)
			return fail(Error{.errnum = -err, .field = path, .expected = "a map the hook can reuse",
					  .found = std::strerror(-err)});
	}
	if (int err = bpf_object__load(obj); err)
		return fail(load_error("load " + obj_name, -err, log));
	const std::string map_name = "hook_" + std::string(strategy_name(s));
	struct bpf_map *ops = bpf_object__find_map_by_name(obj, map_name.c_str());
	if (!ops)
		return fail(elf_error("a struct_ops map " + map_name, "none"));
	auto fd = register_struct_ops_map(ops, name);
	if (!fd)
		return fail(fd.error());
	std::unique_ptr<HookOps> h(new HookOps());
	h->strategy_ = s;
	h->name_ = name;
	h->map_fd_ = *fd;
	bpf_object__close(obj);
	if (bpf_obj_pin(h->map_fd_, pin_path.c_str()) != 0)
		return Error{.errnum = errno, .field = pin_path, .expected = "the registration pinned",
			     .found = std::strerror(errno)}; // h's destructor unregisters
	h->pin_path_ = pin_path;
	return h;
}

HookOps::~HookOps()
{
	if (map_fd_ >= 0) {
		const uint32_t key = 0;
		(void)bpf_map_delete_elem(map_fd_, &key);
		::close(map_fd_);
	}
	if (!pin_path_.empty())
		(void)::unlink(pin_path_.c_str());
}

Result<int> register_struct_ops_map(struct bpf_map *ops, const std::string &name)
{
	struct bpf_link *link = bpf_map__attach_struct_ops(ops);
	if (!link) {
		const int err = errno;
		return Error{.errnum = err, .field = "register ops " + name,
			     .expected = err == EEXIST ? "a name no other ops have" : "a registration",
			     .found = err == EEXIST ? "ops of that name registered already"
						    : std::strerror(err)};
	}
	// Keep the registration when the object goes: the map's owner
	// unregisters it (deleting key 0), or the next daemon does (the pin).
	bpf_link__disconnect(link);
	bpf_link__destroy(link);
	const int fd = ::fcntl(bpf_map__fd(ops), F_DUPFD_CLOEXEC, 0);
	if (fd < 0) {
		const int err = errno;
		const uint32_t key = 0;
		(void)bpf_map_delete_elem(bpf_map__fd(ops), &key);
		return Error{.errnum = err, .field = "register ops " + name,
			     .expected = "a descriptor of its map", .found = std::strerror(err)};
	}
	return fd;
}

Result<bool> unregister_pinned_ops(const std::string &pin_path)
{
	const int fd = bpf_obj_get(pin_path.c_str());
	if (fd < 0) {
		if (errno == ENOENT)
			return false;
		return Error{.errnum = errno, .field = pin_path, .expected = "a pinned hook registration",
			     .found = std::strerror(errno)};
	}
	const uint32_t key = 0;
	const int r = bpf_map_delete_elem(fd, &key);
	const int err = errno;
	::close(fd);
	// ENOENT: unregistered already (the kernel went on without it).
	if (r != 0 && err != ENOENT)
		return Error{.errnum = err, .field = pin_path, .expected = "ops that can be unregistered",
			     .found = std::strerror(err)};
	return true;
}

Result<void> remove_instance(const std::string &dir)
{
	if (auto ok = unregister_pinned_ops(dir + "/" + kHookPin); !ok)
		return ok.error();
	return unpin_dir(dir);
}

} // namespace daxfmap::bpf
