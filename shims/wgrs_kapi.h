/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The kernel API wireguard-rs uses beyond `kernel::bindings`: the headers
 * bindgen reads to produce rust/kapi/bindings, plus small C shims (shims.c)
 * for what is inline or a macro in C and so has no symbol to call from Rust.
 */
#ifndef WGRS_KAPI_H
#define WGRS_KAPI_H

#include <crypto/blake2s.h>
#include <crypto/chacha20poly1305.h>
#include <crypto/curve25519.h>
#include <crypto/utils.h>
#include <linux/errno.h>
#include <linux/random.h>
#include <linux/rcupdate.h>
#include <linux/slab.h>
#include <linux/siphash.h>
#include <linux/string.h>
#include <linux/timekeeping.h>
#include <linux/etherdevice.h>
#include <linux/if_arp.h>
#include <linux/netdevice.h>
#include <linux/rtnetlink.h>
#include <linux/skbuff.h>
#include <net/genetlink.h>
#include <net/netlink.h>
#include <net/rtnetlink.h>
#include <net/net_namespace.h>
#include <net/sock.h>
#include <net/udp_tunnel.h>
#include <uapi/linux/wireguard.h>

#include "../generated/netlink.h"

/* Constants bindgen cannot see through macros. */
const unsigned int WGRS_NLM_F_MULTI = NLM_F_MULTI;

/* netdevice */
void *wgrs_netdev_priv(const struct net_device *dev);
void wgrs_dev_put(struct net_device *dev);
void wgrs_dev_stats_inc_tx_errors(struct net_device *dev);
void wgrs_dev_stats_inc_tx_dropped(struct net_device *dev);
void wgrs_netif_keep_dst(struct net_device *dev);
void wgrs_set_wireguard_devtype(struct net_device *dev);
struct net *wgrs_dev_net(const struct net_device *dev);
void wgrs_netdev_add_priv_flags(struct net_device *dev, unsigned int flags);
void wgrs_netdev_set_lltx(struct net_device *dev, bool lltx);
void wgrs_netdev_set_pcpu_stat_type(struct net_device *dev, enum netdev_stat_type type);

/* skb */
void wgrs_kfree_skb(struct sk_buff *skb);
struct net *wgrs_sock_net_of_skb(const struct sk_buff *skb);

/* generic netlink */
struct nlattr **wgrs_genl_dump_attrs(struct netlink_callback *cb);
struct net *wgrs_genl_info_net(const struct genl_info *info);
u32 wgrs_netlink_cb_portid(const struct sk_buff *skb);
u32 wgrs_nlmsg_seq(const struct netlink_callback *cb);
void wgrs_genl_dump_check_consistent(struct netlink_callback *cb, void *user_hdr);
struct nlattr *wgrs_nla_nest_start(struct sk_buff *skb, int attrtype);
void wgrs_nla_nest_end(struct sk_buff *skb, struct nlattr *start);
void wgrs_nla_nest_cancel(struct sk_buff *skb, struct nlattr *start);
int wgrs_nla_len(const struct nlattr *nla);
void *wgrs_nla_data(const struct nlattr *nla);
void wgrs_genl_set_err_msg(struct genl_info *info, const char *msg);
unsigned int wgrs_skb_len(const struct sk_buff *skb);

/* crypto and time */
void wgrs_blake2s_init(struct blake2s_ctx *ctx, size_t outlen);
void wgrs_blake2s_init_key(struct blake2s_ctx *ctx, size_t outlen, const void *key, size_t keylen);
void wgrs_memzero_explicit(void *s, size_t count);
int wgrs_crypto_memneq(const void *a, const void *b, size_t size);
u64 wgrs_ktime_get_coarse_boottime_ns(void);
void wgrs_ktime_get_real_ts64(s64 *sec, long *nsec);

/* slab caches and RCU */
struct kmem_cache *wgrs_kmem_cache_create(const char *name, unsigned int size, unsigned int align);
void *wgrs_kmem_cache_alloc(struct kmem_cache *cache, gfp_t flags);
void wgrs_kvfree_rcu(struct kvfree_rcu_head *head, void *ptr);
const gfp_t WGRS_GFP_KERNEL = GFP_KERNEL;

/* UDP tunnel sockets (socket.c) */
typedef int (*wgrs_encap_rcv_t)(struct sock *sk, struct sk_buff *skb);
struct sock *wgrs_udp_tunnel_open(struct net *net, bool ipv6, u16 port, void *user_data,
				  wgrs_encap_rcv_t rcv, int *err);
void wgrs_udp_tunnel_close(struct sock *sk);
u16 wgrs_sock_local_port(const struct sock *sk);
bool wgrs_ipv6_enabled(void);

/* Network namespaces */
struct net *wgrs_maybe_get_net(struct net *net);
void wgrs_put_net(struct net *net);
bool wgrs_net_admin_capable(const struct net *net);
struct net *wgrs_newlink_link_net(struct rtnl_newlink_params *params);
bool wgrs_netif_running(const struct net_device *dev);
void wgrs_netif_carrier_off(struct net_device *dev);

/*
 * Devices that want to hear when a namespace goes away: an entry is added
 * and removed under RTNL; the pernet exit_rtnl hook calls exit(ctx, net)
 * for every entry.
 */
struct wgrs_netns_watch {
	struct list_head list;
	void *ctx;
	void (*exit)(void *ctx, struct net *net);
};
int wgrs_netns_watch_register(void);
void wgrs_netns_watch_unregister(void);
void wgrs_netns_watch_add(struct wgrs_netns_watch *w);
void wgrs_netns_watch_del(struct wgrs_netns_watch *w);

#endif /* WGRS_KAPI_H */
