// SPDX-License-Identifier: GPL-2.0-only
#include "support/bpf_env.hpp"

#include <cstdio>

#include "libdaxfmap_bpf/resolver.hpp"

namespace daxfmap::testing {

const std::optional<std::string> &bpf_unavailable()
{
	static const std::optional<std::string> why = []() -> std::optional<std::string> {
		bpf::Options opts{.max_files = 16, .pool_entries = 1024};
		for (bpf::Strategy s : bpf::bpf_strategies()) {
			auto r = bpf::make_resolver(s, opts);
			if (!r) {
				std::string m = std::string(bpf::strategy_name(s)) + ": " +
						r.error().message();
				std::fprintf(stderr, "*** BPF suites will be SKIPPED: %s\n", m.c_str());
				return m;
			}
		}
		return std::nullopt;
	}();
	return why;
}

} // namespace daxfmap::testing
