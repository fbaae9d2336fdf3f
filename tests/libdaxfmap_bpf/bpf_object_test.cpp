// SPDX-License-Identifier: GPL-2.0-only
// When BPF cannot load, the message says why: privilege, a kernel too old,
// or the verifier, with the tail of its log.
#include <gtest/gtest.h>

#include <cerrno>

#include "libdaxfmap_bpf/bpf_object.hpp"

using namespace daxfmap;
using namespace daxfmap::bpf;

TEST(LoadError, PermissionDeniedSaysWhichPrivilegeIsMissing)
{
	LibbpfLogCapture log;
	log.append("libbpf: Error in bpf_object__probe_loading():Operation not permitted(1).\n");
	Error e = load_error("load BPF programs", -EPERM, log);
	EXPECT_EQ(e.errnum, EPERM);
	EXPECT_NE(e.message().find("no privilege for BPF"), std::string::npos) << e.message();
	EXPECT_NE(e.message().find("CAP_BPF"), std::string::npos);
}

TEST(LoadError, MissingHelperIsAKernelTooOld)
{
	LibbpfLogCapture log;
	log.append("libbpf: prog 'timed': -- BEGIN PROG LOAD LOG --\n");
	log.append("unknown func bpf_loop#181\n");
	log.append("-- END PROG LOAD LOG --\n");
	Error e = load_error("load BPF programs", -EINVAL, log);
	EXPECT_NE(e.message().find("kernel too old"), std::string::npos) << e.message();
	EXPECT_NE(e.message().find("unknown func bpf_loop"), std::string::npos) << "log tail shown";
}

TEST(LoadError, VerifierRejectionShowsTheEndOfTheVerifierLog)
{
	LibbpfLogCapture log;
	log.append("libbpf: prog 'resolve': -- BEGIN PROG LOAD LOG --\n");
	for (int i = 0; i < 40; i++)
		log.append("insn " + std::to_string(i) + "\n");
	log.append("R1 invalid mem access 'scalar'\n");
	log.append("processed 1234 insns (limit 1000000)\n");
	log.append("-- END PROG LOAD LOG --\n");
	Error e = load_error("load BPF programs", -EACCES, log);
	// EACCES from the verifier is a rejection, not missing privilege, when
	// there is a verifier log to show.
	EXPECT_NE(e.message().find("R1 invalid mem access"), std::string::npos) << e.message();
	EXPECT_EQ(e.message().find("insn 3\n"), std::string::npos) << "only the tail is kept";
}

TEST(LibbpfLogCapture, TailKeepsTheLastLines)
{
	LibbpfLogCapture log;
	for (int i = 0; i < 5; i++)
		log.append("line " + std::to_string(i) + "\n");
	EXPECT_EQ(log.tail(2), "line 3\nline 4\n");
	EXPECT_EQ(log.tail(10), log.text());
}
