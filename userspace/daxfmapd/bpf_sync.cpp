// SPDX-License-Identifier: GPL-2.0-only
#include "daxfmapd/bpf_sync.hpp"

#include <cerrno>
#include <filesystem>
#include <functional>

#include "libdaxfmap_bpf/bpf_object.hpp"
#include "libdaxfmap_bpf/pinned.hpp"

namespace daxfmap::daemon {

std::string instance_for(const std::string &mountpoint)
{
	std::string name = "mnt";
	for (char c : mountpoint) {
		// bpffs refuses names with a dot (EPERM): they are kept for its
		// own files, such as maps.debug.
		const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
				c == '-';
		name += ok ? c : '_';
	}
	if (name.size() > 64) {
		char tail[20];
		std::snprintf(tail, sizeof(tail), "-%016zx", std::hash<std::string>{}(mountpoint));
		name = name.substr(0, 64 - 17) + tail;
	}
	return name;
}

Result<std::unique_ptr<BpfSync>> BpfSync::load(const std::string &root, const std::string &instance,
					       uint64_t device_size, uint32_t max_files)
{
	if (auto ok = bpf::check_instance_name(instance); !ok)
		return ok.error();
	const std::string dir = root + "/" + instance;
	std::error_code ec;
	if (std::filesystem::exists(dir, ec))
		return Error{.errnum = EEXIST, .field = "--bpf-instance", .expected = "an instance not pinned yet",
			     .found = dir + " exists (daxfmap bpf unload --instance " + instance + ")"};
	std::unique_ptr<BpfSync> s(new BpfSync());
	s->root_ = root;
	s->instance_ = instance;
	for (bpf::Strategy st : bpf::bpf_strategies()) {
		auto r = bpf::make_resolver(st, {.max_files = max_files, .pin_dir = bpf::pin_dir(root, instance, st)});
		if (!r) {
			Error e = r.error();
			e.field = std::string(bpf::strategy_name(st)) + (e.field.empty() ? "" : ": " + e.field);
			return e; // the destructor unpins what was loaded
		}
		const uint64_t sizes[] = {device_size};
		if (auto ok = (*r)->set_devices(sizes); !ok)
			return ok.error();
		s->resolvers_.push_back(std::move(*r));
	}
	return s;
}

BpfSync::~BpfSync()
{
	resolvers_.clear();
	if (!instance_.empty())
		(void)bpf::unpin_dir(root_ + "/" + instance_);
}

std::string BpfSync::upsert(uint64_t ino, const Fmap &fmap)
{
	std::lock_guard lock(mu_);
	std::string refused;
	for (auto &r : resolvers_)
		if (auto ok = r->upsert(ino, fmap); !ok)
			refused += (refused.empty() ? "" : "; ") + std::string(bpf::strategy_name(r->strategy())) +
				   ": " + ok.error().message();
	return refused;
}

void BpfSync::remove(uint64_t ino)
{
	std::lock_guard lock(mu_);
	for (auto &r : resolvers_)
		(void)r->remove(ino); // absent (hash refused it earlier) is fine
}

} // namespace daxfmap::daemon
