// SPDX-License-Identifier: GPL-2.0
/*
 * wgnl: send one hand-made request to the generic netlink family
 * "wireguard" and print how the kernel answered. For tests that need
 * requests wg(8) never sends: wrong sizes, unknown attributes, missing
 * ones, unknown commands, no privileges.
 *
 *   wgnl [-u] [-d] [-x CMD] CMD ATTR...
 *   wgnl [-u] -f FILE
 *
 *   -u     drop to uid/gid 65534 (no capabilities) before sending
 *   -d     send as a dump request (NLM_F_DUMP)
 *   -x CMD run the shell command CMD after the first reply has arrived and
 *          before reading the rest (to change a device in mid-dump)
 *   -f FILE send one request per line of FILE ("CMD ATTR...", "-" for
 *          stdin), one after the other on one socket, each waiting for its
 *          answer; prints "ok REQUESTS" or "error ERRNO MESSAGE at line N"
 *          for the first request refused (the rest are not sent)
 *   CMD    genl command number (0: WG_CMD_GET_DEVICE, 1: WG_CMD_SET_DEVICE)
 *   ATTR   TYPE:HEX   attribute TYPE with payload bytes HEX ("" for empty)
 *          TYPE:s:STR attribute TYPE with the string STR and its NUL
 *          TYPE:u32:N / TYPE:u16:N / TYPE:u8:N   integers in host order
 *          TYPE:b64:STR  attribute TYPE with the base64-decoded STR (a key)
 *          TYPE:ip4:A / TYPE:ip6:A   an IPv4 or IPv6 address, 4 or 16 bytes
 *          TYPE:{     opens a nested attribute (NLA_F_NESTED set) ...
 *          }          ... and closes the innermost one
 *
 * Prints "ok MESSAGES" or "error ERRNO MESSAGE" (the extended ack message,
 * if any), and exits 0 either way unless the tool itself failed (exit 2).
 * "ok MESSAGES intr" means a reply was marked NLM_F_DUMP_INTR (the device
 * changed while it was being dumped).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#define BUF 65536

static unsigned char req[BUF], resp[BUF];
static size_t nests[16];
static int depth;
static const char *between;
static int intr;

static void die(const char *what)
{
	perror(what);
	exit(2);
}

static size_t put_attr(size_t off, unsigned short type, const void *data, size_t len)
{
	struct nlattr *a = (struct nlattr *)(req + off);

	if (off + NLA_HDRLEN + NLA_ALIGN(len) > BUF) {
		fprintf(stderr, "request too long\n");
		exit(2);
	}
	a->nla_type = type;
	a->nla_len = NLA_HDRLEN + len;
	memcpy(req + off + NLA_HDRLEN, data, len);
	memset(req + off + NLA_HDRLEN + len, 0, NLA_ALIGN(len) - len);
	return off + NLA_HDRLEN + NLA_ALIGN(len);
}

/* Closes the innermost nest opened by "TYPE:{". */
static size_t close_nest(size_t off)
{
	if (!depth) {
		fprintf(stderr, "} without a nest\n");
		exit(2);
	}
	depth--;
	((struct nlattr *)(req + nests[depth]))->nla_len = off - nests[depth];
	return off;
}

/* Decodes standard base64 (with "=" padding); returns the length, or -1. */
static size_t base64_decode(const char *in, unsigned char *out, size_t max)
{
	static const char digits[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	unsigned int acc = 0, bits = 0;
	size_t n = 0;

	for (; *in && *in != '='; in++) {
		const char *d = strchr(digits, *in);

		if (!d || !*d)
			return (size_t)-1;
		acc = (acc << 6) | (unsigned int)(d - digits);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (n == max)
				return (size_t)-1;
			out[n++] = (acc >> bits) & 0xff;
		}
	}
	return n;
}

static size_t parse_attr(size_t off, const char *spec)
{
	unsigned char bytes[4096];
	char *end;
	unsigned long type = strtoul(spec, &end, 0);
	const char *v;
	size_t n = 0;

	if (*end != ':') {
		fprintf(stderr, "bad attribute %s\n", spec);
		exit(2);
	}
	v = end + 1;
	if (!strcmp(v, "{")) {
		if (depth == (int)(sizeof(nests) / sizeof(nests[0]))) {
			fprintf(stderr, "nested too deep\n");
			exit(2);
		}
		nests[depth++] = off;
		return put_attr(off, type | NLA_F_NESTED, NULL, 0);
	}
	if (!strncmp(v, "s:", 2))
		return put_attr(off, type, v + 2, strlen(v + 2) + 1);
	if (!strncmp(v, "u32:", 4)) {
		uint32_t x = strtoul(v + 4, NULL, 0);

		return put_attr(off, type, &x, sizeof(x));
	}
	if (!strncmp(v, "u8:", 3)) {
		uint8_t x = strtoul(v + 3, NULL, 0);

		return put_attr(off, type, &x, sizeof(x));
	}
	if (!strncmp(v, "u16:", 4)) {
		uint16_t x = strtoul(v + 4, NULL, 0);

		return put_attr(off, type, &x, sizeof(x));
	}
	if (!strncmp(v, "b64:", 4)) {
		n = base64_decode(v + 4, bytes, sizeof(bytes));
		if (n == (size_t)-1) {
			fprintf(stderr, "bad base64 in %s\n", spec);
			exit(2);
		}
		return put_attr(off, type, bytes, n);
	}
	if (!strncmp(v, "ip4:", 4) || !strncmp(v, "ip6:", 4)) {
		int af = v[2] == '4' ? AF_INET : AF_INET6;

		if (inet_pton(af, v + 4, bytes) != 1) {
			fprintf(stderr, "bad address in %s\n", spec);
			exit(2);
		}
		return put_attr(off, type, bytes, af == AF_INET ? 4 : 16);
	}
	while (v[0] && v[1] && n < sizeof(bytes)) {
		unsigned int b;

		if (sscanf(v, "%2x", &b) != 1) {
			fprintf(stderr, "bad hex in %s\n", spec);
			exit(2);
		}
		bytes[n++] = b;
		v += 2;
	}
	return put_attr(off, type, bytes, n);
}

/* Copies the extended ack message of error message h, if any, into msg. */
static void ack_message(const struct nlmsghdr *h, char *msg, size_t msglen)
{
	const struct nlmsgerr *e = NLMSG_DATA(h);
	size_t off = NLMSG_HDRLEN + sizeof(*e);

	if (!(h->nlmsg_flags & NLM_F_CAPPED))
		off += e->msg.nlmsg_len - NLMSG_HDRLEN;
	if (!(h->nlmsg_flags & NLM_F_ACK_TLVS))
		return;
	while (off + NLA_HDRLEN <= h->nlmsg_len) {
		const struct nlattr *a = (const struct nlattr *)((const char *)h + off);

		if (a->nla_len < NLA_HDRLEN)
			break;
		if ((a->nla_type & NLA_TYPE_MASK) == NLMSGERR_ATTR_MSG)
			snprintf(msg, msglen, "%s", (const char *)a + NLA_HDRLEN);
		off += NLA_ALIGN(a->nla_len);
	}
}

/* Sends req (len bytes); returns the first error, or 0 and counts replies. */
static int transact(int fd, size_t len, int *messages, char *msg, size_t msglen)
{
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	int done = 0;

	((struct nlmsghdr *)req)->nlmsg_len = len;
	if (sendto(fd, req, len, 0, (struct sockaddr *)&kernel, sizeof(kernel)) < 0)
		die("sendto");
	*messages = 0;
	msg[0] = '\0';
	while (!done) {
		ssize_t n = recv(fd, resp, sizeof(resp), 0);
		struct nlmsghdr *h;

		if (n < 0)
			die("recv");
		if (between) {
			pid_t pid = fork();
			int status;

			if (pid < 0)
				die("fork");
			if (!pid) {
				execl("/bin/sh", "sh", "-c", between, (char *)NULL);
				_exit(127);
			}
			if (waitpid(pid, &status, 0) < 0)
				die("waitpid");
			between = NULL;
		}
		for (h = (struct nlmsghdr *)resp; NLMSG_OK(h, n); h = NLMSG_NEXT(h, n)) {
			if (h->nlmsg_type == NLMSG_DONE)
				return 0;
			if (h->nlmsg_type == NLMSG_ERROR) {
				ack_message(h, msg, msglen);
				return ((struct nlmsgerr *)NLMSG_DATA(h))->error;
			}
			++*messages;
			if (h->nlmsg_flags & NLM_F_DUMP_INTR)
				intr = 1;
			if (!(h->nlmsg_flags & NLM_F_MULTI))
				done = 1;
		}
	}
	return 0;
}

/* Builds a request for genl command CMD with the attributes in ATTRS. */
static size_t build_request(int family, int dump, const char *cmd, int n, char **attrs)
{
	struct nlmsghdr *h = (struct nlmsghdr *)req;
	struct genlmsghdr *g = NLMSG_DATA(h);
	static unsigned int seq = 1;
	size_t off;
	int i;

	memset(req, 0, NLMSG_HDRLEN + GENL_HDRLEN);
	h->nlmsg_type = family;
	h->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | (dump ? NLM_F_DUMP : 0);
	h->nlmsg_seq = ++seq;
	g->cmd = strtoul(cmd, NULL, 0);
	g->version = 1;
	off = NLMSG_HDRLEN + GENL_HDRLEN;
	for (i = 0; i < n; i++)
		off = strcmp(attrs[i], "}") ? parse_attr(off, attrs[i]) : close_nest(off);
	if (depth) {
		fprintf(stderr, "unclosed nest\n");
		exit(2);
	}
	return off;
}

/* Sends the requests of a file, one per line, until one is refused. */
static int run_batch(int fd, int family, const char *path)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "r") : stdin;
	char line[16384], msg[256], *tok[1024];
	int sent = 0, lineno = 0, messages, err, n;

	if (!f)
		die(path);
	while (fgets(line, sizeof(line), f)) {
		lineno++;
		n = 0;
		for (char *t = strtok(line, " \t\n"); t; t = strtok(NULL, " \t\n")) {
			if (n == (int)(sizeof(tok) / sizeof(tok[0]))) {
				fprintf(stderr, "line %d: too many attributes\n", lineno);
				exit(2);
			}
			tok[n++] = t;
		}
		if (!n)
			continue;
		err = transact(fd, build_request(family, 0, tok[0], n - 1, tok + 1),
			       &messages, msg, sizeof(msg));
		if (err) {
			printf("error %d %s at line %d\n", err, msg, lineno);
			return 0;
		}
		sent++;
	}
	printf("ok %d\n", sent);
	return 0;
}

int main(int argc, char *argv[])
{
	int fd, one = 1, drop = 0, dump = 0, family = -1, err, messages;
	const char *after_first = NULL, *batch = NULL;
	struct nlmsghdr *h = (struct nlmsghdr *)req;
	struct genlmsghdr *g = NLMSG_DATA(h);
	char msg[256];
	size_t off;

	while (argc > 1 && argv[1][0] == '-' && argv[1][1]) {
		if (!strcmp(argv[1], "-u")) {
			drop = 1;
		} else if (!strcmp(argv[1], "-d")) {
			dump = 1;
		} else if (!strcmp(argv[1], "-x") && argc > 2) {
			argc--;
			argv++;
			after_first = argv[1];
		} else if (!strcmp(argv[1], "-f") && argc > 2) {
			argc--;
			argv++;
			batch = argv[1];
		} else {
			break;
		}
		argc--;
		argv++;
	}
	if (argc < 2 && !batch) {
		fprintf(stderr, "usage: wgnl [-u] [-d] [-x CMD] CMD ATTR... | wgnl [-u] -f FILE\n");
		return 2;
	}
	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
	if (fd < 0)
		die("socket");
	setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));

	/* Resolve the family id (as root, before dropping privileges). */
	memset(req, 0, NLMSG_HDRLEN + GENL_HDRLEN);
	h->nlmsg_type = GENL_ID_CTRL;
	h->nlmsg_flags = NLM_F_REQUEST;
	g->cmd = CTRL_CMD_GETFAMILY;
	g->version = 1;
	off = put_attr(NLMSG_HDRLEN + GENL_HDRLEN, CTRL_ATTR_FAMILY_NAME, "wireguard", 10);
	err = transact(fd, off, &messages, msg, sizeof(msg));
	if (err) {
		printf("error %d no family wireguard\n", err);
		return 0;
	}
	{
		struct nlmsghdr *r = (struct nlmsghdr *)resp;
		size_t p = NLMSG_HDRLEN + GENL_HDRLEN;

		while (p + NLA_HDRLEN <= r->nlmsg_len) {
			struct nlattr *a = (struct nlattr *)((char *)r + p);

			if (a->nla_type == CTRL_ATTR_FAMILY_ID)
				family = *(uint16_t *)((char *)a + NLA_HDRLEN);
			p += NLA_ALIGN(a->nla_len);
		}
	}
	if (family < 0) {
		fprintf(stderr, "no family id in reply\n");
		return 2;
	}

	if (drop && (setgid(65534) || setuid(65534)))
		die("setuid");

	if (batch)
		return run_batch(fd, family, batch);
	off = build_request(family, dump, argv[1], argc - 2, argv + 2);
	between = after_first;
	err = transact(fd, off, &messages, msg, sizeof(msg));
	if (err)
		printf("error %d %s\n", err, msg);
	else
		printf("ok %d%s\n", messages, intr ? " intr" : "");
	return 0;
}
