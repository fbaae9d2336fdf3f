// SPDX-License-Identifier: GPL-2.0-only
#include "libdaxfmap_bpf/differential.hpp"

#include <algorithm>
#include <cerrno>
#include <sstream>

#include "libdaxfmap/native_resolver.hpp"
#include "libdaxfmap/fmap_gen.hpp"

namespace daxfmap::bpf {

namespace {

std::string describe(const Resolution &r)
{
	std::ostringstream s;
	s << status_name(r.status) << " dev " << r.device << " off " << hex(r.device_offset) << " len "
	  << hex(r.length);
	return s.str();
}

void note(DiffReport &rep, std::string msg)
{
	if (rep.first_failures.size() < 10)
		rep.first_failures.push_back(std::move(msg));
}

} // namespace

std::vector<uint64_t> devices_for(const std::vector<Fmap> &files)
{
	std::vector<uint64_t> sizes;
	auto grow = [&sizes](const SimpleExtent &e) {
		if (sizes.size() <= e.device)
			sizes.resize(e.device + 1, 0);
		sizes[e.device] = std::max(sizes[e.device], e.offset + e.length);
	};
	for (const Fmap &f : files) {
		if (f.is_simple())
			std::for_each(f.simple().begin(), f.simple().end(), grow);
		else
			for (const auto &ie : f.interleaved())
				std::for_each(ie.strips.begin(), ie.strips.end(), grow);
	}
	return sizes;
}

DiffReport run_differential(const std::vector<Resolver *> &resolvers, const DiffSetup &setup)
{
	DiffReport rep;
	const size_t nres = resolvers.size();
	std::vector<std::vector<bool>> holds(nres, std::vector<bool>(setup.files.size(), true));
	for (Resolver *r : resolvers)
		rep.per_resolver.push_back({.strategy = r->strategy()});

	for (size_t s = 0; s < nres; s++) {
		auto d = resolvers[s]->set_devices(setup.devices);
		if (!d) {
			note(rep, "set_devices: " + d.error().message());
			rep.mismatches++;
			return rep;
		}
		for (size_t i = 0; i < setup.files.size(); i++) {
			auto u = resolvers[s]->upsert(i, setup.files[i]);
			if (u) {
				rep.per_resolver[s].files_held++;
				continue;
			}
			// Only a bounded layout may refuse, and only with E2BIG.
			if (u.error().errnum != E2BIG || s == 0) {
				rep.per_resolver[s].mismatches++;
				note(rep, std::string(strategy_name(resolvers[s]->strategy())) +
						  " upsert of file " + std::to_string(i) + ": " +
						  u.error().message());
				rep.mismatches++;
			}
			holds[s][i] = false;
			rep.refused_files++;
			(void)resolvers[s]->remove(i); // drop what an earlier run left there
		}
	}

	for (size_t i = 0; i < setup.files.size(); i++) {
		gen::QueryGen qg(setup.files[i], setup.seed * 1000003 + i);
		std::vector<Query> qs;
		for (const gen::Query &q : qg.batch(setup.queries_per_file))
			qs.push_back({.file_id = i, .offset = q.offset, .length = q.length});
		const size_t n = qs.size();
		std::vector<Resolution> expect(n), got(n);
		auto e = resolvers[0]->resolve_batch(qs, expect);
		if (!e) {
			note(rep, "native: " + e.error().message());
			rep.mismatches++;
			continue;
		}
		for (size_t s = 1; s < nres; s++) {
			if (!holds[s][i])
				continue;
			auto r = resolvers[s]->resolve_batch(qs, got);
			if (!r) {
				note(rep, std::string(strategy_name(resolvers[s]->strategy())) + ": " +
						  r.error().message());
				rep.mismatches++;
				rep.per_resolver[s].mismatches++;
				continue;
			}
			StrategyTally &tally = rep.per_resolver[s];
			for (size_t k = 0; k < n; k++) {
				rep.queries++;
				tally.answers++;
				const Resolution &g = got[k];
				if (!(g == expect[k])) {
					rep.mismatches++;
					tally.mismatches++;
					std::ostringstream m;
					m << strategy_name(resolvers[s]->strategy()) << " file " << i
					  << " (" << setup.files[i].extent_count() << " extents, "
					  << (setup.files[i].is_simple() ? "simple" : "interleaved")
					  << ", size " << hex(setup.files[i].file_size) << ") offset "
					  << hex(qs[k].offset) << " length " << hex(qs[k].length)
					  << ": got " << describe(g) << ", native " << describe(expect[k]);
					note(rep, m.str());
				}
				if (g.status == DAXFMAP_OK &&
				    (g.device >= setup.devices.size() ||
				     g.device_offset > setup.devices[g.device] ||
				     g.length > setup.devices[g.device] - g.device_offset)) {
					rep.outside_device++;
					tally.outside_device++;
				}
			}
		}
		rep.per_resolver[0].answers += n;
		for (size_t k = 0; k < n; k++) {
			const Resolution &x = expect[k];
			if (x.status < DAXFMAP_STATUS_MAX)
				rep.by_status[x.status]++;
			if (x.status == DAXFMAP_OK &&
			    (x.device >= setup.devices.size() || x.device_offset > setup.devices[x.device] ||
			     x.length > setup.devices[x.device] - x.device_offset))
				rep.outside_device++;
		}
	}
	return rep;
}

} // namespace daxfmap::bpf
