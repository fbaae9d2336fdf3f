// SPDX-License-Identifier: GPL-2.0-only
// A legacy struct_ops registration on the host kernel, standing in for the
// daxfmap kernel's fuse_dax_fmap_ops one in tests of its cleanup: a TCP
// congestion control (tests/bpf/legacy_ops_probe.bpf.c) registered under a
// name of the test's own.  Like the hook's ops it outlives its pin and its
// process; /proc/sys/net/ipv4/tcp_available_congestion_control shows whether
// it is still registered.  Unregistered when the probe goes, whatever the
// code under test did.
#pragma once

#include <memory>
#include <string>

#include "libdaxfmap/result.hpp"

namespace daxfmap::testing {

class LegacyOpsProbe {
public:
	// Registers the probe as `name` (at most 15 bytes).
	static Result<std::unique_ptr<LegacyOpsProbe>> register_as(const std::string &name);
	~LegacyOpsProbe();
	LegacyOpsProbe(const LegacyOpsProbe &) = delete;
	LegacyOpsProbe &operator=(const LegacyOpsProbe &) = delete;

	// Pins the registration's map at `path`, as daxfmapd pins its ops.
	Result<void> pin(const std::string &path) const;
	// Whether the kernel lists the name as a congestion control.
	bool registered() const;
	const std::string &name() const { return name_; }

private:
	LegacyOpsProbe() = default;
	int map_fd_ = -1;
	std::string name_;
};

// A name no other test process registers: "dxft" and the pid in hex.
std::string probe_name(const char *tag);

} // namespace daxfmap::testing
