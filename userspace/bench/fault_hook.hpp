// SPDX-License-Identifier: GPL-2.0-only
// The BPF designs the fault scenario binds a mount to (the daxfmap kernel's
// struct_ops fuse_dax_fmap_ops, registered by vm/guest/hookctl): the
// constant resolver (the hook's own cost), the strategies' struct_ops forms
// over maps this process fills, and a resolver that falls back for every
// file (GET_FMAP once, then the kernel's walk).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "libdaxfmap/fmap.hpp"
#include "libdaxfmap/result.hpp"
#include "libdaxfmap_bpf/resolver.hpp"

namespace daxfmap::bench {

enum class HookKind { Const, Fallback, Strategy };

struct HookDesign {
	std::string row;  // the rows' strategy column: bpf-const, bpf-digest, fallback-first...
	std::string ops;  // the ops' name fmapsrv binds to: daxfmap_const...
	HookKind kind = HookKind::Const;
	bpf::Strategy strategy = bpf::Strategy::Digest; // kind Strategy
};

// message, const, hash, flat, digest, fallback: the designs by name.
std::optional<HookDesign> hook_design(std::string_view name);

// One design registered with the kernel for the life of this object: the
// registration deleted (and the maps unpinned) when it goes.
class HookRegistration {
public:
	HookRegistration() = default;
	HookRegistration(const HookRegistration &) = delete;
	HookRegistration &operator=(const HookRegistration &) = delete;
	HookRegistration(HookRegistration &&o) noexcept;
	HookRegistration &operator=(HookRegistration &&o) noexcept;
	~HookRegistration();

	// Const: every file SIZE bytes at BASE on device 0.  Strategy: a fresh
	// pinned instance `instance` (pools of pool_entries) whose device 0 is
	// dev_size bytes; the files come with fill().
	static Result<HookRegistration> make(const HookDesign &d, const std::string &hookctl, uint64_t base,
					     uint64_t size, uint64_t dev_size, const std::string &instance,
					     uint32_t pool_entries);
	// The strategy's maps: one file, its id the FUSE nodeid.
	Result<void> fill(uint64_t nodeid, const Fmap &fmap);

private:
	void release();
	std::string hookctl_, kind_, instance_dir_;
	std::unique_ptr<bpf::Resolver> resolver_;
	bool registered_ = false;
};

// Runs PROGRAM ARGS...; its output is the error's "found" when it fails.
Result<void> run_tool(const std::string &program, const std::vector<std::string> &args);

} // namespace daxfmap::bench
