// SPDX-License-Identifier: GPL-2.0-only
// Strategy "native": the reference resolver behind the Resolver interface,
// so that every strategy is driven, timed and compared the same way.
#include "libdaxfmap_bpf/native_strategy.hpp"

#include <chrono>
#include <mutex>
#include <shared_mutex>
#include <unordered_map>

namespace daxfmap::bpf {

namespace {

class NativeStrategy final : public Resolver {
public:
	Strategy strategy() const override { return Strategy::Native; }

	Result<void> set_devices(std::span<const uint64_t> sizes) override
	{
		std::unique_lock lock(mu_);
		sizes_.assign(sizes.begin(), sizes.end());
		return {};
	}

	Result<void> upsert(uint64_t file_id, const Fmap &fmap) override
	{
		std::unique_lock lock(mu_);
		files_.insert_or_assign(file_id, fmap);
		return {};
	}

	Result<void> remove(uint64_t file_id) override
	{
		std::unique_lock lock(mu_);
		files_.erase(file_id);
		return {};
	}

	Result<Resolution> resolve(const Query &q) override
	{
		std::shared_lock lock(mu_);
		return resolve_locked(q);
	}

	Result<void> resolve_batch(std::span<const Query> qs, std::span<Resolution> out) override
	{
		std::shared_lock lock(mu_);
		for (size_t i = 0; i < qs.size() && i < out.size(); i++)
			out[i] = resolve_locked(qs[i]);
		return {};
	}

	Result<TimedRun> timed(std::span<const Query> qs, uint64_t iterations) override
	{
		if (qs.empty())
			return Error{.errnum = EINVAL, .field = "queries", .expected = "at least one"};
		std::shared_lock lock(mu_);
		TimedRun run{.iterations = iterations};
		size_t next = 0;
		const auto t0 = std::chrono::steady_clock::now();
		for (uint64_t i = 0; i < iterations; i++) {
			const Resolution r = resolve_locked(qs[next]);
			if (++next == qs.size())
				next = 0;
			run.checksum += r.device_offset + r.length + r.status;
			run.errors += r.status != DAXFMAP_OK;
		}
		const auto t1 = std::chrono::steady_clock::now();
		run.elapsed_ns = static_cast<uint64_t>(
			std::chrono::duration_cast<std::chrono::nanoseconds>(t1 - t0).count());
		return run;
	}

	std::vector<MapMemory> memory() const override { return {}; }

private:
	// Same precedence as the BPF programs: a zero length before the file.
	Resolution resolve_locked(const Query &q) const
	{
		if (q.length == 0)
			return Resolution{.status = DAXFMAP_E_BAD_LENGTH};
		auto it = files_.find(q.file_id);
		if (it == files_.end())
			return Resolution{.status = DAXFMAP_E_NO_FILE};
		return resolve_native(it->second, q.offset, q.length, sizes_);
	}

	mutable std::shared_mutex mu_;
	std::unordered_map<uint64_t, Fmap> files_;
	std::vector<uint64_t> sizes_;
};

} // namespace

std::unique_ptr<Resolver> make_native_resolver()
{
	return std::make_unique<NativeStrategy>();
}

} // namespace daxfmap::bpf
