// SPDX-License-Identifier: GPL-2.0-only
// The mount may be in use while it is verified: files come and go, and the
// file system reuses a freed inode number (the BPF file id) with a new
// generation.  So each file is read from one open descriptor as (inode,
// generation, fmap), its queries are run through every strategy, and its
// generation is read again: if it changed, the answers may belong to
// another file and the file is read again; a file that vanished is skipped
// and counted.  Within one generation a file's fmap never changes and the
// daemon keeps the maps in step with it, so what is left to differ is a
// real mismatch.
#include "cli/verify_mount.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <memory>
#include <optional>
#include <ostream>
#include <sstream>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <linux/fuse_dax_fmap.h>
#include <nlohmann/json.hpp>

#include "cli/report.hpp"
#include "cli/table.hpp"
#include "daxfmapd/client.hpp"
#include "libdaxfmap/fmap_gen.hpp"
#include "libdaxfmap/limits.hpp"
#include "libdaxfmap/wire_codec.hpp"
#include "libdaxfmap_bpf/pinned.hpp"

namespace daxfmap::cli {

namespace {

// Reads of a file that keeps changing under us before it is skipped.
constexpr int kAttempts = 5;

// The errors of a file that went, or whose inode number went to another
// file (the kernel then marks the old inode bad: EIO), while it was read.
bool vanishing(int err)
{
	return err == ENOENT || err == ESTALE || err == EIO;
}

struct Checked {
	uint64_t ino = 0;
	Fmap fmap;
	std::vector<bpf::Query> queries;
	std::vector<std::vector<Resolution>> got; // by strategy
};

enum class Verdict { Checked, Empty, Vanished, Changed };

struct FileCheck {
	Verdict verdict = Verdict::Vanished;
	Checked c;
};

struct Context {
	const VerifyMountOptions &o;
	std::vector<std::unique_ptr<bpf::Resolver>> &resolvers;
};

// One attempt on an open file.  An Error with a vanishing errno means: try
// the path again.
Result<FileCheck> check_open(const Context &cx, int fd, const std::string &path)
{
	struct stat st;
	if (::fstat(fd, &st) != 0)
		return daemon::sys_error(errno, path, "fstat");
	if (!S_ISREG(st.st_mode))
		return FileCheck{.verdict = Verdict::Vanished}; // the name is a directory's now
	auto gen = daemon::get_xattr(fd, path, daemon::kXattrGeneration);
	if (!gen)
		return gen.error();
	auto bytes = daemon::get_xattr(fd, path, daemon::kXattrFmap);
	if (!bytes)
		return bytes.error();
	// An empty file's fmap (no space yet) has no extents, which no profile
	// decodes: seen in the header.
	fuse_dax_fmap_header h{};
	std::memcpy(&h, bytes->data(), std::min(bytes->size(), sizeof(h)));
	const bool empty = bytes->size() >= sizeof(h) && h.nextents == 0 && h.file_size == 0;
	auto d = decode_fmap({reinterpret_cast<const uint8_t *>(bytes->data()), bytes->size()},
			     limits_for(Profile::Extended));
	if (!d || empty) {
		// Maybe another file's, under a reused number: only an fmap of
		// the generation read before counts.
		auto again = daemon::get_xattr(fd, path, daemon::kXattrGeneration);
		if (!again)
			return again.error();
		if (*again != *gen)
			return FileCheck{.verdict = Verdict::Changed};
		if (!empty)
			return d.error();
		return FileCheck{.verdict = Verdict::Empty}; // nothing to resolve
	}
	FileCheck fc{.verdict = Verdict::Checked, .c = {.ino = st.st_ino, .fmap = std::move(d->fmap)}};
	gen::QueryGen qgen(fc.c.fmap, cx.o.seed ^ fc.c.ino);
	for (const gen::Query &q : qgen.batch(cx.o.queries))
		fc.c.queries.push_back({fc.c.ino, q.offset, q.length});
	for (auto &r : cx.resolvers) {
		std::vector<Resolution> got(fc.c.queries.size());
		if (auto ok = r->resolve_batch(fc.c.queries, got); !ok)
			// A failed syscall, not a file going away: an errno that
			// vanishing() does not retry.
			return Error{.errnum = EPROTO, .field = std::string(bpf::strategy_name(r->strategy())),
				     .found = ok.error().message()};
		fc.c.got.push_back(std::move(got));
	}
	auto after = daemon::get_xattr(fd, path, daemon::kXattrGeneration);
	if (!after)
		return after.error();
	if (*after != *gen)
		return FileCheck{.verdict = Verdict::Changed};
	return fc;
}

Result<FileCheck> check_file(const Context &cx, const std::string &path)
{
	int last_err = 0;
	for (int attempt = 0; attempt < kAttempts; attempt++) {
		const int fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0) {
			if (errno == ENOENT)
				return FileCheck{.verdict = Verdict::Vanished};
			if (!vanishing(errno))
				return daemon::sys_error(errno, path, "open");
			last_err = errno;
			continue;
		}
		auto r = check_open(cx, fd, path);
		::close(fd);
		if (r && r->verdict != Verdict::Changed)
			return r;
		if (!r && !vanishing(r.error().errnum))
			return r;
		last_err = r ? 0 : r.error().errnum;
	}
	// Still EIO from fresh descriptors: not a file coming and going.
	if (last_err == EIO)
		return daemon::sys_error(EIO, path, "reading its fmap keeps failing");
	return FileCheck{.verdict = Verdict::Changed};
}

// The regular files under dir; a directory that vanished meanwhile is
// passed over.
Result<void> walk(const std::string &dir, std::vector<std::string> &files)
{
	namespace fs = std::filesystem;
	std::error_code ec;
	std::vector<std::string> subdirs;
	fs::directory_iterator it(dir, ec);
	for (; !ec && it != fs::directory_iterator(); it.increment(ec)) {
		const fs::file_type t = it->symlink_status(ec).type();
		if (ec)
			break;
		if (t == fs::file_type::directory)
			subdirs.push_back(it->path().string());
		else if (t == fs::file_type::regular)
			files.push_back(it->path().string());
	}
	if (ec && ec.value() != ENOENT && ec.value() != ENOTDIR)
		return daemon::sys_error(ec.value(), dir, "cannot walk the mount");
	for (const std::string &d : subdirs)
		if (auto ok = walk(d, files); !ok)
			return ok;
	return {};
}

struct Tally {
	bpf::Strategy s;
	uint64_t answers = 0, mismatches = 0, not_held = 0;
};

} // namespace

int verify_mount(Io &io, const VerifyMountOptions &o)
{
	const std::string &mnt = o.mountpoint;
	auto inst = daemon::get_xattr(mnt, daemon::kXattrBpfInstance);
	if (!inst) {
		Error e = inst.error();
		if (e.errnum == ENODATA)
			e.found = "the daemon has no BPF instance (mounted with --no-bpf, or BPF unavailable)";
		else if (e.errnum == ENOTSUP)
			e.found = "not a daxfmap mount";
		print_failure(io, "verify", e);
		return kExitUsage;
	}
	auto dsize = daemon::get_xattr(mnt, daemon::kXattrDeviceSize);
	if (!dsize) {
		print_failure(io, "verify", dsize.error());
		return kExitUsage;
	}
	const std::vector<uint64_t> sizes{std::stoull(*dsize)};

	// The daemon's maps as they are, read-only: nothing is written to them.
	std::vector<std::unique_ptr<bpf::Resolver>> resolvers;
	std::vector<Tally> tallies;
	for (bpf::Strategy s : o.strategies) {
		auto r = bpf::make_resolver(s, {.pin_dir = bpf::pin_dir(o.bpffs_root, *inst, s),
						.reuse_pinned = true, .read_only = true});
		if (!r) {
			io.err << "daxfmap verify: " << bpf::strategy_name(s) << " of instance " << *inst << ": "
			       << r.error().message() << "\n";
			return kExitUsage;
		}
		resolvers.push_back(std::move(*r));
		tallies.push_back({s});
	}

	std::vector<std::string> paths;
	if (auto ok = walk(mnt, paths); !ok) {
		print_failure(io, "verify", ok.error());
		return kExitUsage;
	}
	std::sort(paths.begin(), paths.end());
	const Context cx{o, resolvers};
	uint64_t checked = 0, skipped = 0;
	std::vector<std::string> failures;
	for (const std::string &path : paths) {
		auto fc = check_file(cx, path);
		if (!fc) {
			print_failure(io, "verify", fc.error());
			return kExitUsage;
		}
		if (fc->verdict == Verdict::Empty)
			continue;
		if (fc->verdict != Verdict::Checked) {
			skipped++;
			continue;
		}
		checked++;
		const Checked &c = fc->c;
		for (size_t k = 0; k < tallies.size(); k++) {
			Tally &t = tallies[k];
			const std::vector<Resolution> &got = c.got[k];
			if (std::all_of(got.begin(), got.end(), [](const Resolution &x) { return x.status == DAXFMAP_E_NO_FILE; })) {
				t.not_held++; // e.g. over hash's inline limits: refused at upsert
				continue;
			}
			for (size_t i = 0; i < c.queries.size(); i++) {
				const bpf::Query &q = c.queries[i];
				const Resolution want = resolve_native(c.fmap, q.offset, q.length, sizes);
				t.answers++;
				if (got[i] == want)
					continue;
				t.mismatches++;
				if (failures.size() < 10) {
					std::ostringstream m;
					m << bpf::strategy_name(t.s) << " " << path << " (inode " << c.ino << ") +"
					  << hex(q.offset) << " len " << hex(q.length) << ": " << got[i] << ", native " << want;
					failures.push_back(m.str());
				}
			}
		}
	}
	bool ok = true;
	for (const Tally &t : tallies)
		ok = ok && t.mismatches == 0;
	if (o.json) {
		nlohmann::ordered_json j;
		j["ok"] = ok;
		j["mountpoint"] = mnt;
		j["instance"] = *inst;
		j["files"] = checked;
		j["files_skipped"] = skipped;
		j["queries_per_file"] = o.queries;
		for (const Tally &t : tallies)
			j["strategies"].push_back({{"strategy", bpf::strategy_name(t.s)}, {"answers", t.answers},
						   {"mismatches", t.mismatches}, {"files_not_held", t.not_held}});
		j["failures"] = failures;
		io.out << j.dump(2) << "\n";
	} else {
		io.out << mnt << ": " << checked << " files, BPF instance " << *inst << ", " << o.queries
		       << " queries per file; " << skipped << " skipped (vanished or changed while checked)\n";
		Table t({{"STRATEGY"}, {"ANSWERS", Table::Align::Right}, {"MISMATCHES", Table::Align::Right},
			 {"FILES NOT HELD", Table::Align::Right}});
		for (const Tally &x : tallies)
			t.add_row({std::string(bpf::strategy_name(x.s)), std::to_string(x.answers),
				   std::to_string(x.mismatches), std::to_string(x.not_held)});
		t.print(io.out);
		for (const auto &f : failures)
			io.out << "MISMATCH " << f << "\n";
		io.out << (ok ? "OK: the mount's BPF maps agree with native for every file" : "FAILED: BPF != native")
		       << "\n";
	}
	return ok ? kExitOk : kExitInvalid;
}

} // namespace daxfmap::cli
