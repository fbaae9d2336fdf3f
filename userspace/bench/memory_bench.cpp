// SPDX-License-Identifier: GPL-2.0-only
// Scenario "memory": the bytes a strategy's maps take for one file, by the
// kernel's own accounting (fdinfo memlock), per extent, against the 24 bytes
// an extent takes on the wire.  Pools are sized to the file, so the figure
// is what the file needs, not a pool's spare capacity; a second figure is
// what the file adds to an instance that holds many (no page rounding).
#include "bench/fixtures.hpp"
#include "bench/scenarios.hpp"

#include <optional>

#include "libdaxfmap_bpf/layouts.hpp"

namespace daxfmap::bench {

namespace {

// Bytes one file adds to an instance: its pool run and file-table entry
// (flat, digest), its hash value (hash), its GET_FMAP reply (wire).
std::optional<uint64_t> run_bytes(bpf::Strategy s, const Fmap &f)
{
	switch (s) {
	case bpf::Strategy::Native:
		return f.wire_size();
	case bpf::Strategy::Hash:
		if (auto v = bpf::compile_hash(f, 0, 0))
			return sizeof(*v);
		return std::nullopt;
	case bpf::Strategy::Flat:
		if (auto run = bpf::compile_flat(f))
			return run->file.nentries * sizeof(daxfmap_flat_ent) + sizeof(daxfmap_file);
		return std::nullopt;
	case bpf::Strategy::Digest:
		if (auto run = bpf::compile_digest(f))
			return run->file.nentries * sizeof(daxfmap_digest_ent) + sizeof(daxfmap_file);
		return std::nullopt;
	}
	return std::nullopt;
}

} // namespace

std::vector<Row> run_memory(const Config &c)
{
	std::vector<Row> rows;
	for (Layout layout : c.layouts) {
		for (uint32_t n : c.extent_counts) {
			std::string cap;
			const Fmap f = bench_fmap(layout, n, c.seed + n, &cap);
			progress(c.progress, "memory " + std::string(layout_name(layout)) + " " +
						     std::to_string(f.extent_count()) + " extents");
			for (bpf::Strategy s : c.strategies) {
				Row row{.scenario = "memory", .strategy = std::string(bpf::strategy_name(s)),
					.layout = std::string(layout_name(layout)),
					.extents = static_cast<uint32_t>(f.extent_count()), .ranges = f.range_count(),
					.pattern = "-", .metric = "bytes_per_extent", .unit = "B", .note = cap};
				if (s == bpf::Strategy::Native) {
					// The wire form, for comparison: what GET_FMAP carries.
					row.strategy = "wire";
					row.extra = f.wire_size();
				} else {
					auto r = fitted_resolver(s, f);
					if (!r) {
						row.note = "refused: " + r.error().message();
						rows.push_back(row);
						continue;
					}
					// The strategy's own maps; the device table and the
					// batch slots are fixed per instance, not per file.
					for (const bpf::MapMemory &m : (*r)->memory())
						if (m.name != "daxfmap_batch" && m.name != "daxfmap_devices")
							row.extra += m.bytes;
				}
				const double per = double(row.extra) / double(f.range_count());
				row.value = summarize({per});
				rows.push_back(row);
				if (auto run = run_bytes(s, f)) {
					// In a pool shared by many files, a map's page rounding
					// does not matter: what one more file adds does.
					Row shared = row;
					shared.metric = "run_bytes_per_extent";
					shared.extra = *run;
					shared.value = summarize({double(*run) / double(f.range_count())});
					rows.push_back(shared);
				}
			}
		}
	}
	return rows;
}

} // namespace daxfmap::bench
