// SPDX-License-Identifier: GPL-2.0-only
#include "bench/output.hpp"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <map>
#include <set>
#include <sstream>
#include <tuple>
#include <sys/utsname.h>
#include <unistd.h>

namespace daxfmap::bench {

namespace {

std::string fmt(double v, int prec = 1)
{
	if (std::isnan(v))
		return "-";
	std::ostringstream s;
	if (std::fabs(v) >= 1e6)
		s << std::setprecision(3) << std::scientific << v;
	else
		s << std::fixed << std::setprecision(prec) << v;
	return s.str();
}

std::string pad(const std::string &s, size_t w, bool right)
{
	if (s.size() >= w)
		return s;
	return right ? std::string(w - s.size(), ' ') + s : s + std::string(w - s.size(), ' ');
}

std::string first_line(const std::string &s, size_t max = 70)
{
	std::string l = s.substr(0, s.find('\n'));
	return l.size() > max ? l.substr(0, max - 3) + "..." : l;
}

} // namespace

Machine describe_machine()
{
	Machine m;
	std::ifstream cpuinfo("/proc/cpuinfo");
	for (std::string line; std::getline(cpuinfo, line);)
		if (line.rfind("model name", 0) == 0) {
			m.cpu = line.substr(line.find(':') + 2);
			break;
		}
	struct utsname u {};
	if (uname(&u) == 0) {
		m.kernel = std::string(u.sysname) + " " + u.release + " " + u.machine;
		m.hostname = u.nodename;
	}
	m.cpus = static_cast<unsigned>(sysconf(_SC_NPROCESSORS_ONLN));
	m.memory_bytes = uint64_t(sysconf(_SC_PHYS_PAGES)) * uint64_t(sysconf(_SC_PAGESIZE));
	char buf[64];
	const std::time_t now = std::time(nullptr);
	std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&now));
	m.date = buf;
	return m;
}

std::vector<Scaling> scaling(const std::vector<Row> &rows)
{
	std::vector<Scaling> out;
	std::map<std::tuple<std::string, std::string, std::string, std::string, std::string>, size_t> at;
	for (const Row &r : rows) {
		if (!r.value.n)
			continue;
		const auto key = std::make_tuple(r.scenario, r.metric, r.strategy, r.layout, r.pattern);
		auto [it, fresh] = at.try_emplace(key, out.size());
		if (fresh) {
			out.push_back({r.scenario, r.metric, r.strategy, r.layout, r.pattern, r.extents, r.extents,
				       r.value.median, r.value.median, 1});
			continue;
		}
		Scaling &s = out[it->second];
		if (r.extents < s.from_extents) {
			s.from_extents = r.extents;
			s.from = r.value.median;
		}
		if (r.extents > s.to_extents) {
			s.to_extents = r.extents;
			s.to = r.value.median;
		}
	}
	std::erase_if(out, [](const Scaling &s) { return s.from_extents == s.to_extents; });
	for (Scaling &s : out)
		s.growth = s.from > 0 ? s.to / s.from : NAN;
	return out;
}

namespace {

void print_table(std::ostream &out, const std::vector<std::string> &head,
		 const std::vector<std::vector<std::string>> &cells, const std::set<size_t> &right)
{
	std::vector<size_t> w(head.size());
	for (size_t i = 0; i < head.size(); i++) {
		w[i] = head[i].size();
		for (const auto &c : cells)
			w[i] = std::max(w[i], c[i].size());
	}
	auto line = [&](const std::vector<std::string> &c) {
		for (size_t i = 0; i < c.size(); i++) {
			const bool last = i + 1 == c.size();
			out << (last ? c[i] : pad(c[i], w[i], right.count(i))) << (last ? "\n" : "  ");
		}
	};
	line(head);
	for (const auto &c : cells)
		line(c);
}

} // namespace

void print_tables(std::ostream &out, const std::vector<Row> &rows)
{
	// One table per (scenario, metric), rows in run order.
	std::vector<std::pair<std::string, std::string>> groups;
	for (const Row &r : rows)
		if (std::find(groups.begin(), groups.end(), std::make_pair(r.scenario, r.metric)) == groups.end())
			groups.emplace_back(r.scenario, r.metric);
	for (const auto &[scenario, metric] : groups) {
		out << "\n" << scenario << ": " << metric << " (median of repeats; IQR = p25..p75)\n";
		std::string baseline = "native";
		for (const Row &r : rows)
			if (r.scenario == scenario && r.metric == metric)
				baseline = r.baseline;
		std::string ratio_head = "x " + baseline;
		std::transform(ratio_head.begin(), ratio_head.end(), ratio_head.begin(), ::toupper);
		const std::vector<std::string> head{"LAYOUT", "EXTENTS", "PATTERN", "STRATEGY", "MEDIAN", "IQR",
						    "MIN..MAX", ratio_head, "NOTE"};
		std::vector<std::vector<std::string>> cells;
		for (const Row &r : rows) {
			if (r.scenario != scenario || r.metric != metric)
				continue;
			const bool has = r.value.n > 0;
			cells.push_back({r.layout, std::to_string(r.extents), r.pattern, r.strategy,
					 has ? fmt(r.value.median) + " " + r.unit : "-",
					 has ? fmt(r.value.p25) + ".." + fmt(r.value.p75) : "-",
					 has ? fmt(r.value.min) + ".." + fmt(r.value.max) : "-",
					 std::isnan(r.ratio) ? "-" : fmt(r.ratio, 2), first_line(r.note)});
		}
		print_table(out, head, cells, {1, 4, 5, 6, 7});
	}
	const std::vector<Scaling> sc = scaling(rows);
	if (sc.empty())
		return;
	out << "\nscaling: each curve's median at its most extents over its fewest\n";
	std::vector<std::vector<std::string>> cells;
	for (const Scaling &x : sc)
		cells.push_back({x.scenario, x.metric, x.layout, x.pattern, x.strategy,
				 std::to_string(x.from_extents) + ".." + std::to_string(x.to_extents),
				 fmt(x.from) + ".." + fmt(x.to), fmt(x.growth, 2)});
	print_table(out, {"SCENARIO", "METRIC", "LAYOUT", "PATTERN", "STRATEGY", "EXTENTS", "MEDIANS", "GROWTH"},
		    cells, {5, 6, 7});
}

nlohmann::ordered_json to_json(const std::vector<Row> &rows, const Machine &m, const Config &c)
{
	nlohmann::ordered_json j;
	j["machine"] = {{"cpu", m.cpu}, {"cpus", m.cpus}, {"memory_bytes", m.memory_bytes},
			{"kernel", m.kernel}, {"hostname", m.hostname}, {"date", m.date}};
	j["config"] = {{"quick", c.quick}, {"repeats", c.repeats}, {"seed", c.seed}, {"target_ms", c.target_ms},
		       {"extent_counts", c.extent_counts}};
	if (std::any_of(rows.begin(), rows.end(), [](const Row &r) { return r.scenario == "fault"; }))
		j["config"]["fault_extents"] = c.fault_extents;
	for (const Row &r : rows) {
		nlohmann::ordered_json x{{"scenario", r.scenario}, {"strategy", r.strategy}, {"layout", r.layout},
					 {"extents", r.extents}, {"ranges", r.ranges}, {"pattern", r.pattern},
					 {"metric", r.metric}, {"unit", r.unit}};
		if (r.value.n) {
			x["median"] = r.value.median;
			x["p25"] = r.value.p25;
			x["p75"] = r.value.p75;
			x["min"] = r.value.min;
			x["max"] = r.value.max;
			x["samples"] = r.value.n;
		}
		if (!std::isnan(r.ratio)) {
			x["ratio"] = r.ratio;
			x["ratio_to"] = r.baseline;
		}
		if (r.iterations)
			x["iterations"] = r.iterations;
		if (r.extra)
			x["bytes"] = r.extra;
		if (!r.note.empty())
			x["note"] = r.note;
		j["results"].push_back(x);
	}
	for (const Scaling &x : scaling(rows))
		j["scaling"].push_back({{"scenario", x.scenario}, {"metric", x.metric}, {"strategy", x.strategy},
					{"layout", x.layout}, {"pattern", x.pattern},
					{"from_extents", x.from_extents}, {"to_extents", x.to_extents},
					{"from", x.from}, {"to", x.to}, {"growth", x.growth}});
	return j;
}

std::string to_csv(const std::vector<Row> &rows)
{
	std::ostringstream s;
	s << "scenario,strategy,layout,extents,ranges,pattern,metric,unit,median,p25,p75,min,max,samples,"
	     "ratio,ratio_to,iterations,bytes,note\n";
	for (const Row &r : rows) {
		std::string note = first_line(r.note, 200);
		std::replace(note.begin(), note.end(), '"', '\'');
		s << r.scenario << ',' << r.strategy << ',' << r.layout << ',' << r.extents << ',' << r.ranges << ','
		  << r.pattern << ',' << r.metric << ',' << r.unit << ',';
		if (r.value.n)
			s << r.value.median << ',' << r.value.p25 << ',' << r.value.p75 << ',' << r.value.min << ','
			  << r.value.max << ',' << r.value.n << ',';
		else
			s << ",,,,,0,";
		s << (std::isnan(r.ratio) ? std::string() : std::to_string(r.ratio)) << ','
		  << (std::isnan(r.ratio) ? std::string() : r.baseline) << ',' << r.iterations << ','
		  << r.extra << ",\"" << note << "\"\n";
	}
	return s.str();
}

Result<std::vector<std::string>> write_plots(const std::vector<Row> &rows, const std::string &dir)
{
	if (std::system("command -v gnuplot >/dev/null 2>&1") != 0)
		return Error{.errnum = ENOENT, .field = "gnuplot", .expected = "installed (apt-get install gnuplot-nox)",
			     .found = "not on PATH: no plots"};
	std::error_code ec;
	std::filesystem::create_directories(dir, ec);
	// Curves: for each (scenario, metric, layout, pattern), value vs extents per strategy.
	std::map<std::string, std::map<std::string, std::vector<std::pair<uint32_t, double>>>> fam;
	std::map<std::string, std::string> ylabel, xlabel;
	for (const Row &r : rows) {
		if (!r.value.n || !r.extents) // not a curve over extent counts
			continue;
		if (r.scenario == "open") {
			// One plot: a curve per path and layout over the fmap's size.
			fam["open"][r.strategy + " " + r.layout].emplace_back(r.ranges, r.value.median);
			ylabel["open"] = r.metric + " (" + r.unit + ")";
			xlabel["open"] = "device ranges in the fmap (extents, or strips)";
			continue;
		}
		if (r.scenario == "fault") {
			// One plot per metric, layout and pattern: a curve per design
			// (the ratio rows are in the tables).
			if (r.unit == "x")
				continue;
			const std::string key = "fault-" + r.metric + "-" + r.layout + (r.pattern == "-" ? "" : "-" + r.pattern);
			fam[key][r.strategy].emplace_back(r.extents, r.value.median);
			ylabel[key] = r.metric + " (" + r.unit + ")";
			xlabel[key] = "extents per file";
			continue;
		}
		const std::string key = r.scenario + "-" + r.layout + (r.pattern == "-" ? "" : "-" + r.pattern);
		fam[key][r.strategy].emplace_back(r.extents, r.value.median);
		ylabel[key] = r.metric + " (" + r.unit + ")";
		xlabel[key] = "extents per file";
	}
	std::vector<std::string> written;
	for (const auto &[key, curves] : fam) {
		const std::string data = dir + "/" + key + ".dat", svg = dir + "/" + key + ".svg",
				  script = dir + "/" + key + ".gp";
		std::ofstream d(data);
		std::ofstream g(script);
		g << "set terminal svg size 800,480 dynamic enhanced font 'sans,12'\n"
		  << "set output '" << svg << "'\n"
		  << "set title '" << key << "' noenhanced\nset logscale x 2\nset format x '%.0f'\nset grid\n"
		  // Opens differ by tens of percent: a linear axis from 0 shows it.
		  << (key == "open" ? "set yrange [0:*]\n" : "set logscale y 10\n")
		  << "set xlabel '" << xlabel[key] << "'\nset ylabel '" << ylabel[key] << "' noenhanced\n"
		  << "set key outside right noenhanced\n";
		// The fault-path budget the upstream thread set for BPF's overhead.
		if (key.rfind("resolve-", 0) == 0)
			g << "set arrow from graph 0, first 100 to graph 1, first 100 nohead dashtype 2 lc rgb 'red'\n"
			  << "set label '100 ns budget' at graph 0.02, first 115 textcolor rgb 'red'\n";
		g << "plot ";
		int idx = 0;
		for (const auto &[strategy, pts] : curves) {
			d << "# " << strategy << "\n";
			for (const auto &[x, y] : pts)
				d << x << ' ' << y << "\n";
			d << "\n\n";
			g << (idx ? ", " : "") << "'" << data << "' index " << idx << " with linespoints title '"
			  << strategy << "'";
			idx++;
		}
		g << "\n";
		g.close();
		d.close();
		if (std::system(("gnuplot '" + script + "' 2>/dev/null").c_str()) == 0)
			written.push_back(svg);
	}
	return written;
}

} // namespace daxfmap::bench
