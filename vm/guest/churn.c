// SPDX-License-Identifier: GPL-2.0-only
/*
 * churn: files deleted and recreated on a daxfmap mount while other
 * processes fault them, for the guest tests of the daxfmap kernel.  Every
 * page of a file says whose it is, so a fault that reaches another file's
 * space (a stale fmap, a freed unit reused while still mapped) is seen.
 *
 *   churn DIR SECONDS SLOTS READERS SEED
 *
 * DIR is a directory of a daxfmapd mount.  One writer keeps SLOTS names
 * (s0, s1, ...) taken by files of FILE_SIZE bytes: it makes a new file under
 * a temporary name (allocated with user.daxfmap.allocate, every page
 * written), renames it over the slot's name, and now and then unlinks a
 * slot's file before making the next.  Each file is an incarnation with a
 * serial number of its own; the first 16 bytes of its page p hold
 * (TAG(serial), p).  READERS processes open slots at random, learn the
 * incarnation from page 0 by read(2), map the file (PMD-eligible or not,
 * alternately), check every page through the mapping, hold it a while (the
 * writer may replace or unlink it meanwhile: the open file keeps its
 * space), drop the page tables and check every page again, and check a few
 * pages by pread(2).
 *
 * The writer also reads each new file's fmap (user.daxfmap.fmap) and counts
 * the files placed on device space an earlier incarnation had: the run is
 * only meaningful if space was reused while others held files.
 *
 * Prints one summary line and exits 0 if no page belonged to another
 * incarnation, some pages were checked after their file's name had been
 * replaced or unlinked, and some space was reused; 1 on a mismatch (the
 * first is printed), 2 on usage or setup errors.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#include <linux/fuse_dax_fmap.h>

#define FILE_SIZE	(4u << 20)	/* two 2 MiB units: PMD faults possible */
#define PAGE		4096u
#define NPAGES		(FILE_SIZE / PAGE)
#define TAG(serial)	(0xc4a5e00000000000ull | (serial))
#define MAX_SLOTS	64
#define MAX_PLACES	4096

struct page_head {
	uint64_t tag;
	uint64_t page;
};

/* What every process adds up; one slot per reader, written by its owner. */
struct counts {
	uint64_t files;		/* files checked by a reader */
	uint64_t pages;		/* page checks, mapping and pread */
	uint64_t after_gone;	/* page checks after the file's name went */
	uint64_t mismatches;
	char first[256];	/* the first mismatch */
};

static uint64_t rng_state;

static uint64_t rng(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void mismatch(struct counts *c, const char *name, uint64_t tag, uint32_t page,
		     const struct page_head *found, const char *how)
{
	if (!c->mismatches++)
		snprintf(c->first, sizeof(c->first),
			 "%s (incarnation %#llx) page %u by %s: found incarnation %#llx page %llu",
			 name, (unsigned long long)tag, page, how,
			 (unsigned long long)found->tag, (unsigned long long)found->page);
}

/* Checks every page of the mapping, in an order of the rng's choosing. */
static void check_mapping(struct counts *c, const char *name, const unsigned char *m,
			  uint64_t tag, int gone)
{
	uint32_t start = rng() % NPAGES, step = 2 * (rng() % (NPAGES / 2)) + 1;

	for (uint32_t i = 0; i < NPAGES; i++) {
		uint32_t p = (start + i * step) % NPAGES;
		struct page_head h;

		memcpy(&h, m + (size_t)p * PAGE, sizeof(h));
		if (h.tag != tag || h.page != p)
			mismatch(c, name, tag, p, &h, "mmap");
		c->pages++;
		c->after_gone += gone;
	}
}

static int name_gone(int fd)
{
	struct stat st;

	return fstat(fd, &st) == 0 && st.st_nlink == 0;
}

static void reader(const char *dir, unsigned slots, double deadline, struct counts *c)
{
	for (unsigned round = 0; now() < deadline; round++) {
		char name[64];
		struct page_head h;
		unsigned char *m;
		int fd;

		snprintf(name, sizeof(name), "%s/s%u", dir, (unsigned)(rng() % slots));
		fd = open(name, O_RDONLY);
		if (fd < 0)
			continue;	/* between an unlink and the next file */
		if (pread(fd, &h, sizeof(h), 0) != sizeof(h) || h.page != 0) {
			mismatch(c, name, 0, 0, &h, "pread of page 0");
			close(fd);
			continue;
		}
		m = mmap(NULL, FILE_SIZE, PROT_READ, MAP_SHARED, fd, 0);
		if (m == MAP_FAILED) {
			snprintf(c->first, sizeof(c->first), "mmap %s: %s", name, strerror(errno));
			c->mismatches++;
			close(fd);
			continue;
		}
		madvise(m, FILE_SIZE, round % 2 ? MADV_NOHUGEPAGE : MADV_HUGEPAGE);
		check_mapping(c, name, m, h.tag, name_gone(fd));
		/* Hold it while the writer goes on, then fault it all again. */
		usleep(rng() % 30000);
		madvise(m, FILE_SIZE, MADV_DONTNEED);
		check_mapping(c, name, m, h.tag, name_gone(fd));
		for (int i = 0; i < 4; i++) {
			uint32_t p = rng() % NPAGES;
			struct page_head r;

			if (pread(fd, &r, sizeof(r), (off_t)p * PAGE) != sizeof(r) ||
			    r.tag != h.tag || r.page != p)
				mismatch(c, name, h.tag, p, &r, "pread");
			c->pages++;
		}
		munmap(m, FILE_SIZE);
		close(fd);
		c->files++;
	}
}

/* The first extent's device offset of a file, from its GET_FMAP reply. */
static int first_offset(const char *path, uint64_t *off)
{
	unsigned char buf[4096];
	struct fuse_dax_fmap_header hdr;
	struct fuse_dax_simple_ext se;
	ssize_t n = getxattr(path, "user.daxfmap.fmap", buf, sizeof(buf));

	if (n < (ssize_t)(sizeof(hdr) + sizeof(se)))
		return -1;
	memcpy(&hdr, buf, sizeof(hdr));
	if (hdr.ext_type != FUSE_DAX_EXT_SIMPLE)
		return -1;
	memcpy(&se, buf + sizeof(hdr), sizeof(se));
	*off = se.se_offset;
	return 0;
}

static int make_file(const char *dir, unsigned slot, uint64_t serial, unsigned char *buf,
		     uint64_t *placed)
{
	char tmp[64], name[64];
	const char *alloc = "size=4194304";
	int fd;

	snprintf(tmp, sizeof(tmp), "%s/t%u", dir, slot);
	snprintf(name, sizeof(name), "%s/s%u", dir, slot);
	fd = open(tmp, O_CREAT | O_EXCL | O_RDWR, 0644);
	if (fd < 0) {
		fprintf(stderr, "churn: create %s: %s\n", tmp, strerror(errno));
		return -1;
	}
	if (fsetxattr(fd, "user.daxfmap.allocate", alloc, strlen(alloc), 0) != 0) {
		fprintf(stderr, "churn: allocate %s: %s\n", tmp, strerror(errno));
		goto fail;
	}
	for (uint32_t p = 0; p < NPAGES; p++) {
		struct page_head h = { .tag = TAG(serial), .page = p };

		memcpy(buf + (size_t)p * PAGE, &h, sizeof(h));
	}
	if (pwrite(fd, buf, FILE_SIZE, 0) != FILE_SIZE || fsync(fd) != 0) {
		fprintf(stderr, "churn: write %s: %s\n", tmp, strerror(errno));
		goto fail;
	}
	close(fd);
	if (first_offset(tmp, placed) != 0) {
		fprintf(stderr, "churn: %s: no simple fmap in user.daxfmap.fmap\n", tmp);
		return -1;
	}
	if (rename(tmp, name) != 0) {
		fprintf(stderr, "churn: rename %s %s: %s\n", tmp, name, strerror(errno));
		return -1;
	}
	return 0;
fail:
	close(fd);
	unlink(tmp);
	return -1;
}

int main(int argc, char **argv)
{
	static uint64_t places[MAX_PLACES];
	unsigned nplaces = 0, slots, readers;
	uint64_t made = 0, unlinked = 0, reused = 0, serial = 0;
	struct counts *shared, total = { 0 };
	unsigned char *buf;
	double deadline;
	int seconds;

	if (argc != 6) {
		fprintf(stderr, "usage: churn DIR SECONDS SLOTS READERS SEED\n");
		return 2;
	}
	seconds = atoi(argv[2]);
	slots = (unsigned)atoi(argv[3]);
	readers = (unsigned)atoi(argv[4]);
	rng_state = strtoull(argv[5], NULL, 0);
	if (seconds <= 0 || !slots || slots > MAX_SLOTS || !readers || readers > 16) {
		fprintf(stderr, "churn: SECONDS > 0, SLOTS 1..%d, READERS 1..16\n", MAX_SLOTS);
		return 2;
	}
	buf = calloc(1, FILE_SIZE);
	shared = mmap(NULL, readers * sizeof(*shared), PROT_READ | PROT_WRITE,
		      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (!buf || shared == MAP_FAILED) {
		perror("churn: memory");
		return 2;
	}
	memset(shared, 0, readers * sizeof(*shared));
	for (unsigned s = 0; s < slots; s++, serial++) {
		uint64_t off;

		if (make_file(argv[1], s, serial, buf, &off) != 0)
			return 2;
		places[nplaces++] = off;
		made++;
	}
	deadline = now() + seconds;
	for (unsigned r = 0; r < readers; r++) {
		pid_t pid = fork();

		if (pid == 0) {
			rng_state ^= 0x5851f42d4c957f2dull * (r + 1);
			reader(argv[1], slots, deadline, &shared[r]);
			_exit(0);
		}
		if (pid < 0) {
			perror("churn: fork");
			return 2;
		}
	}
	while (now() < deadline) {
		unsigned slot = rng() % slots;
		uint64_t off;

		if (rng() % 8 == 0) {
			char name[64];

			snprintf(name, sizeof(name), "%s/s%u", argv[1], slot);
			if (unlink(name) == 0)
				unlinked++;
			usleep(rng() % 5000);
		}
		if (make_file(argv[1], slot, serial++, buf, &off) != 0) {
			kill(0, SIGTERM);
			return 2;
		}
		made++;
		for (unsigned i = 0; i < nplaces; i++)
			if (places[i] == off) {
				reused++;
				break;
			}
		if (nplaces < MAX_PLACES)
			places[nplaces++] = off;
	}
	while (wait(NULL) > 0)
		;
	for (unsigned r = 0; r < readers; r++) {
		total.files += shared[r].files;
		total.pages += shared[r].pages;
		total.after_gone += shared[r].after_gone;
		if (shared[r].mismatches && !total.mismatches)
			memcpy(total.first, shared[r].first, sizeof(total.first));
		total.mismatches += shared[r].mismatches;
	}
	printf("churn: %llu files made (%llu unlinked first, %llu placed on reused space), "
	       "%llu files read by %u readers, %llu page checks (%llu after the file's name "
	       "was replaced or unlinked), %llu mismatches\n",
	       (unsigned long long)made, (unsigned long long)unlinked, (unsigned long long)reused,
	       (unsigned long long)total.files, readers, (unsigned long long)total.pages,
	       (unsigned long long)total.after_gone, (unsigned long long)total.mismatches);
	if (total.mismatches) {
		printf("churn: first mismatch: %s\n", total.first);
		return 1;
	}
	if (!total.after_gone || !reused || !total.files) {
		printf("churn: the run did not exercise what it is for (pages checked after "
		       "their name went, space reused): make it longer\n");
		return 1;
	}
	return 0;
}
