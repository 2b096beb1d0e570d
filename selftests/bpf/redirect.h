/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the test programs need of eBPF, declared here instead of taken from
 * libbpf: the section attribute and the two helpers, by their ids in
 * <linux/bpf.h>. WG_IFINDEX is the index 27-l3-redirect.sh gives the
 * WireGuard device ("ip link add ... index 50").
 */
#ifndef WGRS_BPF_REDIRECT_H
#define WGRS_BPF_REDIRECT_H
#include <linux/bpf.h>
#include <linux/pkt_cls.h>

#define SEC(name) __attribute__((section(name), used))
#define WG_IFINDEX 50
/* An EtherType of the IEEE's local experimental range, for frames that
 * carry no IP packet. */
#define ETH_P_TEST 0x88B5

static long (*bpf_redirect)(__u32 ifindex, __u64 flags) = (void *)BPF_FUNC_redirect;
static long (*bpf_xdp_adjust_head)(struct xdp_md *ctx, int delta) =
	(void *)BPF_FUNC_xdp_adjust_head;

/* The frames the tests send: IPv4, IPv6 and the test type. ARP and
 * anything else the namespace may send are left alone. */
static inline int wanted(unsigned int proto)
{
	return proto == 0x0800 || proto == 0x86DD || proto == ETH_P_TEST;
}
#endif
