// SPDX-License-Identifier: GPL-2.0-only
#include "daxfmapd/bpf_sync.hpp"

#include <cerrno>
#include <functional>

#include "libdaxfmap_bpf/bpf_object.hpp"
#include "libdaxfmap_bpf/pin_tree.hpp"
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
					       const std::string &mountpoint, uint64_t device_size,
					       uint32_t max_files)
{
	if (auto ok = bpf::check_instance_name(instance); !ok)
		return ok.error();
	std::unique_ptr<BpfSync> s(new BpfSync());
	if (!mountpoint.empty()) {
		auto orphans = bpf::remove_orphans(root, mountpoint);
		if (!orphans)
			return orphans.error();
		s->orphans_ = std::move(*orphans);
	}
	const std::string dir = root + "/" + instance;
	// Making the directory claims the name; the owner record follows at once.
	if (auto c = bpf::make_pin_dirs(dir, /*fresh=*/true); !c) {
		if (c.error().errnum != EEXIST)
			return c.error();
		return Error{.errnum = EEXIST, .field = "--bpf-instance", .expected = "an instance not pinned yet",
			     .found = dir + " exists, " + bpf::describe_owner(instance, bpf::read_owner(dir))};
	}
	s->root_ = root;
	s->instance_ = instance;
	if (auto ok = bpf::record_owner(dir, bpf::daemon_owner(mountpoint)); !ok)
		return ok.error(); // the destructor unpins the directory
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
	hook_.reset(); // unregistered while its maps are still there
	resolvers_.clear();
	if (!instance_.empty())
		(void)bpf::unpin_dir(root_ + "/" + instance_);
}

std::string BpfSync::upsert(uint64_t ino, const Fmap &fmap)
{
	std::lock_guard lock(mu_);
	std::string refused;
	for (auto &r : resolvers_) {
		auto ok = r->upsert(ino, fmap);
		note(r->strategy(), ino, bool(ok));
		if (!ok)
			refused += (refused.empty() ? "" : "; ") + std::string(bpf::strategy_name(r->strategy())) +
				   ": " + ok.error().message();
	}
	return refused;
}

size_t BpfSync::upsert_all(const std::vector<std::pair<uint64_t, Fmap>> &files)
{
	std::lock_guard lock(mu_);
	std::vector<bpf::Resolver::FileFmap> batch;
	batch.reserve(files.size());
	for (const auto &[ino, fmap] : files)
		if (!fmap.empty())
			batch.push_back({ino, &fmap});
	size_t refused = 0;
	for (auto &r : resolvers_) {
		if (r->upsert_many(batch))
			continue;
		for (const auto &f : batch) {
			const bool ok = bool(r->upsert(f.file_id, *f.fmap));
			note(r->strategy(), f.file_id, ok);
			refused += !ok;
		}
	}
	return refused;
}

void BpfSync::note(bpf::Strategy s, uint64_t ino, bool held)
{
	if (held)
		refused_.erase({s, ino});
	else
		refused_.insert({s, ino});
}

void BpfSync::remove(uint64_t ino)
{
	std::lock_guard lock(mu_);
	for (auto &r : resolvers_) {
		(void)r->remove(ino); // absent (hash refused it earlier) is fine
		refused_.erase({r->strategy(), ino});
	}
}

size_t BpfSync::not_held(bpf::Strategy s)
{
	std::lock_guard lock(mu_);
	size_t n = 0;
	for (const auto &[st, ino] : refused_)
		n += st == s;
	return n;
}

void BpfSync::unregister_hook()
{
	std::lock_guard lock(mu_);
	hook_.reset();
}

Result<std::string> BpfSync::register_hook(bpf::Strategy s)
{
	std::lock_guard lock(mu_);
	hook_.reset();
	const std::string name = bpf::hook_ops_name(instance_);
	auto h = bpf::HookOps::register_ops(s, bpf::pin_dir(root_, instance_, s), name,
					    root_ + "/" + instance_ + "/" + bpf::kHookPin);
	if (!h)
		return h.error();
	hook_ = std::move(*h);
	return name;
}

} // namespace daxfmap::daemon
