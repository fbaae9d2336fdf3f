// SPDX-License-Identifier: GPL-2.0-only
/*
 * kio: file and device I/O for the guest tests of the daxfmap kernel (the
 * FUSE_DAX_FMAP series), where a file on the mount is a DAX file of
 * /dev/pmemN.  Device bytes are read with O_DIRECT only: the block device's
 * page cache is not what the DAX mappings see.
 *
 *   kio dcmp DEV FILE < TILES     each line "file_off dev_off len": FILE's
 *                                 bytes (read(2)) at file_off equal DEV's at
 *                                 dev_off (O_DIRECT pread)
 *   kio dwrite DEV OFF LEN        stdin to DEV at OFF (O_DIRECT pwrite)
 *   kio mcmp FILE WANT [nohuge]   FILE mmap'ed shared (MADV_HUGEPAGE unless
 *                                 nohuge) equals WANT (read(2) of WANT)
 *   kio mwrite FILE SEED OFF LEN  the devio pattern of SEED for bytes
 *                                 [OFF, OFF+LEN) of the file, stored through
 *                                 a shared mapping of FILE, then msync
 *   kio touch FILE [nohuge]       read one byte of every 4 KiB of FILE
 *                                 through a mapping (fault counting)
 *   kio mgate FILE WANT GATE      FILE mmap'ed shared equals WANT in its
 *                                 first half; creates GATE.ready, waits
 *                                 (60 s at most) for GATE, drops the page
 *                                 tables (MADV_DONTNEED) and checks the
 *                                 whole mapping again: the same mapping
 *                                 faults again after what GATE waited for
 *   kio open FILE                 open(2) FILE read-only: prints "ok" or the
 *                                 errno's name and number; exit 0 if it opened
 *   kio pread FILE OFF LEN        LEN bytes at OFF by pread(2) to stdout
 *   kio mprobe FILE OFF MAPLEN    map MAPLEN bytes of FILE (which may reach
 *                                 past its end) and load the byte at OFF:
 *                                 prints "ok" or "SIGBUS"
 *   kio hold FILE WANT            map FILE shared and keep it open; print
 *                                 "held" once the mapping equals WANT, then
 *                                 wait for a line on stdin and compare the
 *                                 mapping and read(2) of the open file with
 *                                 WANT again (the file may be unlinked and
 *                                 its name reused meanwhile)
 *
 * The pattern is devio's: word i of the stream of SEED is splitmix64 of
 * (SEED, i), so bytes [OFF, OFF+LEN) of a file equal the same bytes of
 * "devio pattern SEED SIZE".
 */
#define _GNU_SOURCE
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define DIO_ALIGN 4096u

static uint64_t num(const char *s)
{
	char *end;
	uint64_t v = strtoull(s, &end, 0);

	if (*s == '\0' || *end != '\0') {
		fprintf(stderr, "kio: not a number: %s\n", s);
		exit(2);
	}
	return v;
}

static int open_or_die(const char *path, int flags)
{
	int fd = open(path, flags);

	if (fd < 0) {
		fprintf(stderr, "kio: %s: %s\n", path, strerror(errno));
		exit(1);
	}
	return fd;
}

static void *aligned_buf(size_t len)
{
	void *p = NULL;

	if (posix_memalign(&p, DIO_ALIGN, len ? len : DIO_ALIGN) != 0) {
		fprintf(stderr, "kio: out of memory (%zu bytes)\n", len);
		exit(1);
	}
	return p;
}

/* Exactly len bytes at off, or exit. */
static void pread_all(int fd, const char *what, void *buf, size_t len, uint64_t off)
{
	for (size_t done = 0; done < len;) {
		ssize_t n = pread(fd, (char *)buf + done, len - done, (off_t)(off + done));

		if (n <= 0) {
			fprintf(stderr, "kio: pread %s at %" PRIu64 ": %s\n", what, off + done,
				n < 0 ? strerror(errno) : "end of file");
			exit(1);
		}
		done += (size_t)n;
	}
}

static uint64_t first_diff(const unsigned char *a, const unsigned char *b, uint64_t len)
{
	uint64_t i = 0;

	while (i < len && a[i] == b[i])
		i++;
	return i;
}

static int do_dcmp(const char *dev, const char *file)
{
	int dfd = open_or_die(dev, O_RDONLY | O_DIRECT);
	int ffd = open_or_die(file, O_RDONLY);
	uint64_t foff, doff, len, tiles = 0, bytes = 0;
	int bad = 0;

	while (scanf("%" SCNu64 " %" SCNu64 " %" SCNu64, &foff, &doff, &len) == 3) {
		unsigned char *got, *want;

		if (doff % DIO_ALIGN || len % DIO_ALIGN) {
			fprintf(stderr, "kio: device range %" PRIu64 "+%" PRIu64 " is not 4 KiB aligned\n", doff, len);
			return 2;
		}
		got = aligned_buf(len);
		want = aligned_buf(len);
		pread_all(dfd, dev, got, len, doff);
		pread_all(ffd, file, want, len, foff);
		if (memcmp(got, want, len) != 0) {
			fprintf(stderr, "kio: MISMATCH: file offset %" PRIu64 " -> device offset %" PRIu64
				": first differing byte at +%" PRIu64 "\n", foff, doff, first_diff(got, want, len));
			bad = 1;
		}
		tiles++;
		bytes += len;
		free(got);
		free(want);
	}
	printf("kio: %" PRIu64 " pieces, %" PRIu64 " bytes of %s equal %s read with O_DIRECT: %s\n", tiles,
	       bytes, file, dev, bad ? "NO (MISMATCH)" : "yes");
	return bad || tiles == 0;
}

static int do_dwrite(const char *dev, uint64_t off, uint64_t len)
{
	int fd = open_or_die(dev, O_WRONLY | O_DIRECT);
	unsigned char *buf;

	if (off % DIO_ALIGN || len % DIO_ALIGN) {
		fprintf(stderr, "kio: dwrite wants 4 KiB aligned offset and length\n");
		return 2;
	}
	buf = aligned_buf(len);
	for (uint64_t done = 0; done < len;) {
		ssize_t n = read(0, buf + done, len - done);

		if (n <= 0) {
			fprintf(stderr, "kio: stdin ended after %" PRIu64 " of %" PRIu64 " bytes\n", done, len);
			return 1;
		}
		done += (uint64_t)n;
	}
	for (uint64_t done = 0; done < len;) {
		ssize_t n = pwrite(fd, buf + done, len - done, (off_t)(off + done));

		if (n <= 0) {
			fprintf(stderr, "kio: pwrite %s: %s\n", dev, strerror(errno));
			return 1;
		}
		done += (uint64_t)n;
	}
	free(buf);
	return close(fd) != 0;
}

static unsigned char *map_file(const char *file, int prot, int huge, size_t *len)
{
	int fd = open_or_die(file, (prot & PROT_WRITE) ? O_RDWR : O_RDONLY);
	struct stat st;
	void *p;

	if (fstat(fd, &st) != 0 || st.st_size == 0) {
		fprintf(stderr, "kio: %s: empty or unreadable\n", file);
		exit(1);
	}
	*len = (size_t)st.st_size;
	p = mmap(NULL, *len, prot, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) {
		fprintf(stderr, "kio: mmap %s: %s\n", file, strerror(errno));
		exit(1);
	}
	if (madvise(p, *len, huge ? MADV_HUGEPAGE : MADV_NOHUGEPAGE) != 0)
		fprintf(stderr, "kio: madvise %s: %s (carrying on)\n", file, strerror(errno));
	close(fd);
	return p;
}

static int do_mcmp(const char *file, const char *wantf, int huge)
{
	size_t len;
	unsigned char *p = map_file(file, PROT_READ, huge, &len);
	int wfd = open_or_die(wantf, O_RDONLY);
	unsigned char *want = aligned_buf(len);
	uint64_t i;

	pread_all(wfd, wantf, want, len, 0);
	i = first_diff(p, want, len);
	if (i != len) {
		fprintf(stderr, "kio: MISMATCH: %s through mmap differs from %s at byte %" PRIu64 "\n", file,
			wantf, i);
		return 1;
	}
	printf("kio: %zu bytes of %s through mmap equal %s\n", len, file, wantf);
	return 0;
}

static int do_mgate(const char *file, const char *wantf, const char *gate)
{
	size_t len;
	unsigned char *p = map_file(file, PROT_READ, 1, &len);
	int wfd = open_or_die(wantf, O_RDONLY);
	unsigned char *want = aligned_buf(len);
	char ready[4096];
	uint64_t i;
	int fd, n;

	pread_all(wfd, wantf, want, len, 0);
	i = first_diff(p, want, len / 2);
	if (i != len / 2) {
		fprintf(stderr, "kio: MISMATCH before the gate: %s differs from %s at byte %" PRIu64 "\n", file,
			wantf, i);
		return 1;
	}
	snprintf(ready, sizeof(ready), "%s.ready", gate);
	fd = open(ready, O_WRONLY | O_CREAT, 0644);
	if (fd < 0) {
		fprintf(stderr, "kio: %s: %s\n", ready, strerror(errno));
		return 1;
	}
	close(fd);
	for (n = 0; access(gate, F_OK) != 0; n++) {
		if (n == 600) {
			fprintf(stderr, "kio: %s did not appear in 60 s\n", gate);
			return 1;
		}
		usleep(100000);
	}
	if (madvise(p, len, MADV_DONTNEED) != 0) {
		fprintf(stderr, "kio: madvise(MADV_DONTNEED) %s: %s\n", file, strerror(errno));
		return 1;
	}
	i = first_diff(p, want, len);
	if (i != len) {
		fprintf(stderr, "kio: MISMATCH after the gate: %s differs from %s at byte %" PRIu64 "\n", file,
			wantf, i);
		return 1;
	}
	printf("kio: %zu bytes of %s through one mapping equal %s, before and after %s\n", len, file, wantf,
	       gate);
	return 0;
}

static uint64_t pattern_word(uint64_t seed, uint64_t word)
{
	uint64_t z = seed * 0x9e3779b97f4a7c15ull + word;

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static int do_mwrite(const char *file, uint64_t seed, uint64_t off, uint64_t len)
{
	size_t size;
	unsigned char *p = map_file(file, PROT_READ | PROT_WRITE, 1, &size);

	if (off > size || len > size - off) {
		fprintf(stderr, "kio: [%" PRIu64 ", +%" PRIu64 ") is outside %s (%zu bytes)\n", off, len, file,
			size);
		return 2;
	}
	for (uint64_t b = off; b < off + len; b++) {
		uint64_t w = pattern_word(seed, b / 8);

		p[b] = (unsigned char)(w >> (8 * (b % 8)));
	}
	if (msync(p + (off & ~(uint64_t)(DIO_ALIGN - 1)), len + (off % DIO_ALIGN), MS_SYNC) != 0) {
		fprintf(stderr, "kio: msync %s: %s\n", file, strerror(errno));
		return 1;
	}
	munmap(p, size);
	return 0;
}

static int do_touch(const char *file, int huge)
{
	size_t len;
	volatile unsigned char *p = map_file(file, PROT_READ, huge, &len);
	unsigned sum = 0;

	for (size_t off = 0; off < len; off += 4096)
		sum += p[off];
	printf("kio: touched %zu pages of %s (sum %u)\n", len / 4096, file, sum);
	return 0;
}

static int do_open(const char *file)
{
	int fd = open(file, O_RDONLY);
	int e = errno;

	if (fd >= 0) {
		printf("ok\n");
		close(fd);
		return 0;
	}
	printf("%s %d\n", strerrorname_np(e) ? strerrorname_np(e) : "?", e);
	return 1;
}

static int do_pread(const char *file, uint64_t off, uint64_t len)
{
	int fd = open_or_die(file, O_RDONLY);
	unsigned char *buf = aligned_buf(len);

	pread_all(fd, file, buf, len, off);
	return fwrite(buf, 1, len, stdout) != len;
}

static sigjmp_buf probe_env;

static void on_sigbus(int sig)
{
	(void)sig;
	siglongjmp(probe_env, 1);
}

static int do_mprobe(const char *file, uint64_t off, uint64_t maplen)
{
	int fd = open_or_die(file, O_RDONLY);
	struct sigaction sa = { .sa_handler = on_sigbus };
	volatile unsigned char *p;
	unsigned char c;

	if (off >= maplen) {
		fprintf(stderr, "kio: offset %" PRIu64 " is outside the %" PRIu64 "-byte mapping\n", off, maplen);
		return 2;
	}
	p = mmap(NULL, maplen, PROT_READ, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) {
		fprintf(stderr, "kio: mmap %s: %s\n", file, strerror(errno));
		return 1;
	}
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGBUS, &sa, NULL) != 0) {
		fprintf(stderr, "kio: sigaction: %s\n", strerror(errno));
		return 1;
	}
	if (sigsetjmp(probe_env, 1)) {
		printf("SIGBUS\n");
		return 0;
	}
	c = p[off];
	printf("ok\n");
	(void)c;
	return 0;
}

static int do_hold(const char *file, const char *wantf)
{
	int fd = open_or_die(file, O_RDONLY);
	int wfd = open_or_die(wantf, O_RDONLY);
	struct stat st;
	unsigned char *p, *want, *got;
	char line[16];
	int bad = 0;

	if (fstat(fd, &st) != 0 || st.st_size == 0) {
		fprintf(stderr, "kio: %s: empty or unreadable\n", file);
		return 1;
	}
	p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) {
		fprintf(stderr, "kio: mmap %s: %s\n", file, strerror(errno));
		return 1;
	}
	want = aligned_buf((size_t)st.st_size);
	got = aligned_buf((size_t)st.st_size);
	pread_all(wfd, wantf, want, (size_t)st.st_size, 0);
	if (memcmp(p, want, (size_t)st.st_size) != 0) {
		fprintf(stderr, "kio: MISMATCH: %s through mmap differs from %s before the wait\n", file, wantf);
		return 1;
	}
	printf("held\n");
	fflush(stdout);
	if (!fgets(line, sizeof(line), stdin))
		fprintf(stderr, "kio: stdin closed; comparing now\n");
	if (memcmp(p, want, (size_t)st.st_size) != 0) {
		fprintf(stderr, "kio: MISMATCH: the mapping of %s changed at byte %" PRIu64 "\n", file,
			first_diff(p, want, (uint64_t)st.st_size));
		bad = 1;
	}
	pread_all(fd, file, got, (size_t)st.st_size, 0);
	if (memcmp(got, want, (size_t)st.st_size) != 0) {
		fprintf(stderr, "kio: MISMATCH: read(2) of the open %s changed at byte %" PRIu64 "\n", file,
			first_diff(got, want, (uint64_t)st.st_size));
		bad = 1;
	}
	printf("%s\n", bad ? "changed" : "unchanged");
	return bad;
}

int main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : "";

	if (!strcmp(cmd, "dcmp") && argc == 4)
		return do_dcmp(argv[2], argv[3]);
	if (!strcmp(cmd, "dwrite") && argc == 5)
		return do_dwrite(argv[2], num(argv[3]), num(argv[4]));
	if (!strcmp(cmd, "mcmp") && (argc == 4 || argc == 5))
		return do_mcmp(argv[2], argv[3], !(argc == 5 && !strcmp(argv[4], "nohuge")));
	if (!strcmp(cmd, "mwrite") && argc == 6)
		return do_mwrite(argv[2], num(argv[3]), num(argv[4]), num(argv[5]));
	if (!strcmp(cmd, "touch") && (argc == 3 || argc == 4))
		return do_touch(argv[2], !(argc == 4 && !strcmp(argv[3], "nohuge")));
	if (!strcmp(cmd, "mgate") && argc == 5)
		return do_mgate(argv[2], argv[3], argv[4]);
	if (!strcmp(cmd, "open") && argc == 3)
		return do_open(argv[2]);
	if (!strcmp(cmd, "pread") && argc == 5)
		return do_pread(argv[2], num(argv[3]), num(argv[4]));
	if (!strcmp(cmd, "mprobe") && argc == 5)
		return do_mprobe(argv[2], num(argv[3]), num(argv[4]));
	if (!strcmp(cmd, "hold") && argc == 4)
		return do_hold(argv[2], argv[3]);
	fprintf(stderr, "usage: kio dcmp DEV FILE < TILES | dwrite DEV OFF LEN | mcmp FILE WANT [nohuge] |\n"
			"       mwrite FILE SEED OFF LEN | touch FILE [nohuge] | mgate FILE WANT GATE | open FILE |\n"
			"       pread FILE OFF LEN | mprobe FILE OFF MAPLEN | hold FILE WANT\n");
	return 2;
}
