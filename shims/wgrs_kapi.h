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
#include <linux/mm.h>
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
#include <linux/cpumask.h>
#include <linux/icmpv6.h>
#include <linux/inetdevice.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/scatterlist.h>
#include <linux/security.h>
#include <linux/timer.h>
#include <linux/udp.h>
#include <linux/workqueue.h>
#include <net/addrconf.h>
#include <net/dst_metadata.h>
#include <net/dst_cache.h>
#include <net/gso.h>
#include <net/icmp.h>
#include <net/inet_ecn.h>
#include <net/ip6_route.h>
#include <net/ip_tunnels.h>
#include <net/ipv6.h>
#include <net/route.h>
#include <net/udp.h>

#include "../generated/netlink.h"
#include "../generated/wgrs_netlink.h"

/* Constants bindgen cannot see through macros. */
static const unsigned int WGRS_NLM_F_MULTI = NLM_F_MULTI;

/* netdevice */
void *wgrs_netdev_priv(const struct net_device *dev);
void wgrs_dev_put(struct net_device *dev);
void wgrs_dev_stats_inc_tx_errors(struct net_device *dev);
void wgrs_dev_stats_inc_tx_dropped(struct net_device *dev);
void wgrs_netif_keep_dst(struct net_device *dev);
void wgrs_netdev_tunnel_conf(struct net_device *dev);
enum wgrs_stat {
	WGRS_STAT_TX_DROPPED,
	WGRS_STAT_RX_LENGTH_ERRORS,
	WGRS_STAT_RX_FRAME_ERRORS,
	WGRS_STAT_RX_DROPPED,
};
void wgrs_dev_stats_add(struct net_device *dev, enum wgrs_stat which, u64 n);
void wgrs_dev_sw_netstats_rx_add(struct net_device *dev, unsigned int len);
void wgrs_dev_sw_netstats_tx_add(struct net_device *dev, unsigned int packets,
				 unsigned int len);
void wgrs_netdev_setup_tunnel(struct net_device *dev, unsigned int headroom,
			      unsigned int tailroom);
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
struct net_device *wgrs_dev_get_next(struct net *net, unsigned long *ifindex);

/* crypto and time */
void wgrs_blake2s_init_key(struct blake2s_ctx *ctx, size_t outlen, const void *key, size_t keylen);
int wgrs_crypto_memneq(const void *a, const void *b, size_t size);
u64 wgrs_ktime_get_coarse_boottime_ns(void);
u64 wgrs_ktime_get_mono_fast_ns(void);
void wgrs_ktime_get_real_ts64(s64 *sec, long *nsec);

/* slab caches and RCU */
u64 wgrs_totalram_bytes(void);
struct kmem_cache *wgrs_kmem_cache_create(const char *name, unsigned int size, unsigned int align);
void *wgrs_kmem_cache_alloc(struct kmem_cache *cache, gfp_t flags);
void *wgrs_kmalloc_atomic(size_t size);
void wgrs_kvfree_rcu(struct kvfree_rcu_head *head, void *ptr);
static const gfp_t WGRS_GFP_KERNEL = GFP_KERNEL;

/* UDP tunnel sockets (socket.c) */
typedef int (*wgrs_encap_rcv_t)(struct sock *sk, struct sk_buff *skb);
struct sock *wgrs_udp_tunnel_open(struct net *net, bool ipv6, u16 port, void *user_data,
				  wgrs_encap_rcv_t rcv, int *err);
void wgrs_udp_tunnel_close(struct sock *sk);
u16 wgrs_sock_local_port(const struct sock *sk);
void *wgrs_sock_user_data(struct sock *sk);
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

/* skb.c: socket buffers on the packet path */
static const unsigned int WGRS_SKB_CB_SIZE = sizeof_field(struct sk_buff, cb);
static const unsigned int WGRS_ETH_P_IP = ETH_P_IP;
static const unsigned int WGRS_ETH_P_IPV6 = ETH_P_IPV6;
unsigned int wgrs_skb_headroom(const struct sk_buff *skb);
bool wgrs_skb_may_pull(struct sk_buff *skb, unsigned int len);
int wgrs_skb_trim(struct sk_buff *skb, unsigned int len);
void wgrs_skb_pull_inline(struct sk_buff *skb, unsigned int len);
void wgrs_skb_push_inline(struct sk_buff *skb, unsigned int len);
u16 wgrs_skb_protocol(const struct sk_buff *skb);
void wgrs_skb_set_protocol(struct sk_buff *skb, u16 protocol);
int wgrs_skb_network_offset(const struct sk_buff *skb);
int wgrs_skb_transport_offset(const struct sk_buff *skb);
bool wgrs_skb_transport_header_in_head(const struct sk_buff *skb, unsigned int len);
bool wgrs_skb_network_header_in_head(const struct sk_buff *skb);
bool wgrs_skb_network_may_pull(struct sk_buff *skb, unsigned int len);
void wgrs_skb_reset_network_header(struct sk_buff *skb);
u32 wgrs_skb_mark(const struct sk_buff *skb);
int wgrs_skb_iif(const struct sk_buff *skb);
bool wgrs_skb_is_gso(const struct sk_buff *skb);
struct sk_buff *wgrs_skb_gso_segment(struct sk_buff *skb, int *err);
struct sk_buff *wgrs_skb_share_check(struct sk_buff *skb);
unsigned int wgrs_skb_dst_mtu(const struct sk_buff *skb);
void wgrs_skb_dst_drop(struct sk_buff *skb);
void wgrs_skb_orphan(struct sk_buff *skb);
void wgrs_skb_set_dev(struct sk_buff *skb, struct net_device *dev);
struct sk_buff *wgrs_alloc_skb(unsigned int headroom, unsigned int len);
u8 wgrs_ip_tunnel_ecn_encap(const struct sk_buff *skb);
u8 wgrs_ip_tunnel_get_dsfield(const struct sk_buff *skb);
int wgrs_inet_ecn_decapsulate(struct sk_buff *skb, u8 outer);
u16 wgrs_ip_tunnel_parse_protocol(const struct sk_buff *skb);
void wgrs_skb_checksum_unnecessary(struct sk_buff *skb);
void wgrs_skb_reset_packet(struct sk_buff *skb, bool encapsulating);
bool wgrs_skb_seal(struct sk_buff *skb, const void *header, unsigned int header_len,
		   unsigned int padding, unsigned int headroom, u64 nonce, const u8 *key);
bool wgrs_skb_open(struct sk_buff *skb, unsigned int header_len, u64 nonce, const u8 *key);

/* net.c: routing, UDP tunnel transmit, ICMP errors */
struct rtable *wgrs_route4(struct sock *sk, __be32 *saddr, __be32 daddr, __be16 dport,
			   u32 mark, int *err);
int wgrs_rtable_ifindex(const struct rtable *rt);
struct dst_entry *wgrs_rtable_dst(struct rtable *rt);
void wgrs_rtable_put(struct rtable *rt);
bool wgrs_local_addr4(struct sock *sk, __be32 addr);
void wgrs_udp_xmit4(struct rtable *rt, struct sock *sk, struct sk_buff *skb,
		    struct net_device *dev, __be32 saddr, __be32 daddr, __be16 dport,
		    u8 ds, u32 mark);
struct dst_entry *wgrs_route6(struct sock *sk, struct in6_addr *saddr,
			      const struct in6_addr *daddr, __be16 dport, u32 oif, u32 mark,
			      int *err);
bool wgrs_local_addr6(struct sock *sk, const struct in6_addr *addr);
void wgrs_udp_xmit6(struct dst_entry *dst, struct sock *sk, struct sk_buff *skb,
		    struct net_device *dev, const struct in6_addr *saddr,
		    const struct in6_addr *daddr, __be16 dport, u8 ds, u32 mark);
void wgrs_dst_release(struct dst_entry *dst);
void wgrs_dst_cache_reset(struct dst_cache *cache);
void wgrs_icmp_unreachable(struct sk_buff *skb);
void wgrs_skb_source4(const struct sk_buff *skb, __be32 *saddr, __be32 *daddr, __be16 *sport);
void wgrs_skb_source6(const struct sk_buff *skb, struct in6_addr *saddr, struct in6_addr *daddr,
		      __be16 *sport, u32 *scope_id);
bool wgrs_skb_udp_payload(struct sk_buff *skb, unsigned int min_len);
bool wgrs_skb_gso_joinable(const struct sk_buff *skb);
struct sk_buff *wgrs_skb_join_udp_gso(struct sk_buff *first, unsigned int size,
				      unsigned int segs);
bool wgrs_skb_protocol_matches(const struct sk_buff *skb);

/* route.c: route gateways, the route back to a source, L3 protocol */
enum {
	WGRS_GW_NONE = 0,
	WGRS_GW_ONLINK = 1,
	WGRS_GW_V4 = 2,
	WGRS_GW_V6 = 3,
};
struct wgrs_gateway {
	u32 kind;
	u8 addr[16];
};
void wgrs_skb_route_gateway(const struct sk_buff *skb, const struct net_device *dev,
			    struct wgrs_gateway *gw);
int wgrs_skb_route_back(struct sk_buff *skb, struct net_device *dev,
			struct wgrs_gateway *gws, int max);
bool wgrs_skb_fix_l3_protocol(struct sk_buff *skb);

/* sched.c: bottom-half locks, NAPI, timers, workqueues, CPUs */
void wgrs_spin_lock_bh(spinlock_t *lock);
bool wgrs_spin_trylock_bh(spinlock_t *lock);
void wgrs_spin_unlock_bh(spinlock_t *lock);
void wgrs_local_bh_disable(void);
void wgrs_local_bh_enable(void);
void wgrs_napi_add(struct net_device *dev, struct napi_struct *napi,
		   int (*poll)(struct napi_struct *, int));
void wgrs_napi_del(struct napi_struct *napi);
bool wgrs_napi_schedule(struct napi_struct *napi);
void wgrs_napi_gro_receive(struct napi_struct *napi, struct sk_buff *skb);
void wgrs_timer_setup(struct timer_list *timer, void (*func)(struct timer_list *),
		      const char *name, struct lock_class_key *key);
bool wgrs_timer_pending(const struct timer_list *timer);
unsigned long wgrs_jiffies(void);
unsigned int wgrs_hz(void);
u32 wgrs_random_below(u32 ceil);
struct workqueue_struct *wgrs_alloc_workqueue(const char *name, unsigned int flags);
bool wgrs_work_pending(struct work_struct *work);
unsigned int wgrs_cpu_next_online(int cpu);
unsigned int wgrs_cpu_nth_online(unsigned int id);
bool wgrs_cpu_online(unsigned int cpu);
unsigned int wgrs_nr_cpu_ids(void);
unsigned int wgrs_num_online_cpus(void);
bool wgrs_need_resched(void);
void wgrs_cond_resched(void);
bool wgrs_rng_is_initialized(void);
static const unsigned int WGRS_WQ_CPU_INTENSIVE = WQ_CPU_INTENSIVE;
static const unsigned int WGRS_WQ_FREEZABLE = WQ_FREEZABLE;
static const unsigned int WGRS_WQ_PERCPU = WQ_PERCPU;
static const unsigned int WGRS_WQ_UNBOUND = WQ_UNBOUND;
static const unsigned int WGRS_WQ_MEM_RECLAIM = WQ_MEM_RECLAIM;

#endif /* WGRS_KAPI_H */
