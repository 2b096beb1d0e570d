// SPDX-License-Identifier: GPL-2.0
/*
 * tc (clsact ingress, direct action): redirect a frame to the WireGuard
 * device. For a device without a link-layer header the kernel removes the
 * Ethernet header itself and keeps skb->protocol.
 */
#include "redirect.h"

SEC("tc")
int tc_redirect(struct __sk_buff *skb)
{
	unsigned int proto = __builtin_bswap16((unsigned short)skb->protocol);

	if (!wanted(proto))
		return TC_ACT_OK;
	return bpf_redirect(WG_IFINDEX, 0);
}

char _license[] SEC("license") = "GPL";
