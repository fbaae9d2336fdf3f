// SPDX-License-Identifier: GPL-2.0-only
/*
 * A legacy (non-link) struct_ops registration that any BPF-capable kernel
 * takes: a TCP congestion control that never changes the window.  The tests
 * of the hook's cleanup (tests/libdaxfmap_bpf/hook_unload_test.cpp) pin it
 * where daxfmapd pins its fuse_dax_fmap_ops registration: like those, it
 * outlives its pin and its process, and is gone only when its map's element
 * is deleted; unlike those, the host kernel has its type, and
 * /proc/sys/net/ipv4/tcp_available_congestion_control shows whether it is
 * registered.  It is registered under a name the test picks (written into
 * .struct_ops before open) and never selected for a socket.
 */
#include <linux/types.h>
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

struct sock;

/* The members the kernel requires (tcp_validate_congestion_control), by name. */
struct tcp_congestion_ops {
	__u32 (*ssthresh)(struct sock *sk);
	void (*cong_avoid)(struct sock *sk, __u32 ack, __u32 acked);
	__u32 (*undo_cwnd)(struct sock *sk);
	char name[16];
};

SEC("struct_ops/probe_ssthresh")
__u32 probe_ssthresh(unsigned long long *ctx __attribute__((unused)))
{
	return 2;
}

SEC("struct_ops/probe_cong_avoid")
void probe_cong_avoid(unsigned long long *ctx __attribute__((unused)))
{
}

SEC("struct_ops/probe_undo_cwnd")
__u32 probe_undo_cwnd(unsigned long long *ctx __attribute__((unused)))
{
	return 2;
}

SEC(".struct_ops")
struct tcp_congestion_ops legacy_ops_probe = {
	.ssthresh = (void *)probe_ssthresh,
	.cong_avoid = (void *)probe_cong_avoid,
	.undo_cwnd = (void *)probe_undo_cwnd,
	.name = "dxf_probe",
};
