// SPDX-License-Identifier: GPL-2.0-only
// The fault scenario's BPF designs (fault_hook.hpp).
#include "bench/fault_hook.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "libdaxfmap_bpf/bpf_object.hpp"
#include "libdaxfmap_bpf/pin_tree.hpp"
#include "libdaxfmap_bpf/pinned.hpp"

namespace daxfmap::bench {

std::optional<HookDesign> hook_design(std::string_view name)
{
	if (name == "const")
		return HookDesign{.row = "bpf-const", .ops = "daxfmap_const", .kind = HookKind::Const};
	if (name == "fallback")
		return HookDesign{.row = "fallback-first", .ops = "daxfmap_defer", .kind = HookKind::Fallback};
	auto s = bpf::parse_strategy(name);
	if (!s || *s == bpf::Strategy::Native)
		return std::nullopt;
	return HookDesign{.row = "bpf-" + std::string(name), .ops = "daxfmap_" + std::string(name),
			  .kind = HookKind::Strategy, .strategy = *s};
}

Result<void> run_tool(const std::string &program, const std::vector<std::string> &args)
{
	int pipefd[2];
	if (::pipe2(pipefd, O_CLOEXEC) != 0)
		return Error{.errnum = errno, .field = program, .found = std::string("pipe: ") + std::strerror(errno)};
	const pid_t pid = ::fork();
	if (pid < 0) {
		const int err = errno;
		::close(pipefd[0]);
		::close(pipefd[1]);
		return Error{.errnum = err, .field = program, .found = std::string("fork: ") + std::strerror(err)};
	}
	if (pid == 0) {
		::dup2(pipefd[1], 1);
		::dup2(pipefd[1], 2);
		std::vector<char *> argv{const_cast<char *>(program.c_str())};
		for (const std::string &a : args)
			argv.push_back(const_cast<char *>(a.c_str()));
		argv.push_back(nullptr);
		::execvp(program.c_str(), argv.data());
		std::fprintf(stderr, "cannot run %s: %s\n", program.c_str(), std::strerror(errno));
		::_exit(127);
	}
	::close(pipefd[1]);
	std::string out;
	char buf[512];
	for (ssize_t n; (n = ::read(pipefd[0], buf, sizeof(buf))) > 0;)
		out.append(buf, static_cast<size_t>(n));
	::close(pipefd[0]);
	int status = 0;
	::waitpid(pid, &status, 0);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return {};
	std::string cmd = program;
	for (const std::string &a : args)
		cmd += " " + a;
	while (!out.empty() && out.back() == '\n')
		out.pop_back();
	return Error{.errnum = EIO, .field = cmd, .expected = "exit status 0",
		     .found = (WIFEXITED(status) ? "exit status " + std::to_string(WEXITSTATUS(status)) : "killed") +
			      (out.empty() ? "" : ": " + out)};
}

HookRegistration::HookRegistration(HookRegistration &&o) noexcept { *this = std::move(o); }

HookRegistration &HookRegistration::operator=(HookRegistration &&o) noexcept
{
	if (this != &o) {
		release();
		hookctl_ = std::move(o.hookctl_);
		kind_ = std::move(o.kind_);
		instance_dir_ = std::move(o.instance_dir_);
		resolver_ = std::move(o.resolver_);
		registered_ = o.registered_;
		o.registered_ = false;
		o.instance_dir_.clear();
	}
	return *this;
}

HookRegistration::~HookRegistration() { release(); }

void HookRegistration::release()
{
	// Unregistering unbinds every connection bound to the ops; best effort,
	// as a destructor must be.
	if (registered_)
		(void)run_tool(hookctl_, {"unregister", kind_});
	registered_ = false;
	resolver_.reset();
	if (!instance_dir_.empty())
		(void)bpf::unpin_dir(instance_dir_);
	instance_dir_.clear();
}

Result<HookRegistration> HookRegistration::make(const HookDesign &d, const std::string &hookctl, uint64_t base,
						uint64_t size, uint64_t dev_size, const std::string &instance,
						uint32_t pool_entries)
{
	HookRegistration r;
	r.hookctl_ = hookctl;
	switch (d.kind) {
	case HookKind::Const:
		r.kind_ = "const";
		if (auto t = run_tool(hookctl, {"register", "const", std::to_string(base), std::to_string(size)}); !t)
			return t.error();
		break;
	case HookKind::Fallback:
		r.kind_ = "fallback";
		if (auto t = run_tool(hookctl, {"register", "fallback"}); !t)
			return t.error();
		break;
	case HookKind::Strategy: {
		r.kind_ = std::string(bpf::strategy_name(d.strategy));
		if (auto c = bpf::check_instance_name(instance); !c)
			return c.error();
		const std::string idir = std::string(bpf::kDefaultBpffsRoot) + "/" + instance;
		if (auto c = bpf::make_pin_dirs(idir, /*fresh=*/true); !c)
			return c.error();
		r.instance_dir_ = idir;
		const std::string dir = bpf::pin_dir(bpf::kDefaultBpffsRoot, instance, d.strategy);
		auto res = bpf::make_resolver(d.strategy, {.max_files = 256, .pool_entries = pool_entries, .pin_dir = dir});
		if (!res)
			return res.error();
		r.resolver_ = std::move(*res);
		const uint64_t sizes[] = {dev_size};
		if (auto s = r.resolver_->set_devices(sizes); !s)
			return s.error();
		if (auto t = run_tool(hookctl, {"strategy", r.kind_, dir}); !t)
			return t.error();
		break;
	}
	}
	r.registered_ = true;
	return r;
}

Result<void> HookRegistration::fill(uint64_t nodeid, const Fmap &fmap)
{
	if (!resolver_)
		return Error{.errnum = EINVAL, .field = "hook " + kind_, .expected = "a strategy's maps to fill",
			     .found = "a resolver with no maps"};
	return resolver_->upsert(nodeid, fmap);
}

} // namespace daxfmap::bench
