// SPDX-License-Identifier: GPL-2.0-only
// The one thin adapter over libbpf: loading a generated skeleton with sized,
// optionally pinned maps; running a SEC("syscall") program; mmap-ing a map;
// the kernel's memory accounting; and turning a load failure into a message
// that says why (privilege, kernel too old, verifier) with the log's tail.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "libdaxfmap/result.hpp"
#include "libdaxfmap_bpf/resolver.hpp"

struct bpf_object;
struct bpf_map;
struct bpf_program;

namespace daxfmap::bpf {

// Captures what libbpf logs (the verifier log included) while alive.
// libbpf's print hook is process-wide by libbpf's design; the capture is
// scoped and per thread.
class LibbpfLogCapture {
public:
	LibbpfLogCapture();
	~LibbpfLogCapture();
	LibbpfLogCapture(const LibbpfLogCapture &) = delete;
	LibbpfLogCapture &operator=(const LibbpfLogCapture &) = delete;

	const std::string &text() const { return text_; }
	std::string tail(size_t lines) const;
	void append(std::string_view s) { text_ += s; }

private:
	std::string text_;
	LibbpfLogCapture *prev_;
};

// Why loading failed, as an Error naming the cause.
Error load_error(std::string_view what, int err, const LibbpfLogCapture &log);

// A shared mapping of an mmap-able array map.
class MappedMap {
public:
	MappedMap() = default;
	~MappedMap();
	MappedMap(MappedMap &&o) noexcept;
	MappedMap &operator=(MappedMap &&o) noexcept;

	static Result<MappedMap> map(const struct bpf_map *m);

	void *data() const { return addr_; }
	size_t size() const { return len_; }
	template <typename T>
	T *as() const { return static_cast<T *>(addr_); }

private:
	void *addr_ = nullptr;
	size_t len_ = 0;
};

// Kernel-accounted memory of every map of an object.
std::vector<MapMemory> object_memory(const struct bpf_object *obj);

// Before load: size a map; reuse the pinned map of the same name if asked.
Result<void> prepare_map(struct bpf_map *m, uint32_t max_entries, const Options &opts);
// After load: pin maps and programs (mode 0600) under opts.pin_dir, a trusted
// pin tree (pin_tree.hpp, made as needed), except the maps named in
// `private_maps` (per-process scratch, e.g. the batch map).
Result<void> pin_object(struct bpf_object *obj, const Options &opts,
			const std::vector<std::string> &private_maps);
// Removes everything pinned under dir (files, then the directory); refuses
// a dir in an untrusted pin tree.
Result<void> unpin_dir(const std::string &dir);

// Runs a SEC("syscall") program once with `ctx` as its context (copied
// back on return). Returns the program's return value.
Result<int> run_syscall_prog(const struct bpf_program *prog, void *ctx, size_t ctx_size);

} // namespace daxfmap::bpf
