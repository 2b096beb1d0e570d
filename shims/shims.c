// SPDX-License-Identifier: GPL-2.0
/*
 * Out-of-line versions of the inline functions and macros wireguard-rs calls
 * from Rust, most of them one line that only forwards. Two pieces do more,
 * because they only exist as C data structures and macros: setting up a UDP
 * tunnel socket (a udp_port_cfg and udp_tunnel_sock_cfg filled in and the
 * socket's allocation flags set, as the C driver's socket.c does), and the
 * pernet exit hook with its list of watching devices.
 */
#include "wgrs_kapi.h"

void *wgrs_netdev_priv(const struct net_device *dev)
{
	return netdev_priv(dev);
}

void wgrs_dev_put(struct net_device *dev)
{
	dev_put(dev);
}

void wgrs_dev_stats_inc_tx_errors(struct net_device *dev)
{
	DEV_STATS_INC(dev, tx_errors);
}

void wgrs_dev_stats_inc_tx_dropped(struct net_device *dev)
{
	DEV_STATS_INC(dev, tx_dropped);
}

void wgrs_dev_stats_add(struct net_device *dev, enum wgrs_stat which, u64 n)
{
	switch (which) {
	case WGRS_STAT_TX_DROPPED:
		DEV_STATS_ADD(dev, tx_dropped, n);
		break;
	case WGRS_STAT_RX_LENGTH_ERRORS:
		DEV_STATS_ADD(dev, rx_errors, n);
		DEV_STATS_ADD(dev, rx_length_errors, n);
		break;
	case WGRS_STAT_RX_FRAME_ERRORS:
		DEV_STATS_ADD(dev, rx_errors, n);
		DEV_STATS_ADD(dev, rx_frame_errors, n);
		break;
	case WGRS_STAT_RX_DROPPED:
		DEV_STATS_ADD(dev, rx_dropped, n);
		break;
	}
}

void wgrs_dev_sw_netstats_rx_add(struct net_device *dev, unsigned int len)
{
	dev_sw_netstats_rx_add(dev, len);
}

void wgrs_dev_sw_netstats_tx_add(struct net_device *dev, unsigned int packets,
				 unsigned int len)
{
	dev_sw_netstats_tx_add(dev, packets, len);
}

void wgrs_netdev_setup_tunnel(struct net_device *dev, unsigned int headroom,
			      unsigned int tailroom)
{
	const netdev_features_t features = NETIF_F_HW_CSUM | NETIF_F_RXCSUM | NETIF_F_SG |
					   NETIF_F_GSO | NETIF_F_GSO_SOFTWARE | NETIF_F_HIGHDMA;

	dev->header_ops = &ip_tunnel_header_ops;
	dev->needed_headroom = headroom;
	dev->needed_tailroom = tailroom;
	dev->lltx = true;
	dev->features |= features;
	dev->hw_features |= features;
	dev->hw_enc_features |= features;
	netif_set_tso_max_size(dev, GSO_MAX_SIZE);
}

void wgrs_netdev_tunnel_conf(struct net_device *dev)
{
	struct in_device *dev_v4 = __in_dev_get_rtnl(dev);
	struct inet6_dev *dev_v6 = __in6_dev_get(dev);

	if (dev_v4) {
		IN_DEV_CONF_SET(dev_v4, SEND_REDIRECTS, false);
		IPV4_DEVCONF_ALL(dev_net(dev), SEND_REDIRECTS) = false;
	}
	if (dev_v6)
		dev_v6->cnf.addr_gen_mode = IN6_ADDR_GEN_MODE_NONE;
}

void wgrs_netif_keep_dst(struct net_device *dev)
{
	netif_keep_dst(dev);
}

/* The C driver's device type name, which udev and network managers see as
 * DEVTYPE=wireguard.
 */
static const struct device_type wgrs_device_type = { .name = "wireguard" };

void wgrs_set_wireguard_devtype(struct net_device *dev)
{
	SET_NETDEV_DEVTYPE(dev, &wgrs_device_type);
}

struct net *wgrs_dev_net(const struct net_device *dev)
{
	return dev_net(dev);
}

/* Bitfields: bindgen's accessors vary with the layout, a store does not. */
void wgrs_netdev_add_priv_flags(struct net_device *dev, unsigned int flags)
{
	dev->priv_flags |= flags;
}

void wgrs_netdev_set_lltx(struct net_device *dev, bool lltx)
{
	dev->lltx = lltx;
}

void wgrs_netdev_set_pcpu_stat_type(struct net_device *dev, enum netdev_stat_type type)
{
	dev->pcpu_stat_type = type;
}

void wgrs_kfree_skb(struct sk_buff *skb)
{
	kfree_skb(skb);
}

struct net *wgrs_sock_net_of_skb(const struct sk_buff *skb)
{
	return sock_net(skb->sk);
}

struct nlattr **wgrs_genl_dump_attrs(struct netlink_callback *cb)
{
	return genl_info_dump(cb)->attrs;
}

struct net *wgrs_genl_info_net(const struct genl_info *info)
{
	return genl_info_net(info);
}

u32 wgrs_netlink_cb_portid(const struct sk_buff *skb)
{
	return NETLINK_CB(skb).portid;
}

u32 wgrs_nlmsg_seq(const struct netlink_callback *cb)
{
	return cb->nlh->nlmsg_seq;
}

void wgrs_genl_dump_check_consistent(struct netlink_callback *cb, void *user_hdr)
{
	genl_dump_check_consistent(cb, user_hdr);
}

struct nlattr *wgrs_nla_nest_start(struct sk_buff *skb, int attrtype)
{
	return nla_nest_start(skb, attrtype);
}

void wgrs_nla_nest_end(struct sk_buff *skb, struct nlattr *start)
{
	nla_nest_end(skb, start);
}

void wgrs_nla_nest_cancel(struct sk_buff *skb, struct nlattr *start)
{
	nla_nest_cancel(skb, start);
}

int wgrs_nla_len(const struct nlattr *nla)
{
	return nla_len(nla);
}

void *wgrs_nla_data(const struct nlattr *nla)
{
	return nla_data(nla);
}

/* NL_SET_ERR_MSG() wants a literal; the Rust side passes a static C string. */
void wgrs_genl_set_err_msg(struct genl_info *info, const char *msg)
{
	if (info->extack)
		info->extack->_msg = msg;
}

/* The device of @net with the lowest index >= *@ifindex, held, with its
 * index in *@ifindex; NULL when there is none. */
struct net_device *wgrs_dev_get_next(struct net *net, unsigned long *ifindex)
{
	struct net_device *dev;

	rcu_read_lock();
	dev = xa_find(&net->dev_by_index, ifindex, ULONG_MAX, XA_PRESENT);
	if (dev)
		dev_hold(dev);
	rcu_read_unlock();
	return dev;
}

unsigned int wgrs_skb_len(const struct sk_buff *skb)
{
	return skb->len;
}

void wgrs_blake2s_init_key(struct blake2s_ctx *ctx, size_t outlen, const void *key, size_t keylen)
{
	blake2s_init_key(ctx, outlen, key, keylen);
}

int wgrs_crypto_memneq(const void *a, const void *b, size_t size)
{
	return crypto_memneq(a, b, size);
}

u64 wgrs_ktime_get_coarse_boottime_ns(void)
{
	return ktime_get_coarse_boottime_ns();
}

u64 wgrs_ktime_get_mono_fast_ns(void)
{
	return ktime_get_mono_fast_ns();
}

void wgrs_ktime_get_real_ts64(s64 *sec, long *nsec)
{
	struct timespec64 now;

	ktime_get_real_ts64(&now);
	*sec = now.tv_sec;
	*nsec = now.tv_nsec;
}

u64 wgrs_totalram_bytes(void)
{
	return (u64)totalram_pages() << PAGE_SHIFT;
}

struct kmem_cache *wgrs_kmem_cache_create(const char *name, unsigned int size, unsigned int align)
{
	return kmem_cache_create(name, size, align, 0, NULL);
}

void *wgrs_kmem_cache_alloc(struct kmem_cache *cache, gfp_t flags)
{
	return kmem_cache_alloc(cache, flags);
}

void *wgrs_kmalloc_atomic(size_t size)
{
	return kmalloc(size, GFP_ATOMIC);
}

void wgrs_kvfree_rcu(struct kvfree_rcu_head *head, void *ptr)
{
	kvfree_call_rcu(head, ptr);
}

struct sock *wgrs_udp_tunnel_open(struct net *net, bool ipv6, u16 port, void *user_data,
				  wgrs_encap_rcv_t rcv, int *err)
{
	struct udp_tunnel_sock_cfg cfg = {
		.sk_user_data = user_data,
		.encap_type = 1,
		.encap_rcv = rcv,
	};
	struct udp_port_cfg port_cfg = {
		.local_udp_port = htons(port),
	};
	struct socket *sock = NULL;

	if (ipv6) {
		port_cfg.family = AF_INET6;
		port_cfg.local_ip6 = in6addr_any;
		port_cfg.use_udp6_tx_checksums = true;
		port_cfg.use_udp6_rx_checksums = true;
		port_cfg.ipv6_v6only = true;
	} else {
		port_cfg.family = AF_INET;
		port_cfg.local_ip.s_addr = htonl(INADDR_ANY);
		port_cfg.use_udp_checksums = true;
	}
	*err = udp_sock_create(net, &port_cfg, &sock);
	if (*err < 0)
		return NULL;
	/* As the C driver: never block or fail for lack of socket memory. */
	sock->sk->sk_allocation = GFP_ATOMIC;
	sock->sk->sk_sndbuf = INT_MAX;
	sk_set_memalloc(sock->sk);
	setup_udp_tunnel_sock(net, sock->sk, &cfg);
	/*
	 * Unlike other UDP tunnels, nothing here reuses an outer checksum for
	 * the inner packet (the AEAD authenticates it, and it is delivered as
	 * CHECKSUM_UNNECESSARY). Without the conversion the tunnel socket
	 * asks for, a UDP GSO packet from this host (ours, see
	 * wgrs_skb_join_udp_gso) is split for the socket without computing
	 * each segment's checksum in software: it is CHECKSUM_PARTIAL, as
	 * every packet looped back alone is.
	 */
	inet_dec_convert_csum(sock->sk);
	return sock->sk;
}

void wgrs_udp_tunnel_close(struct sock *sk)
{
	sk_clear_memalloc(sk);
	udp_tunnel_sock_release(sk);
}

void *wgrs_sock_user_data(struct sock *sk)
{
	return rcu_dereference_sk_user_data(sk);
}

u16 wgrs_sock_local_port(const struct sock *sk)
{
	return ntohs(inet_sk(sk)->inet_sport);
}

bool wgrs_ipv6_enabled(void)
{
	return IS_ENABLED(CONFIG_IPV6) && ipv6_mod_enabled();
}

struct net *wgrs_maybe_get_net(struct net *net)
{
	return maybe_get_net(net);
}

void wgrs_put_net(struct net *net)
{
	put_net(net);
}

bool wgrs_net_admin_capable(const struct net *net)
{
	return ns_capable(net->user_ns, CAP_NET_ADMIN);
}

struct net *wgrs_newlink_link_net(struct rtnl_newlink_params *params)
{
	return rtnl_newlink_link_net(params);
}

bool wgrs_netif_running(const struct net_device *dev)
{
	return netif_running(dev);
}

void wgrs_netif_carrier_off(struct net_device *dev)
{
	netif_carrier_off(dev);
}

static LIST_HEAD(wgrs_netns_watches); /* under RTNL */

static void wgrs_netns_exit_rtnl(struct net *net, struct list_head *dev_kill_list)
{
	struct wgrs_netns_watch *w;

	list_for_each_entry(w, &wgrs_netns_watches, list)
		w->exit(w->ctx, net);
}

static struct pernet_operations wgrs_pernet_ops = {
	.exit_rtnl = wgrs_netns_exit_rtnl,
};

int wgrs_netns_watch_register(void)
{
	return register_pernet_device(&wgrs_pernet_ops);
}

void wgrs_netns_watch_unregister(void)
{
	unregister_pernet_device(&wgrs_pernet_ops);
}

void wgrs_netns_watch_add(struct wgrs_netns_watch *w)
{
	ASSERT_RTNL();
	list_add(&w->list, &wgrs_netns_watches);
}

void wgrs_netns_watch_del(struct wgrs_netns_watch *w)
{
	ASSERT_RTNL();
	list_del(&w->list);
}
