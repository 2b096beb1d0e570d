// SPDX-License-Identifier: GPL-2.0
/*
 * kmsg: read the kernel log through /dev/kmsg, by record sequence number,
 * whatever the console log level and without clearing anything.
 *
 *   kmsg next       print the sequence number the next record will get
 *   kmsg since SEQ  print the text of every record numbered SEQ or later,
 *                   one line per line of text, prefixed with "<LEVEL>"
 *
 * The harness marks the log before each test script (kmsg next) and scans
 * what the script made the kernel log (kmsg since MARK). If records the
 * caller asked for were overwritten in the ring buffer before they could
 * be read, "since" says so on stdout and exits 3: a scan that cannot see
 * everything must not pass.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Prints a record's text, undoing /dev/kmsg's \xNN escapes. */
static void print_text(unsigned int level, const char *s, const char *end)
{
	printf("<%u>", level);
	for (; s < end; s++) {
		if (s[0] == '\\' && end - s >= 4 && s[1] == 'x') {
			char hex[3] = { s[2], s[3], 0 };
			int c = (int)strtol(hex, NULL, 16);

			s += 3;
			if (c == '\n') {
				printf("\n<%u>", level);
				continue;
			}
			putchar(c);
			continue;
		}
		putchar(*s);
	}
	putchar('\n');
}

int main(int argc, char **argv)
{
	unsigned long long want = 0, seq, next = 0;
	int since, fd, lost = 0;
	static char rec[16384];

	if (argc == 2 && !strcmp(argv[1], "next")) {
		since = 0;
	} else if (argc == 3 && !strcmp(argv[1], "since")) {
		since = 1;
		want = strtoull(argv[2], NULL, 10);
	} else {
		fprintf(stderr, "usage: kmsg next | kmsg since SEQ\n");
		return 2;
	}
	fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK);
	if (fd < 0) {
		perror("kmsg: /dev/kmsg");
		return 1;
	}
	for (;;) {
		ssize_t n = read(fd, rec, sizeof(rec) - 1);
		unsigned long long from;
		unsigned int prio;
		char *text, *nl;

		if (n < 0 && (errno == EPIPE || errno == EINTR))
			continue;	/* EPIPE: overwritten; go on from the oldest */
		if (n < 0 && errno == EAGAIN)
			break;
		if (n <= 0) {
			perror("kmsg: read");
			return 1;
		}
		rec[n] = 0;
		if (sscanf(rec, "%u,%llu,", &prio, &seq) != 2)
			continue;
		/*
		 * Records between the one expected next and this one are gone
		 * (the first read starts at the oldest record left); that only
		 * matters for those the caller asked for.
		 */
		from = next > want ? next : want;
		if (since && seq > from) {
			printf("<0>kmsg: records %llu to %llu were overwritten before they were read\n",
			       from, seq - 1);
			lost = 1;
		}
		next = seq + 1;
		if (!since || seq < want)
			continue;
		text = strchr(rec, ';');
		if (!text)
			continue;
		text++;
		/* Dictionary lines (" KEY=value") follow the text's newline. */
		nl = strchr(text, '\n');
		print_text(prio & 7, text, nl ? nl : text + strlen(text));
	}
	if (!since)
		printf("%llu\n", next);
	return lost ? 3 : 0;
}
