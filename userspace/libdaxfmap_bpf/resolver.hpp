// SPDX-License-Identifier: GPL-2.0-only
// One interface over every resolver strategy: the native reference resolver
// in userspace and the BPF strategies in the kernel.  The differential
// tests, the CLI and the benchmark drive them all through it.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "libdaxfmap/fmap.hpp"
#include "libdaxfmap/native_resolver.hpp"
#include "libdaxfmap/result.hpp"

namespace daxfmap::bpf {

enum class Strategy { Native, Hash, Flat, Digest };

std::string_view strategy_name(Strategy s);
std::optional<Strategy> parse_strategy(std::string_view name);
// native, hash, flat, digest
std::span<const Strategy> all_strategies();
// hash, flat, digest
std::span<const Strategy> bpf_strategies();

struct Query {
	uint64_t file_id = 0;
	uint64_t offset = 0;
	uint64_t length = 0;
};

struct TimedRun {
	uint64_t iterations = 0;
	uint64_t elapsed_ns = 0; // measured where the lookups run (in-kernel for BPF)
	uint64_t checksum = 0;
	uint64_t errors = 0;     // lookups whose status was not OK
};

// One map's memory as the kernel accounts it (fdinfo "memlock").
struct MapMemory {
	std::string name;
	uint64_t bytes = 0;
	uint32_t max_entries = 0;
	uint32_t value_size = 0;
};

struct Options {
	uint32_t max_files = 65536;      // hash entries / file-table slots
	uint32_t pool_entries = 1u << 21; // flat/digest pool capacity, in entries
	std::string pin_dir;             // pin maps and programs here (empty: don't)
	bool reuse_pinned = false;       // attach to the maps pinned in pin_dir (a trusted pin tree)
	// Attached only to query (verify): writes are refused (EROFS), and the
	// pool's runs are not tracked, so an owner updating them meanwhile
	// cannot make the attach fail.
	bool read_only = false;
};

class Resolver {
public:
	virtual ~Resolver() = default;

	virtual Strategy strategy() const = 0;
	// Device sizes by index (0 = no device); resolutions are bounded by them.
	virtual Result<void> set_devices(std::span<const uint64_t> sizes) = 0;
	// Installs or atomically replaces a file's fmap: a concurrent lookup sees
	// the old fmap or the new one, never a mix.
	virtual Result<void> upsert(uint64_t file_id, const Fmap &fmap) = 0;
	// Installs many files at once (a mount's replay): one batched map update
	// where the strategy has one.  Stops at the first file it cannot hold,
	// naming it; the files before it are installed.
	struct FileFmap {
		uint64_t file_id;
		const Fmap *fmap;
	};
	virtual Result<void> upsert_many(std::span<const FileFmap> files);
	virtual Result<void> remove(uint64_t file_id) = 0;
	// The Result fails only if the resolver could not run (a syscall failed);
	// the Resolution's status is the resolver's answer.
	virtual Result<Resolution> resolve(const Query &q) = 0;
	virtual Result<void> resolve_batch(std::span<const Query> qs, std::span<Resolution> out) = 0;
	// `iterations` lookups cycling over qs, timed where they run.
	virtual Result<TimedRun> timed(std::span<const Query> qs, uint64_t iterations) = 0;
	virtual std::vector<MapMemory> memory() const = 0;
};

Result<std::unique_ptr<Resolver>> make_resolver(Strategy s, const Options &opts = {});

} // namespace daxfmap::bpf
