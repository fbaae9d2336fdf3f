// SPDX-License-Identifier: GPL-2.0-only
// The mount's fmaps kept in the BPF strategies' maps, pinned as an instance
// (/sys/fs/bpf/daxfmap/<instance>/<strategy>) with file id = inode number,
// so that `daxfmap verify MOUNTPOINT` and the benchmark can attach to them.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "libdaxfmap/fmap.hpp"
#include "libdaxfmap/result.hpp"
#include "libdaxfmap_bpf/hook_ops.hpp"
#include "libdaxfmap_bpf/pin_owner.hpp"
#include "libdaxfmap_bpf/resolver.hpp"

namespace daxfmap::daemon {

// An instance name for a mountpoint: "mnt" and its path with every character
// outside [A-Za-z0-9_.-] made '_', shortened with a hash past 64 characters.
std::string instance_for(const std::string &mountpoint);

class BpfSync {
public:
	// Loads hash, flat and digest pinned under <root>/<instance>, with this
	// process recorded as the owner (pin_owner.hpp) for `mountpoint` (empty
	// for a FUSE fd).  First unpins the orphans of earlier daemons of that
	// mountpoint (killed with -9, say).  Fails (and leaves nothing pinned)
	// if any strategy cannot load, e.g. without BPF here, if the pin tree
	// is not trusted (EPERM, ENODEV), or if the instance is pinned (EEXIST).
	static Result<std::unique_ptr<BpfSync>> load(const std::string &root, const std::string &instance,
						     const std::string &mountpoint, uint64_t device_size,
						     uint32_t max_files);
	// Unpins the instance.
	~BpfSync();

	const std::string &instance() const { return instance_; }
	// The orphans load() unpinned.
	const std::vector<bpf::Orphan> &orphans_removed() const { return orphans_; }
	// Installs or replaces a file's fmap in every strategy.  A strategy that
	// cannot hold it (hash's inline limit) is noted, not fatal: the return
	// says which strategies refused, empty when all took it.
	std::string upsert(uint64_t ino, const Fmap &fmap);
	// A mount's files at once: one batched update per strategy
	// (Resolver::upsert_many); a strategy that refuses one of them gets them
	// one at a time instead, so that it holds all it can.  Returns how many
	// (strategy, file) pairs were refused.
	size_t upsert_all(const std::vector<std::pair<uint64_t, Fmap>> &files);
	void remove(uint64_t ino);
	// How many files `s` does not hold (refused at upsert, e.g. hash past
	// its inline extents): with s bound to the kernel's hook, these are the
	// files that fall back to the message path.
	size_t not_held(bpf::Strategy s);

	// Registers strategy s with the kernel's BPF hook over this instance's
	// maps, as ops hook_ops_name(instance()), pinned in the instance
	// directory (bpf::kHookPin) so that an orphan cleanup unregisters them.
	// Returns the ops name.
	Result<std::string> register_hook(bpf::Strategy s);
	// Unregisters them (the kernel falls back to the message path); also
	// done by the destructor.
	void unregister_hook();

private:
	BpfSync() = default;
	void note(bpf::Strategy s, uint64_t ino, bool held); // with mu_ held

	std::string root_, instance_; // instance_ is set once the directory is ours
	std::vector<bpf::Orphan> orphans_;
	std::vector<std::unique_ptr<bpf::Resolver>> resolvers_;
	std::set<std::pair<bpf::Strategy, uint64_t>> refused_; // (strategy, inode) not held
	std::unique_ptr<bpf::HookOps> hook_;
	std::mutex mu_; // listener calls come from several FUSE threads
};

} // namespace daxfmap::daemon
