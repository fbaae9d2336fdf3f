// SPDX-License-Identifier: GPL-2.0-only
// The BPF strategies behind the Resolver interface.  Domain logic (layouts)
// is in layouts.cpp and the libbpf adapter in bpf_object.cpp; this file only
// moves compiled fmaps into the maps and queries through the programs.
#include <atomic>
#include <cerrno>
#include <cstring>
#include <mutex>
#include <sched.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "digest.skel.h"
#include "flat.skel.h"
#include "hash.skel.h"

#include "libdaxfmap_bpf/bpf_object.hpp"
#include "libdaxfmap_bpf/layouts.hpp"
#include "libdaxfmap_bpf/pin_tree.hpp"
#include "libdaxfmap_bpf/native_strategy.hpp"
#include "libdaxfmap_bpf/pool_allocator.hpp"
#include "libdaxfmap_bpf/resolver.hpp"

namespace daxfmap::bpf {

namespace {

// A lookup that keeps meeting an fmap being replaced is retried from
// userspace this many times before its STALE answer is returned.
constexpr int kStaleRetries = 1000;
// bpf_loop's own limit on iterations per call.
constexpr uint64_t kTimedChunk = DAXFMAP_TIMED_MAX_ITERATIONS;

template <typename Skel> struct SkelOps;
#define DAXFMAP_SKEL_OPS(S)                                                      \
	template <> struct SkelOps<S> {                                          \
		static S *open() { return S##__open(); }                         \
		static int load(S *s) { return S##__load(s); }                   \
		static void destroy(S *s) { S##__destroy(s); }                   \
	}
DAXFMAP_SKEL_OPS(daxfmap_hash);
DAXFMAP_SKEL_OPS(daxfmap_flat);
DAXFMAP_SKEL_OPS(daxfmap_digest);
#undef DAXFMAP_SKEL_OPS

Resolution to_resolution(const daxfmap_result &r)
{
	// A status the ABI does not define would be undefined as an enum value:
	// report it as the bounded-loop failure it can only come from.
	if (r.status >= DAXFMAP_STATUS_MAX)
		return Resolution{.status = DAXFMAP_E_LIMIT};
	return Resolution{.status = static_cast<daxfmap_status>(r.status),
			  .device = r.device,
			  .device_offset = r.device_offset,
			  .length = r.length};
}

Error sys_error(std::string field, int err)
{
	err = err < 0 ? -err : err;
	return Error{.errnum = err, .field = std::move(field),
		     .found = errno_name(err) + ": " + std::strerror(err)};
}

// What every BPF strategy shares: the skeleton, the device table, and the
// three programs over the batch map.
template <typename Skel>
class BpfStrategy : public Resolver {
public:
	~BpfStrategy() override
	{
		if (skel_)
			SkelOps<Skel>::destroy(skel_);
	}

	Result<void> set_devices(std::span<const uint64_t> sizes) override
	{
		if (sizes.size() > DAXFMAP_MAX_DEVICES)
			return Error{.errnum = E2BIG, .field = "devices",
				     .expected = "at most " + std::to_string(DAXFMAP_MAX_DEVICES),
				     .found = std::to_string(sizes.size())};
		const int fd = bpf_map__fd(skel_->maps.daxfmap_devices);
		for (uint32_t i = 0; i < DAXFMAP_MAX_DEVICES; i++) {
			daxfmap_device d{.size = i < sizes.size() ? sizes[i] : 0};
			if (bpf_map_update_elem(fd, &i, &d, BPF_ANY))
				return sys_error("device table update", errno);
		}
		return {};
	}

	Result<Resolution> resolve(const Query &q) override
	{
		daxfmap_resolve_ctx ctx{};
		for (int attempt = 0;; attempt++) {
			ctx.q = {.file_id = q.file_id, .offset = q.offset, .length = q.length};
			ctx.r = {};
			auto rc = run_syscall_prog(skel_->progs.resolve, &ctx, sizeof(ctx));
			if (!rc)
				return rc.error();
			if (ctx.r.status != DAXFMAP_E_STALE || attempt == kStaleRetries)
				return to_resolution(ctx.r);
			sched_yield(); // let the writer finish its update
		}
	}

	Result<void> resolve_batch(std::span<const Query> qs, std::span<Resolution> out) override
	{
		if (out.size() < qs.size())
			return Error{.errnum = EINVAL, .field = "results",
				     .expected = "room for every query"};
		std::lock_guard lock(batch_mu_);
		auto *slots = batch_.as<daxfmap_batch_slot>();
		for (size_t done = 0; done < qs.size();) {
			const uint32_t n = static_cast<uint32_t>(
				std::min<size_t>(qs.size() - done, DAXFMAP_BATCH_MAX));
			for (uint32_t i = 0; i < n; i++) {
				const Query &q = qs[done + i];
				slots[i].q = {.file_id = q.file_id, .offset = q.offset, .length = q.length};
				slots[i].r = {};
			}
			daxfmap_batch_ctx ctx{.first = 0, .count = n};
			auto rc = run_syscall_prog(skel_->progs.batch, &ctx, sizeof(ctx));
			if (!rc)
				return rc.error();
			if (*rc != 0)
				return Error{.errnum = EINVAL, .field = "batch program",
					     .found = "returned " + std::to_string(*rc)};
			for (uint32_t i = 0; i < n; i++) {
				out[done + i] = to_resolution(slots[i].r);
				if (slots[i].r.status == DAXFMAP_E_STALE) {
					auto again = resolve(qs[done + i]);
					if (!again)
						return again.error();
					out[done + i] = *again;
				}
			}
			done += n;
		}
		return {};
	}

	Result<TimedRun> timed(std::span<const Query> qs, uint64_t iterations) override
	{
		if (qs.empty())
			return Error{.errnum = EINVAL, .field = "queries", .expected = "at least one"};
		std::lock_guard lock(batch_mu_);
		auto *slots = batch_.as<daxfmap_batch_slot>();
		const uint32_t n = static_cast<uint32_t>(std::min<size_t>(qs.size(), DAXFMAP_BATCH_MAX));
		for (uint32_t i = 0; i < n; i++)
			slots[i].q = {.file_id = qs[i].file_id, .offset = qs[i].offset,
				      .length = qs[i].length};
		TimedRun run{.iterations = iterations};
		for (uint64_t left = iterations; left;) {
			const uint64_t k = std::min(left, kTimedChunk);
			daxfmap_timed_ctx ctx{.count = n, .iterations = k};
			auto rc = run_syscall_prog(skel_->progs.timed, &ctx, sizeof(ctx));
			if (!rc)
				return rc.error();
			if (*rc != 0)
				return Error{.errnum = EINVAL, .field = "timed program",
					     .found = "returned " + std::to_string(*rc)};
			run.elapsed_ns += ctx.elapsed_ns;
			run.checksum += ctx.checksum;
			run.errors += ctx.errors;
			left -= k;
		}
		return run;
	}

	std::vector<MapMemory> memory() const override { return object_memory(skel_->obj); }

protected:
	// Opens the skeleton, lets `size_maps` size (or reuse) the strategy's own
	// maps, loads, pins, and maps the batch slots.
	template <typename SizeMaps>
	Result<void> init(const Options &opts, SizeMaps size_maps)
	{
		// Another user's directory could hold maps of their own.
		if (opts.reuse_pinned)
			if (auto ok = check_pin_dirs(opts.pin_dir); !ok)
				return ok;
		read_only_ = opts.read_only;
		LibbpfLogCapture log;
		skel_ = SkelOps<Skel>::open();
		if (!skel_)
			return load_error("open BPF object", errno, log);
		if (auto r = prepare_map(skel_->maps.daxfmap_devices, 0, opts); !r)
			return r.error();
		if (auto r = size_maps(skel_); !r)
			return r.error();
		if (int err = SkelOps<Skel>::load(skel_))
			return load_error("load BPF programs", err, log);
		if (auto r = pin_object(skel_->obj, opts, {"daxfmap_batch"}); !r)
			return r.error();
		auto b = MappedMap::map(skel_->maps.daxfmap_batch);
		if (!b)
			return b.error();
		batch_ = std::move(*b);
		return {};
	}

	// EROFS when attached read-only.
	Result<void> writable() const
	{
		if (!read_only_)
			return {};
		return Error{.errnum = EROFS, .field = std::string(strategy_name(strategy())) + " maps",
			     .expected = "a resolver that may write", .found = "attached read-only"};
	}

	Skel *skel_ = nullptr;
	bool read_only_ = false;
	MappedMap batch_;
	std::mutex batch_mu_;  // the batch slots are this process's scratch
	std::mutex writer_mu_; // one writer at a time
};

class HashStrategy final : public BpfStrategy<daxfmap_hash> {
public:
	Strategy strategy() const override { return Strategy::Hash; }

	Result<void> open(const Options &opts)
	{
		auto r = init(opts, [&](daxfmap_hash *s) {
			return prepare_map(s->maps.daxfmap_hash_fmaps, opts.max_files, opts);
		});
		if (!r)
			return r;
		max_files_ = opts.max_files;
		if (opts.reuse_pinned)
			resume_generation();
		return {};
	}

	Result<void> upsert(uint64_t file_id, const Fmap &fmap) override
	{
		if (auto ok = writable(); !ok)
			return ok;
		std::lock_guard lock(writer_mu_);
		auto v = compile_hash(fmap, file_id, next_gen_);
		if (!v)
			return v.error();
		const int fd = bpf_map__fd(skel_->maps.daxfmap_hash_fmaps);
		// The kernel swaps the element in whole; readers check the gens.
		if (bpf_map_update_elem(fd, &file_id, &*v, BPF_ANY)) {
			if (errno == E2BIG)
				return Error{.errnum = ENOSPC, .field = "hash map",
					     .expected = "room for another file (max_files " +
							 std::to_string(max_files_) + ")",
					     .found = "full"};
			return sys_error("hash map update", errno);
		}
		next_gen_++;
		return {};
	}

	// Compiles every value first (nothing is written if one is refused), then
	// hands them to the kernel with BPF_MAP_UPDATE_BATCH.
	Result<void> upsert_many(std::span<const FileFmap> files) override
	{
		if (auto ok = writable(); !ok)
			return ok;
		std::lock_guard lock(writer_mu_);
		std::vector<uint64_t> keys;
		std::vector<daxfmap_hash_fmap> values;
		keys.reserve(files.size());
		values.reserve(files.size());
		for (const FileFmap &f : files) {
			auto v = compile_hash(*f.fmap, f.file_id, next_gen_ + values.size());
			if (!v) {
				Error e = v.error();
				e.field = "file " + std::to_string(f.file_id) + ": " + e.field;
				return e;
			}
			keys.push_back(f.file_id);
			values.push_back(*v);
		}
		const int fd = bpf_map__fd(skel_->maps.daxfmap_hash_fmaps);
		for (size_t done = 0; done < keys.size();) {
			__u32 count = static_cast<__u32>(keys.size() - done);
			LIBBPF_OPTS(bpf_map_batch_opts, opts, .elem_flags = BPF_ANY);
			if (bpf_map_update_batch(fd, &keys[done], &values[done], &count, &opts)) {
				if (errno == E2BIG || errno == ENOSPC)
					return Error{.errnum = ENOSPC, .field = "hash map",
						     .expected = "room for " + std::to_string(keys.size()) +
								 " files (max_files " + std::to_string(max_files_) + ")",
						     .found = "full after " + std::to_string(done + count)};
				return sys_error("hash map batch update", errno);
			}
			done += count;
		}
		next_gen_ += values.size();
		return {};
	}

	Result<void> remove(uint64_t file_id) override
	{
		if (auto ok = writable(); !ok)
			return ok;
		std::lock_guard lock(writer_mu_);
		const int fd = bpf_map__fd(skel_->maps.daxfmap_hash_fmaps);
		if (bpf_map_delete_elem(fd, &file_id))
			return errno == ENOENT ? Error{.errnum = ENOENT,
						       .field = "file " + std::to_string(file_id),
						       .expected = "a file in the map",
						       .found = "none"}
					       : sys_error("hash map delete", errno);
		return {};
	}

private:
	// Attached to a pinned map: continue after the highest generation in it,
	// so that generations stay unique across files.
	void resume_generation()
	{
		const int fd = bpf_map__fd(skel_->maps.daxfmap_hash_fmaps);
		uint64_t key, *prev = nullptr;
		daxfmap_hash_fmap v;
		while (bpf_map_get_next_key(fd, prev, &key) == 0) {
			if (bpf_map_lookup_elem(fd, &key, &v) == 0)
				next_gen_ = std::max<uint64_t>(next_gen_, v.gen + 1);
			prev = &key;
		}
	}

	uint64_t next_gen_ = 1;
	uint32_t max_files_ = 0;
};

template <typename Skel> struct PoolTraits;
template <> struct PoolTraits<daxfmap_flat> {
	using Entry = daxfmap_flat_ent;
	static constexpr Strategy kind = Strategy::Flat;
	static bpf_map *pool(daxfmap_flat *s) { return s->maps.daxfmap_flat_pool; }
	static Result<Run<Entry>> compile(const Fmap &f) { return compile_flat(f); }
};
template <> struct PoolTraits<daxfmap_digest> {
	using Entry = daxfmap_digest_ent;
	static constexpr Strategy kind = Strategy::Digest;
	static bpf_map *pool(daxfmap_digest *s) { return s->maps.daxfmap_digest_pool; }
	static Result<Run<Entry>> compile(const Fmap &f) { return compile_digest(f); }
};

// flat and digest: a file table switched under a seqcount, and the runs it
// points to in the pool, both written through shared mappings.
template <typename Skel>
class PoolStrategy final : public BpfStrategy<Skel> {
	using Traits = PoolTraits<Skel>;
	using Entry = typename Traits::Entry;
	using Base = BpfStrategy<Skel>;

public:
	PoolStrategy() : alloc_(0) {}

	Strategy strategy() const override { return Traits::kind; }

	Result<void> open(const Options &opts)
	{
		auto r = this->init(opts, [&](Skel *s) -> Result<void> {
			if (auto f = prepare_map(s->maps.daxfmap_files, opts.max_files, opts); !f)
				return f;
			return prepare_map(Traits::pool(s), opts.pool_entries, opts);
		});
		if (!r)
			return r;
		auto files = MappedMap::map(this->skel_->maps.daxfmap_files);
		if (!files)
			return files.error();
		auto pool = MappedMap::map(Traits::pool(this->skel_));
		if (!pool)
			return pool.error();
		files_ = std::move(*files);
		pool_ = std::move(*pool);
		nfiles_ = bpf_map__max_entries(this->skel_->maps.daxfmap_files);
		alloc_ = PoolAllocator(bpf_map__max_entries(Traits::pool(this->skel_)));
		// Attached to pinned maps: the runs already there stay allocated.
		// (A read-only attach never allocates; and its owner may move
		// runs while the table is read, which would look like overlaps.)
		daxfmap_file *ft = files_.as<daxfmap_file>();
		for (uint32_t i = 0; i < nfiles_ && !opts.read_only; i++)
			if (ft[i].nextents && !alloc_.reserve(ft[i].base, ft[i].nentries))
				return Error{.errnum = EUCLEAN,
					     .field = "file table entry " + std::to_string(i),
					     .expected = "runs that do not overlap",
					     .found = "an overlapping run"};
		return {};
	}

	Result<void> upsert(uint64_t file_id, const Fmap &fmap) override
	{
		if (auto ok = this->writable(); !ok)
			return ok;
		std::lock_guard lock(this->writer_mu_);
		if (file_id >= nfiles_)
			return bad_id(file_id);
		auto run = Traits::compile(fmap);
		if (!run)
			return run.error();
		const uint32_t n = run->file.nentries;
		auto base = alloc_.allocate(n);
		if (!base)
			return Error{.errnum = ENOSPC, .field = "pool",
				     .expected = std::to_string(n) + " free entries in a row",
				     .found = "largest free run " + std::to_string(alloc_.largest_free()) +
					      " of " + std::to_string(alloc_.capacity())};
		// The new run is invisible until the entry points at it.
		std::memcpy(pool_.as<Entry>() + *base, run->entries.data(), size_t(n) * sizeof(Entry));
		run->file.base = *base;
		daxfmap_file &e = files_.as<daxfmap_file>()[file_id];
		const daxfmap_file old = e;
		publish(e, run->file);
		if (old.nextents)
			alloc_.release(old.base, old.nentries);
		return {};
	}

	Result<void> remove(uint64_t file_id) override
	{
		if (auto ok = this->writable(); !ok)
			return ok;
		std::lock_guard lock(this->writer_mu_);
		if (file_id >= nfiles_)
			return bad_id(file_id);
		daxfmap_file &e = files_.as<daxfmap_file>()[file_id];
		const daxfmap_file old = e;
		if (!old.nextents)
			return Error{.errnum = ENOENT, .field = "file " + std::to_string(file_id),
				     .expected = "a file in the table", .found = "none"};
		publish(e, daxfmap_file{});
		alloc_.release(old.base, old.nentries);
		return {};
	}

private:
	Error bad_id(uint64_t file_id) const
	{
		return Error{.errnum = EINVAL, .field = "file id",
			     .expected = "< " + std::to_string(nfiles_) +
					 " (the file table's size; the daemon hands out dense ids)",
			     .found = std::to_string(file_id)};
	}

	// Seqcount write: odd while the fields change, then even again.  The
	// release fences order the stores for weakly ordered CPUs; on x86 they
	// only stop the compiler, as the hardware keeps stores in order.
	static void publish(daxfmap_file &e, const daxfmap_file &v)
	{
		std::atomic_ref<__u64> seq(e.seq);
		const __u64 s = seq.load(std::memory_order_relaxed);
		seq.store(s + 1, std::memory_order_relaxed);
		std::atomic_thread_fence(std::memory_order_release);
		e.ext_type = v.ext_type;
		e.nextents = v.nextents;
		e.file_size = v.file_size;
		e.base = v.base;
		e.nentries = v.nentries;
		e.shift = v.shift;
		e.nstrips_total = v.nstrips_total;
		std::atomic_thread_fence(std::memory_order_release);
		seq.store(s + 2, std::memory_order_relaxed);
	}

	MappedMap files_, pool_;
	uint32_t nfiles_ = 0;
	PoolAllocator alloc_;
};

template <typename T>
Result<std::unique_ptr<Resolver>> open_strategy(const Options &opts)
{
	auto s = std::make_unique<T>();
	if (auto r = s->open(opts); !r)
		return r.error();
	return std::unique_ptr<Resolver>(std::move(s));
}

} // namespace

Result<std::unique_ptr<Resolver>> make_resolver(Strategy s, const Options &opts)
{
	switch (s) {
	case Strategy::Native:
		return make_native_resolver();
	case Strategy::Hash:
		return open_strategy<HashStrategy>(opts);
	case Strategy::Flat:
		return open_strategy<PoolStrategy<daxfmap_flat>>(opts);
	case Strategy::Digest:
		return open_strategy<PoolStrategy<daxfmap_digest>>(opts);
	}
	return Error{.errnum = EINVAL, .field = "strategy"};
}

} // namespace daxfmap::bpf
