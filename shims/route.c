// SPDX-License-Identifier: GPL-2.0
/*
 * Routing questions of the packet path (rust/kapi/route.rs): which gateway
 * a packet's route through our device names, what the route back to a
 * received packet's source is, and where an L3 packet with a wrong
 * skb->protocol really starts. Read-only on the routing tables.
 */
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <net/ip6_fib.h>
#include <net/ip6_route.h>
#include <net/ip_fib.h>
#include <net/l3mdev.h>
#include <net/nexthop.h>
#include <net/route.h>
#include "wgrs_kapi.h"

/* A route through @dev as one gateway: on-link, or via an address. */
static void wgrs_gw_from_nhc(struct wgrs_gateway *gw, const struct fib_nh_common *nhc)
{
	memset(gw, 0, sizeof(*gw));
	if (nhc->nhc_gw_family == AF_INET) {
		gw->kind = WGRS_GW_V4;
		memcpy(gw->addr, &nhc->nhc_gw.ipv4, 4);
	} else if (nhc->nhc_gw_family == AF_INET6) {
		gw->kind = WGRS_GW_V6;
		memcpy(gw->addr, &nhc->nhc_gw.ipv6, 16);
	} else {
		gw->kind = WGRS_GW_ONLINK;
	}
}

/*
 * The gateway of the route attached to an outgoing packet, if that route is
 * a valid one of this packet's family through @dev: WGRS_GW_NONE when no
 * route can be trusted (none attached: AF_PACKET, eBPF redirects; another
 * device's; another family's), WGRS_GW_ONLINK for a route without a
 * gateway, else the gateway (an IPv4 route may have an IPv6 gateway).
 */
void wgrs_skb_route_gateway(const struct sk_buff *skb, const struct net_device *dev,
			    struct wgrs_gateway *gw)
{
	const struct dst_entry *dst = skb_dst(skb);

	memset(gw, 0, sizeof(*gw));
	if (!dst || !skb_valid_dst(skb) || dst->dev != dev || !dst->ops)
		return;
	if (skb->protocol == htons(ETH_P_IP) && dst->ops->family == AF_INET) {
		const struct rtable *rt = skb_rtable(skb);

		gw->kind = WGRS_GW_ONLINK;
		/* rt_gw4 alone says nothing: uncached routes hold the
		 * destination there. */
		if (!rt->rt_uses_gateway)
			return;
		if (rt->rt_gw_family == AF_INET) {
			gw->kind = WGRS_GW_V4;
			memcpy(gw->addr, &rt->rt_gw4, 4);
		} else if (rt->rt_gw_family == AF_INET6) {
			gw->kind = WGRS_GW_V6;
			memcpy(gw->addr, &rt->rt_gw6, 16);
		}
	} else if (skb->protocol == htons(ETH_P_IPV6) && dst->ops->family == AF_INET6) {
		const struct rt6_info *rt = dst_rt6_info(dst);

		gw->kind = WGRS_GW_ONLINK;
		if (rt->rt6i_flags & RTF_GATEWAY) {
			gw->kind = WGRS_GW_V6;
			memcpy(gw->addr, &rt->rt6i_gateway, 16);
		}
	}
}

/*
 * The route back to the source of a received IPv4 packet (at skb->data), as
 * a reply from this host would take it: destination the packet's source,
 * source its destination, its mark and protocol, from this host (iif lo, as
 * an output lookup), in @dev's L3 domain, with the policy rules. Fills @gws with the paths of that route that leave
 * through @dev (all of them for a multipath route, up to @max) and returns
 * their number; 0 when there is no unicast route or none through @dev.
 */
static int wgrs_route_back4(struct sk_buff *skb, struct net_device *dev,
			    struct wgrs_gateway *gws, int max)
{
	const struct iphdr *iph = (const struct iphdr *)skb->data;
	struct flowi4 fl4 = {
		.daddr = iph->saddr,
		.saddr = iph->daddr,
		.flowi4_iif = LOOPBACK_IFINDEX,
		.flowi4_mark = skb->mark,
		.flowi4_proto = iph->protocol,
		.flowi4_scope = RT_SCOPE_UNIVERSE,
	};
	struct fib_result res = {};
	unsigned int i, n;
	int found = 0;

	fl4.flowi4_l3mdev = l3mdev_master_ifindex_rcu(dev);
	if (fib_lookup(dev_net(dev), &fl4, &res, 0) || res.type != RTN_UNICAST || !res.fi)
		return 0;
	n = fib_info_num_path(res.fi);
	for (i = 0; i < n && found < max; i++) {
		const struct fib_nh_common *nhc = fib_info_nhc(res.fi, i);

		/* A nexthop group replaced by a smaller one since the count
		 * was taken has no path @i (the count and each path read the
		 * group separately): stop, as the kernel's own walks do. */
		if (!nhc)
			break;
		if (nhc->nhc_dev != dev || (nhc->nhc_flags & RTNH_F_DEAD))
			continue;
		wgrs_gw_from_nhc(&gws[found++], nhc);
	}
	return found;
}

/* One IPv6 path, if it leaves through @dev. */
static int wgrs_gw_from_nh6(struct wgrs_gateway *gw, const struct fib6_nh *nh,
			    const struct net_device *dev)
{
	if (nh->fib_nh_dev != dev || (nh->fib_nh_flags & RTNH_F_DEAD))
		return 0;
	wgrs_gw_from_nhc(gw, &nh->nh_common);
	return 1;
}

/* The same for IPv6. For a multipath route (siblings, not a nexthop
 * object) every path, as for IPv4; else the path the lookup selected. */
static int wgrs_route_back6(struct sk_buff *skb, struct net_device *dev,
			    struct wgrs_gateway *gws, int max)
{
	const struct ipv6hdr *ip6h = (const struct ipv6hdr *)skb->data;
	struct flowi6 fl6 = {
		.daddr = ip6h->saddr,
		.saddr = ip6h->daddr,
		.flowi6_mark = skb->mark,
		.flowi6_proto = ip6h->nexthdr,
	};
	const struct fib6_info *from, *sibling;
	struct dst_entry *dst;
	const struct rt6_info *rt;
	int found = 0;

	if (max < 1)
		return 0;
	fl6.flowi6_l3mdev = l3mdev_master_ifindex_rcu(dev);
	dst = ip6_route_output(dev_net(dev), NULL, &fl6);
	if (dst->error)
		goto out;
	rt = dst_rt6_info(dst);
	if (rt->rt6i_flags & (RTF_REJECT | RTF_LOCAL | RTF_ANYCAST))
		goto out;
	from = rcu_dereference(rt->from);
	if (from && !from->nh && READ_ONCE(from->fib6_nsiblings)) {
		found += wgrs_gw_from_nh6(&gws[found], from->fib6_nh, dev);
		list_for_each_entry_rcu(sibling, &from->fib6_siblings, fib6_siblings) {
			/* A route deleted during the walk leaves the list with
			 * its count cleared, and the walk would never come back
			 * to its head: stop then (as fib6_select_path does). */
			if (found >= max || !READ_ONCE(from->fib6_nsiblings))
				break;
			found += wgrs_gw_from_nh6(&gws[found], sibling->fib6_nh, dev);
		}
		goto out;
	}
	if (dst->dev != dev)
		goto out;
	memset(&gws[0], 0, sizeof(gws[0]));
	if (rt->rt6i_flags & RTF_GATEWAY) {
		gws[0].kind = WGRS_GW_V6;
		memcpy(gws[0].addr, &rt->rt6i_gateway, 16);
	} else {
		gws[0].kind = WGRS_GW_ONLINK;
	}
	found = 1;
out:
	dst_release(dst);
	return found;
}

int wgrs_skb_route_back(struct sk_buff *skb, struct net_device *dev,
			struct wgrs_gateway *gws, int max)
{
	int n = 0;

	rcu_read_lock();
	if (skb->protocol == htons(ETH_P_IP) && pskb_may_pull(skb, sizeof(struct iphdr)))
		n = wgrs_route_back4(skb, dev, gws, max);
	else if (skb->protocol == htons(ETH_P_IPV6) && pskb_may_pull(skb, sizeof(struct ipv6hdr)))
		n = wgrs_route_back6(skb, dev, gws, max);
	rcu_read_unlock();
	return n;
}

/*
 * An outgoing packet whose skb->protocol does not match its IP header (an
 * XDP program stripped the Ethernet header and redirected it here; an
 * AF_PACKET send with protocol 0): this is an L3 device, so the packet
 * starts at skb->data. When a whole IPv4 or IPv6 header is there, the
 * network header and skb->protocol are set from it and true is returned.
 */
bool wgrs_skb_fix_l3_protocol(struct sk_buff *skb)
{
	u8 version;

	if (!pskb_may_pull(skb, 1))
		return false;
	version = skb->data[0] >> 4;
	if (version == 4) {
		const struct iphdr *iph;

		if (!pskb_may_pull(skb, sizeof(struct iphdr)))
			return false;
		iph = (const struct iphdr *)skb->data;
		if (iph->ihl < 5 || !pskb_may_pull(skb, iph->ihl * 4))
			return false;
		skb->protocol = htons(ETH_P_IP);
	} else if (version == 6) {
		if (!pskb_may_pull(skb, sizeof(struct ipv6hdr)))
			return false;
		skb->protocol = htons(ETH_P_IPV6);
	} else {
		return false;
	}
	skb_reset_network_header(skb);
	return true;
}
