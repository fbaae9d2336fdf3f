// SPDX-License-Identifier: GPL-2.0-only
/*
 * devio: bytes in and out of a device-DAX character device, for the guest
 * scripts.  /dev/daxX.Y has no read or write, only mmap in units of its
 * alignment, so busybox dd cannot reach it.
 *
 *   devio read  DEV OFFSET LENGTH       device bytes to stdout
 *   devio write DEV OFFSET LENGTH       stdin to the device (then msync)
 *   devio cmp   DEV FILE < TILES        each line "file_off dev_off len" of
 *                                       TILES: FILE's bytes at file_off equal
 *                                       the device's at dev_off
 *   devio pattern SEED LENGTH           LENGTH bytes of a pattern to stdout
 *
 * The pattern: each 8-byte word is a mix of SEED and its own offset, so a
 * piece read from the wrong place, or from another file, never matches.
 * /dev/urandom is several times slower under TCG.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* The largest device alignment (1 GiB) covers 4 KiB and 2 MiB devices too. */
#define ALIGN_MAX (1ull << 30)

static const char *dev_path;

/*
 * A window of the device holding [off, off+len): mmap wants an offset and a
 * length in units of the device's alignment, which we do not know, so try
 * 4 KiB, 2 MiB and 1 GiB.
 */
static unsigned char *map_range(int fd, uint64_t off, uint64_t len, int prot, void **base, size_t *maplen)
{
	static const uint64_t aligns[] = {4096, 2ull << 20, ALIGN_MAX};
	int err = 0;

	for (size_t i = 0; i < sizeof(aligns) / sizeof(aligns[0]); i++) {
		uint64_t a = aligns[i];
		uint64_t start = off & ~(a - 1);
		uint64_t end = (off + len + a - 1) & ~(a - 1);
		void *p = mmap(NULL, end - start, prot, MAP_SHARED, fd, (off_t)start);

		if (p != MAP_FAILED) {
			*base = p;
			*maplen = end - start;
			return (unsigned char *)p + (off - start);
		}
		err = errno;
	}
	fprintf(stderr, "devio: mmap %s at %" PRIu64 " length %" PRIu64 ": %s\n", dev_path, off, len,
		strerror(err));
	exit(1);
}

static uint64_t num(const char *s)
{
	char *end;
	uint64_t v = strtoull(s, &end, 0);

	if (*s == '\0' || *end != '\0') {
		fprintf(stderr, "devio: not a number: %s\n", s);
		exit(2);
	}
	return v;
}

static int do_read(int fd, uint64_t off, uint64_t len)
{
	void *base;
	size_t ml;
	unsigned char *p = map_range(fd, off, len, PROT_READ, &base, &ml);

	for (uint64_t done = 0; done < len;) {
		ssize_t n = write(1, p + done, len - done);

		if (n <= 0) {
			perror("devio: write stdout");
			return 1;
		}
		done += (uint64_t)n;
	}
	munmap(base, ml);
	return 0;
}

static int do_write(int fd, uint64_t off, uint64_t len)
{
	void *base;
	size_t ml;
	unsigned char *p = map_range(fd, off, len, PROT_READ | PROT_WRITE, &base, &ml);

	for (uint64_t done = 0; done < len;) {
		ssize_t n = read(0, p + done, len - done);

		if (n <= 0) {
			fprintf(stderr, "devio: stdin ended after %" PRIu64 " of %" PRIu64 " bytes\n", done, len);
			return 1;
		}
		done += (uint64_t)n;
	}
	if (msync(base, ml, MS_SYNC) != 0)
		perror("devio: msync");
	munmap(base, ml);
	return 0;
}

static int do_cmp(int fd, const char *file)
{
	uint64_t foff, doff, len, tiles = 0, bytes = 0;
	int bad = 0;
	FILE *f = fopen(file, "rb");

	if (!f) {
		fprintf(stderr, "devio: %s: %s\n", file, strerror(errno));
		return 2;
	}
	while (scanf("%" SCNu64 " %" SCNu64 " %" SCNu64, &foff, &doff, &len) == 3) {
		void *base;
		size_t ml;
		unsigned char *p = map_range(fd, doff, len, PROT_READ, &base, &ml);
		unsigned char *want = malloc(len);

		if (!want || fseeko(f, (off_t)foff, SEEK_SET) != 0 || fread(want, 1, len, f) != len) {
			fprintf(stderr, "devio: %s: cannot read %" PRIu64 " bytes at %" PRIu64 "\n", file, len, foff);
			return 2;
		}
		if (memcmp(p, want, len) != 0) {
			uint64_t i = 0;

			while (p[i] == want[i])
				i++;
			fprintf(stderr, "devio: MISMATCH: file offset %" PRIu64 " -> device offset %" PRIu64
				": first differing byte at +%" PRIu64 "\n", foff, doff, i);
			bad = 1;
		}
		tiles++;
		bytes += len;
		free(want);
		munmap(base, ml);
	}
	fclose(f);
	printf("devio: %" PRIu64 " pieces, %" PRIu64 " bytes of %s compared with %s: %s\n", tiles, bytes,
	       file, dev_path, bad ? "MISMATCH" : "identical");
	return bad || tiles == 0;
}

static int do_pattern(uint64_t seed, uint64_t len)
{
	static uint64_t buf[1 << 15];
	uint64_t word = 0;

	for (uint64_t done = 0; done < len;) {
		size_t n = sizeof(buf);

		if (len - done < n)
			n = len - done;
		for (size_t i = 0; i < (n + 7) / 8; i++, word++) {
			/* splitmix64 of (seed, word index) */
			uint64_t z = seed * 0x9e3779b97f4a7c15ull + word;

			z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
			z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
			buf[i] = z ^ (z >> 31);
		}
		if (fwrite(buf, 1, n, stdout) != n) {
			perror("devio: write stdout");
			return 1;
		}
		done += n;
	}
	return fflush(stdout) != 0;
}

int main(int argc, char **argv)
{
	int fd, rw;

	if (argc == 4 && strcmp(argv[1], "pattern") == 0)
		return do_pattern(num(argv[2]), num(argv[3]));

	if (argc < 4) {
		fprintf(stderr, "usage: devio read|write DEV OFFSET LENGTH | devio cmp DEV FILE < TILES | devio pattern SEED LENGTH\n");
		return 2;
	}
	dev_path = argv[2];
	rw = strcmp(argv[1], "write") == 0;
	fd = open(dev_path, rw ? O_RDWR : O_RDONLY);
	if (fd < 0) {
		fprintf(stderr, "devio: %s: %s\n", dev_path, strerror(errno));
		return 1;
	}
	if (strcmp(argv[1], "cmp") == 0)
		return do_cmp(fd, argv[3]);
	if (argc != 5)
		return 2;
	if (strcmp(argv[1], "read") == 0)
		return do_read(fd, num(argv[3]), num(argv[4]));
	if (rw)
		return do_write(fd, num(argv[3]), num(argv[4]));
	return 2;
}
