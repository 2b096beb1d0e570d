// SPDX-License-Identifier: GPL-2.0
/*
 * Out-of-line forms of what the packet path's socket side needs from
 * inline code and C-only structures (rust/kapi/udp.rs, rust/kapi/route.rs,
 * rust/kapi/netdev.rs): a struct flowi4/flowi6 filled in for one UDP flow and
 * routed, the UDP tunnel transmit calls, dst cache resets, and ICMP errors.
 * Which source address to try, when to retry and what to cache is decided
 * in Rust (rust/socket.rs).
 */
#include "wgrs_kapi.h"

struct rtable *wgrs_route4(struct sock *sk, __be32 *saddr, __be32 daddr, __be16 dport,
			   u32 mark, int *err)
{
	struct flowi4 fl = {
		.saddr = *saddr,
		.daddr = daddr,
		.fl4_dport = dport,
		.fl4_sport = inet_sk(sk)->inet_sport,
		.flowi4_mark = mark,
		.flowi4_proto = IPPROTO_UDP,
	};
	struct rtable *rt;

	security_sk_classify_flow(sk, flowi4_to_flowi_common(&fl));
	rt = ip_route_output_flow(sock_net(sk), &fl, sk);
	if (IS_ERR(rt)) {
		*err = PTR_ERR(rt);
		return NULL;
	}
	/* Routing chose the source address if we had none. */
	*saddr = fl.saddr;
	*err = 0;
	return rt;
}

int wgrs_rtable_ifindex(const struct rtable *rt)
{
	return rt->dst.dev->ifindex;
}

struct dst_entry *wgrs_rtable_dst(struct rtable *rt)
{
	return &rt->dst;
}

void wgrs_rtable_put(struct rtable *rt)
{
	ip_rt_put(rt);
}

bool wgrs_local_addr4(struct sock *sk, __be32 addr)
{
	return inet_confirm_addr(sock_net(sk), NULL, 0, addr, RT_SCOPE_HOST) != 0;
}

void wgrs_udp_xmit4(struct rtable *rt, struct sock *sk, struct sk_buff *skb,
		    struct net_device *dev, __be32 saddr, __be32 daddr, __be16 dport,
		    u8 ds, u32 mark)
{
	skb_mark_not_on_list(skb);
	skb->dev = dev;
	skb->mark = mark;
	skb->ignore_df = 1;
	udp_tunnel_xmit_skb(rt, sk, skb, saddr, daddr, ds, ip4_dst_hoplimit(&rt->dst), 0,
			    inet_sk(sk)->inet_sport, dport, false, false, 0);
}

struct dst_entry *wgrs_route6(struct sock *sk, struct in6_addr *saddr,
			      const struct in6_addr *daddr, __be16 dport, u32 oif, u32 mark,
			      int *err)
{
	struct flowi6 fl = {
		.saddr = *saddr,
		.daddr = *daddr,
		.fl6_dport = dport,
		.fl6_sport = inet_sk(sk)->inet_sport,
		.flowi6_mark = mark,
		.flowi6_oif = oif,
		.flowi6_proto = IPPROTO_UDP,
	};
	struct dst_entry *dst;

	security_sk_classify_flow(sk, flowi6_to_flowi_common(&fl));
	dst = ip6_dst_lookup_flow(sock_net(sk), sk, &fl, NULL);
	if (IS_ERR(dst)) {
		*err = PTR_ERR(dst);
		return NULL;
	}
	/* Routing chose the source address if we had none. */
	*saddr = fl.saddr;
	*err = 0;
	return dst;
}

bool wgrs_local_addr6(struct sock *sk, const struct in6_addr *addr)
{
	return ipv6_chk_addr(sock_net(sk), addr, NULL, 0) != 0;
}

void wgrs_udp_xmit6(struct dst_entry *dst, struct sock *sk, struct sk_buff *skb,
		    struct net_device *dev, const struct in6_addr *saddr,
		    const struct in6_addr *daddr, __be16 dport, u8 ds, u32 mark)
{
	skb_mark_not_on_list(skb);
	skb->dev = dev;
	skb->mark = mark;
	skb->ignore_df = 1;
	udp_tunnel6_xmit_skb(dst, sk, skb, dev, saddr, daddr, ds, ip6_dst_hoplimit(dst), 0,
			     inet_sk(sk)->inet_sport, dport, false, 0);
}

/*
 * Whether a packet can be one segment of a UDP GSO packet that
 * wgrs_skb_join_udp_gso() builds: all its data linear, its head not shared
 * with a clone (the first packet's shared info is rewritten), no GSO or
 * frag_list of its own, and room in front for the UDP header.
 */
bool wgrs_skb_gso_joinable(const struct sk_buff *skb)
{
	return !skb_is_nonlinear(skb) && !skb_shinfo(skb)->nr_frags &&
	       !skb_has_frag_list(skb) && !skb_is_gso(skb) && !skb_cloned(skb) &&
	       skb_headroom(skb) >= sizeof(struct udphdr);
}

/*
 * Joins the packets linked through ->next from `first` into one UDP GSO
 * packet of `segs` segments: `first` keeps its data and carries the others
 * on its frag_list, each one segment. That is the layout GRO builds, and
 * skb_segment() splits it again without copying a payload on the way out.
 * The caller (rust/kapi/skb.rs, GsoBatch) has checked the geometry that
 * skb_segment() relies on: at least two packets, each one
 * wgrs_skb_gso_joinable(); all `size` bytes long but the last, which may
 * be shorter; and less than 64 KiB in all. The UDP checksum is left to
 * the segmentation or the device (CHECKSUM_PARTIAL, starting at the UDP
 * header the tunnel transmit pushes in front of the data).
 *
 * Each member gives up the use of its header area (__skb_header_release(),
 * as TCP does for the packets it keeps for retransmission): skb_segment()
 * makes each segment from a clone of its member and writes the segment's
 * headers in front of the payload, which a clone of a member that kept its
 * header could only do after copying the whole packet (skb_cow_head()).
 */
struct sk_buff *wgrs_skb_join_udp_gso(struct sk_buff *first, unsigned int size,
				      unsigned int segs)
{
	unsigned int len = 0, truesize = 0;
	struct sk_buff *seg;

	skb_shinfo(first)->frag_list = first->next;
	skb_mark_not_on_list(first);
	skb_walk_frags(first, seg) {
		len += seg->len;
		truesize += seg->truesize;
		__skb_header_release(seg);
	}
	first->len += len;
	first->data_len += len;
	/*
	 * A member a socket owns is uncharged by its own destructor when the
	 * frag_list is freed; an owned head stays charged for itself only.
	 */
	if (!first->destructor)
		first->truesize += truesize;
	skb_shinfo(first)->gso_size = size;
	skb_shinfo(first)->gso_segs = segs;
	skb_shinfo(first)->gso_type = SKB_GSO_UDP_L4;
	first->ip_summed = CHECKSUM_PARTIAL;
	first->csum_start = skb_headroom(first) - sizeof(struct udphdr);
	first->csum_offset = offsetof(struct udphdr, check);
	return first;
}

void wgrs_dst_release(struct dst_entry *dst)
{
	dst_release(dst);
}

void wgrs_dst_cache_reset(struct dst_cache *cache)
{
	dst_cache_reset(cache);
}

void wgrs_icmp_unreachable(struct sk_buff *skb)
{
	if (skb->protocol == htons(ETH_P_IP))
		icmp_ndo_send(skb, ICMP_DEST_UNREACH, ICMP_HOST_UNREACH, 0);
	else if (skb->protocol == htons(ETH_P_IPV6))
		icmpv6_ndo_send(skb, ICMPV6_DEST_UNREACH, ICMPV6_ADDR_UNREACH, 0);
}

void wgrs_skb_source4(const struct sk_buff *skb, __be32 *saddr, __be32 *daddr, __be16 *sport)
{
	*saddr = ip_hdr(skb)->saddr;
	*daddr = ip_hdr(skb)->daddr;
	*sport = udp_hdr(skb)->source;
}

void wgrs_skb_source6(const struct sk_buff *skb, struct in6_addr *saddr, struct in6_addr *daddr,
		      __be16 *sport, u32 *scope_id)
{
	*saddr = ipv6_hdr(skb)->saddr;
	*daddr = ipv6_hdr(skb)->daddr;
	*sport = udp_hdr(skb)->source;
	*scope_id = ipv6_iface_scope_id(&ipv6_hdr(skb)->saddr, skb->skb_iif);
}

/* The UDP payload of a datagram our socket received, checked against the IP
 * and UDP headers (the C driver's prepare_skb_header, less the WireGuard
 * part): on success skb->data is the payload, skb->len its exact length,
 * and the first min_len bytes are in the linear area.
 */
bool wgrs_skb_udp_payload(struct sk_buff *skb, unsigned int min_len)
{
	size_t data_offset, data_len;
	struct udphdr *udp;

	if (unlikely(!wgrs_skb_protocol_matches(skb) ||
		     !wgrs_skb_transport_header_in_head(skb, sizeof(struct udphdr))))
		return false;
	udp = udp_hdr(skb);
	data_offset = (u8 *)udp - skb->data;
	if (unlikely(data_offset > U16_MAX || data_offset + sizeof(struct udphdr) > skb->len))
		return false;
	data_len = udp_get_len_short(udp);
	if (unlikely(data_len < sizeof(struct udphdr) || data_len > skb->len - data_offset))
		return false;
	data_len -= sizeof(struct udphdr);
	data_offset = (u8 *)udp + sizeof(struct udphdr) - skb->data;
	if (unlikely(!pskb_may_pull(skb, data_offset + min_len) ||
		     pskb_trim(skb, data_len + data_offset) < 0))
		return false;
	skb_pull(skb, data_offset);
	return skb->len == data_len;
}

/* Whether an IP packet starts at skb->data with the version skb->protocol
 * names (the C driver's wg_check_packet_protocol).
 */
bool wgrs_skb_protocol_matches(const struct sk_buff *skb)
{
	__be16 real = ip_tunnel_parse_protocol(skb);

	return real && skb->protocol == real;
}
