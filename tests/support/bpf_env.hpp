// SPDX-License-Identifier: GPL-2.0-only
// Whether this process can load daxfmap's BPF programs, and if not, why:
// suites that need the kernel skip with that reason instead of passing.
#pragma once

#include <optional>
#include <string>

namespace daxfmap::testing {

// nullopt when BPF works here; else the loader's message (privilege,
// kernel too old, verifier), computed once per process.
const std::optional<std::string> &bpf_unavailable();

} // namespace daxfmap::testing

// Skips the current test, loudly, when BPF cannot run here.
#define DAXFMAP_REQUIRE_BPF()                                                          \
	do {                                                                           \
		if (const auto &why_ = ::daxfmap::testing::bpf_unavailable())          \
			GTEST_SKIP() << "BPF unavailable, test SKIPPED: " << *why_;    \
	} while (0)
