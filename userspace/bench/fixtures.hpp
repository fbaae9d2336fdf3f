// SPDX-License-Identifier: GPL-2.0-only
// What every scenario needs: a resolver holding one fmap, sized to fit it,
// and the queries a scenario times.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "libdaxfmap/fmap.hpp"
#include "libdaxfmap/result.hpp"
#include "libdaxfmap_bpf/resolver.hpp"

namespace daxfmap::bench {

// Pool entries strategy s (flat or digest) lays these fmaps out in, plus a
// little slack.
uint32_t pool_entries_for(bpf::Strategy s, const std::vector<const Fmap *> &fmaps);

// A resolver of strategy s holding `f` as file 0 (devices sized to fit);
// extra_pool leaves room for further runs (swaps).
Result<std::unique_ptr<bpf::Resolver>> fitted_resolver(bpf::Strategy s, const Fmap &f,
						       uint32_t extra_pool = 0);

// `n` page-sized (4 KiB) queries over file 0's mapped bytes, 4 KiB aligned:
// sequential (evenly spaced, in order) or uniformly random.
std::vector<bpf::Query> page_queries(const Fmap &f, size_t n, bool random, uint64_t seed);

void progress(std::ostream *out, const std::string &line);

} // namespace daxfmap::bench
