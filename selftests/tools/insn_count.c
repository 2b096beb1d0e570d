// SPDX-License-Identifier: GPL-2.0
/*
 * insn_count.so: a QEMU TCG plugin (host side) for the instruction profile
 * of the benchmarks (selftests/bench/32-insn-profile.sh). It counts the
 * guest instructions executed in each translation block, by the block's
 * guest virtual address, and each time the guest enters the code at the
 * address given as mark= (the benchmark's checkpoint) it writes the counts
 * to the next file out.0, out.1, ... and starts again from zero:
 *
 *   qemu-system-x86_64 ... -plugin insn_count.so,mark=0xffffffff81277290,out=/tmp/p
 *
 * Each file holds lines "VADDR INSTRUCTIONS" (hex, decimal) for the blocks
 * that ran. A block's instructions count when it starts, so one left early
 * (an exception, an interrupt) counts whole: the figures are exact for
 * straight-line code and near enough for a profile. Under MTTCG the counts
 * of two vCPUs can race; the benchmarks run it under -icount (one thread).
 *
 * QEMU 7.2's plugin API (version 1): the few declarations it needs are
 * made here, as the Debian package ships no header.
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef uint64_t qemu_plugin_id_t;
typedef struct {
	const char *target_name;
	struct {
		int min;
		int cur;
	} version;
	bool system_emulation;
	union {
		struct {
			int smp_vcpus;
			int max_vcpus;
		} system;
	};
} qemu_info_t;
struct qemu_plugin_tb;
enum qemu_plugin_cb_flags { QEMU_PLUGIN_CB_NO_REGS };
enum qemu_plugin_op { QEMU_PLUGIN_INLINE_ADD_U64 };
typedef void (*tb_trans_cb)(qemu_plugin_id_t id, struct qemu_plugin_tb *tb);
typedef void (*vcpu_udata_cb)(unsigned int vcpu_index, void *userdata);
typedef void (*udata_cb)(qemu_plugin_id_t id, void *userdata);

void qemu_plugin_register_vcpu_tb_trans_cb(qemu_plugin_id_t id, tb_trans_cb cb);
void qemu_plugin_register_vcpu_tb_exec_cb(struct qemu_plugin_tb *tb, vcpu_udata_cb cb,
					  enum qemu_plugin_cb_flags flags, void *userdata);
void qemu_plugin_register_vcpu_tb_exec_inline(struct qemu_plugin_tb *tb,
					      enum qemu_plugin_op op, void *ptr, uint64_t imm);
size_t qemu_plugin_tb_n_insns(const struct qemu_plugin_tb *tb);
uint64_t qemu_plugin_tb_vaddr(const struct qemu_plugin_tb *tb);
void qemu_plugin_register_atexit_cb(qemu_plugin_id_t id, udata_cb cb, void *userdata);

#define EXPORT __attribute__((visibility("default")))

EXPORT int qemu_plugin_version = 1;

/* One translation of a block; a block translated again gets another. */
struct block {
	uint64_t vaddr;
	uint64_t insns;
	struct block *next;
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct block *blocks;
static uint64_t mark;
static const char *out = "insn_count";
static unsigned int dumps;

/* Writes the counts since the last dump to the next file, and zeroes them. */
static void dump(void)
{
	char path[4096];
	struct block *b;
	FILE *f;

	pthread_mutex_lock(&lock);
	snprintf(path, sizeof(path), "%s.%u", out, dumps++);
	f = fopen(path, "w");
	for (b = blocks; b; b = b->next) {
		if (b->insns && f)
			fprintf(f, "%" PRIx64 " %" PRIu64 "\n", b->vaddr, b->insns);
		b->insns = 0;
	}
	if (f)
		fclose(f);
	pthread_mutex_unlock(&lock);
}

static void at_mark(unsigned int vcpu_index, void *userdata)
{
	(void)vcpu_index;
	(void)userdata;
	dump();
}

static void tb_trans(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
	struct block *b = calloc(1, sizeof(*b));

	(void)id;
	if (!b)
		return;
	b->vaddr = qemu_plugin_tb_vaddr(tb);
	pthread_mutex_lock(&lock);
	b->next = blocks;
	blocks = b;
	pthread_mutex_unlock(&lock);
	qemu_plugin_register_vcpu_tb_exec_inline(tb, QEMU_PLUGIN_INLINE_ADD_U64, &b->insns,
						 qemu_plugin_tb_n_insns(tb));
	if (mark && b->vaddr == mark)
		qemu_plugin_register_vcpu_tb_exec_cb(tb, at_mark, QEMU_PLUGIN_CB_NO_REGS, NULL);
}

EXPORT int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info, int argc,
			       char **argv)
{
	int i;

	(void)info;
	for (i = 0; i < argc; i++) {
		if (!strncmp(argv[i], "mark=", 5))
			mark = strtoull(argv[i] + 5, NULL, 16);
		else if (!strncmp(argv[i], "out=", 4))
			out = argv[i] + 4;
		else {
			fprintf(stderr, "insn_count: unknown argument %s\n", argv[i]);
			return -1;
		}
	}
	qemu_plugin_register_vcpu_tb_trans_cb(id, tb_trans);
	return 0;
}
