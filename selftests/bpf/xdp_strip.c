// SPDX-License-Identifier: GPL-2.0
/*
 * XDP (generic mode): strip the Ethernet header of a frame and redirect what
 * is left to the WireGuard device, as the mailing-list question of seed 004
 * does. The kernel then hands the device an skb whose protocol and network
 * header still describe the Ethernet frame.
 */
#include "redirect.h"

SEC("xdp")
int xdp_strip(struct xdp_md *ctx)
{
	unsigned char *data = (unsigned char *)(long)ctx->data;
	unsigned char *end = (unsigned char *)(long)ctx->data_end;

	if (data + 14 > end || !wanted((unsigned int)data[12] << 8 | data[13]))
		return XDP_PASS;
	if (bpf_xdp_adjust_head(ctx, 14))
		return XDP_DROP;
	return bpf_redirect(WG_IFINDEX, 0);
}

char _license[] SEC("license") = "GPL";
