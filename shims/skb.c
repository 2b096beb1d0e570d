// SPDX-License-Identifier: GPL-2.0
/*
 * Out-of-line forms of the inline skb helpers the packet path calls from
 * Rust (rust/kapi/skb.rs): lengths, header offsets, bitfields, and the
 * inline helpers of skbuff.h, ip.h, ipv6.h, inet_ecn.h and ip_tunnels.h.
 * Each one forwards; rust/kapi/skb.rs states what it relies on.
 */
#include "wgrs_kapi.h"

unsigned int wgrs_skb_headroom(const struct sk_buff *skb)
{
	return skb_headroom(skb);
}

bool wgrs_skb_may_pull(struct sk_buff *skb, unsigned int len)
{
	return pskb_may_pull(skb, len);
}

int wgrs_skb_trim(struct sk_buff *skb, unsigned int len)
{
	return pskb_trim(skb, len);
}

void wgrs_skb_pull_inline(struct sk_buff *skb, unsigned int len)
{
	__skb_pull(skb, len);
}

void wgrs_skb_push_inline(struct sk_buff *skb, unsigned int len)
{
	__skb_push(skb, len);
}

u16 wgrs_skb_protocol(const struct sk_buff *skb)
{
	return ntohs(skb->protocol);
}

void wgrs_skb_set_protocol(struct sk_buff *skb, u16 protocol)
{
	skb->protocol = htons(protocol);
}

int wgrs_skb_network_offset(const struct sk_buff *skb)
{
	return skb_network_offset(skb);
}

int wgrs_skb_transport_offset(const struct sk_buff *skb)
{
	return skb_transport_offset(skb);
}

bool wgrs_skb_transport_header_in_head(const struct sk_buff *skb, unsigned int len)
{
	return skb_transport_header(skb) >= skb->head &&
	       skb_transport_header(skb) + len <= skb_tail_pointer(skb);
}

bool wgrs_skb_network_header_in_head(const struct sk_buff *skb)
{
	return skb_network_header(skb) >= skb->head;
}

bool wgrs_skb_network_may_pull(struct sk_buff *skb, unsigned int len)
{
	return pskb_network_may_pull(skb, len);
}

void wgrs_skb_reset_network_header(struct sk_buff *skb)
{
	skb_reset_network_header(skb);
}

u32 wgrs_skb_mark(const struct sk_buff *skb)
{
	return skb->mark;
}

int wgrs_skb_iif(const struct sk_buff *skb)
{
	return skb->skb_iif;
}

bool wgrs_skb_is_gso(const struct sk_buff *skb)
{
	return skb_is_gso(skb);
}

struct sk_buff *wgrs_skb_gso_segment(struct sk_buff *skb, int *err)
{
	struct sk_buff *segs = skb_gso_segment(skb, 0);

	if (IS_ERR(segs)) {
		*err = PTR_ERR(segs);
		return NULL;
	}
	*err = 0;
	return segs;
}

struct sk_buff *wgrs_skb_share_check(struct sk_buff *skb)
{
	return skb_share_check(skb, GFP_ATOMIC);
}

unsigned int wgrs_skb_dst_mtu(const struct sk_buff *skb)
{
	return skb_valid_dst(skb) ? dst_mtu(skb_dst(skb)) : 0;
}

void wgrs_skb_dst_drop(struct sk_buff *skb)
{
	skb_dst_drop(skb);
}

void wgrs_skb_orphan(struct sk_buff *skb)
{
	skb_orphan(skb);
}

void wgrs_skb_set_dev(struct sk_buff *skb, struct net_device *dev)
{
	skb->dev = dev;
}

struct sk_buff *wgrs_alloc_skb(unsigned int headroom, unsigned int len)
{
	struct sk_buff *skb = alloc_skb(headroom + len, GFP_ATOMIC);

	if (skb) {
		skb_reserve(skb, headroom);
		/* The tunnel's transmit statistics count from here. */
		skb_set_inner_network_header(skb, 0);
	}
	return skb;
}

u8 wgrs_ip_tunnel_ecn_encap(const struct sk_buff *skb)
{
	/* 0 for the outer TOS, as the C driver: nothing of the inner DSCP leaks. */
	return ip_tunnel_ecn_encap(0, ip_hdr(skb), skb);
}

u8 wgrs_ip_tunnel_get_dsfield(const struct sk_buff *skb)
{
	return ip_tunnel_get_dsfield(ip_hdr(skb), skb);
}

int wgrs_inet_ecn_decapsulate(struct sk_buff *skb, u8 outer)
{
	u8 inner;

	if (skb->protocol == htons(ETH_P_IP))
		inner = ip_hdr(skb)->tos;
	else
		inner = ipv6_get_dsfield(ipv6_hdr(skb));
	return INET_ECN_decapsulate(skb, outer, inner);
}

u16 wgrs_ip_tunnel_parse_protocol(const struct sk_buff *skb)
{
	return ntohs(ip_tunnel_parse_protocol(skb));
}

void wgrs_skb_checksum_unnecessary(struct sk_buff *skb)
{
	skb->ip_summed = CHECKSUM_UNNECESSARY;
	skb->csum_level = ~0;
}

/* The C driver's wg_reset_packet: what the packet carried from the layer it
 * came from is cleared before it moves to the other side of the tunnel.
 */
void wgrs_skb_reset_packet(struct sk_buff *skb, bool encapsulating)
{
	u8 l4_hash = skb->l4_hash;
	u8 sw_hash = skb->sw_hash;
	u32 hash = skb->hash;
	u8 tstamp_type = skb->tstamp_type;

	skb_scrub_packet(skb, true);
	memset(&skb->headers, 0, sizeof(skb->headers));
	if (encapsulating) {
		skb->l4_hash = l4_hash;
		skb->sw_hash = sw_hash;
		skb->hash = hash;
		skb->tstamp_type = tstamp_type;
	}
	skb->queue_mapping = 0;
	skb->nohdr = 0;
	skb->peeked = 0;
	skb->mac_len = 0;
	skb->dev = NULL;
#ifdef CONFIG_NET_SCHED
	skb->tc_index = 0;
#endif
	skb_reset_redirect(skb);
	skb->hdr_len = skb_headroom(skb);
	skb_reset_mac_header(skb);
	skb_reset_network_header(skb);
	skb_reset_transport_header(skb);
	skb_probe_transport_header(skb);
	skb_reset_inner_headers(skb);
}

/*
 * In-place AEAD over an skb's scatter-gather segments (the C driver's
 * encrypt_packet and decrypt_packet, less the protocol: the caller gives the
 * header, padding, nonce and key).
 */
bool wgrs_skb_seal(struct sk_buff *skb, const void *header, unsigned int header_len,
		   unsigned int padding, unsigned int headroom, u64 nonce, const u8 *key)
{
	struct scatterlist sg[MAX_SKB_FRAGS + 8];
	unsigned int plain_len, trailer_len;
	struct sk_buff *trailer;
	int nfrags;

	/* The flow hash is of the inner packet, before it is encrypted. */
	skb_get_hash(skb);
	trailer_len = padding + CHACHA20POLY1305_AUTHTAG_SIZE;
	plain_len = skb->len + padding;
	if (unlikely(skb_cow_head(skb, headroom) < 0))
		return false;
	if (unlikely(skb->ip_summed == CHECKSUM_PARTIAL && skb_checksum_help(skb)))
		return false;
	nfrags = skb_cow_data(skb, trailer_len, &trailer);
	if (unlikely(nfrags < 0 || nfrags > ARRAY_SIZE(sg)))
		return false;
	memset(skb_tail_pointer(trailer), 0, padding);
	skb_set_inner_network_header(skb, 0);
	memcpy(skb_push(skb, header_len), header, header_len);
	pskb_put(skb, trailer, trailer_len);
	sg_init_table(sg, nfrags);
	if (skb_to_sgvec(skb, sg, header_len, plain_len + CHACHA20POLY1305_AUTHTAG_SIZE) <= 0)
		return false;
	return chacha20poly1305_encrypt_sg_inplace(sg, plain_len, NULL, 0, nonce, key);
}

bool wgrs_skb_open(struct sk_buff *skb, unsigned int header_len, u64 nonce, const u8 *key)
{
	struct scatterlist sg[MAX_SKB_FRAGS + 8];
	struct sk_buff *trailer;
	unsigned int offset;
	int nfrags;

	if (unlikely(skb->len < header_len + CHACHA20POLY1305_AUTHTAG_SIZE))
		return false;
	/* Keep the outer network header inside the skb through skb_cow_data, so
	 * that the endpoint can still be read from it afterwards.
	 */
	offset = -skb_network_offset(skb);
	skb_push(skb, offset);
	nfrags = skb_cow_data(skb, 0, &trailer);
	offset += header_len;
	skb_pull(skb, offset);
	if (unlikely(nfrags < 0 || nfrags > ARRAY_SIZE(sg)))
		return false;
	sg_init_table(sg, nfrags);
	if (skb_to_sgvec(skb, sg, 0, skb->len) <= 0)
		return false;
	if (!chacha20poly1305_decrypt_sg_inplace(sg, skb->len, NULL, 0, nonce, key))
		return false;
	skb_push(skb, offset);
	if (pskb_trim(skb, skb->len - CHACHA20POLY1305_AUTHTAG_SIZE))
		return false;
	skb_pull(skb, offset);
	return true;
}
