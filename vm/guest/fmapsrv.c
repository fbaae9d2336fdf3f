// SPDX-License-Identifier: GPL-2.0-only
/*
 * fmapsrv: a minimal FUSE server for the daxfmap kernel's guest tests, that
 * answers FUSE_GET_FMAP with whatever bytes it is given, valid or not, so
 * that the kernel's verdict on each reply can be compared with the project's
 * validator.  daxfmapd never sends a reply the V10 rules refuse.
 *
 *   fmapsrv MOUNTPOINT CASEDIR DEVICES [LOG]
 *
 * Every regular file of CASEDIR is a file of the mount, under the same name;
 * its bytes are the GET_FMAP reply for it (the file's size, as GETATTR says
 * it, is the header's file_size when there is one).  A GET_FMAP of the
 * large-map form (it carries a fuse_getxattr_in with the kernel's buffer
 * size) gets the bytes with reserved0 set to their size, or the header alone
 * if they do not fit, as the uapi header describes.  DEVICES is a comma list
 * of PATH (the next index, from 0) or INDEX=PATH: GET_DAXDEV INDEX names
 * PATH, an index not in the list gets ENODEV.  One line per
 * GET_FMAP / GET_DAXDEV goes to LOG (default stderr):
 * "GET_FMAP NAME BYTES write=0|ERRNAME"; and one for INIT, "INIT kernel
 * MAJOR.MINOR, FUSE_DAX_FMAP offered and accepted|not offered", which
 * daxfmap bench fault reads to know the message path is in force.
 * With FMAPSRV_BIND=NAME in the environment, right after INIT the server
 * installs every device of DEVICES with FUSE_DEV_IOC_DAX_FMAP_DEVICE (so that
 * no GET_DAXDEV comes) and binds its connection to the BPF resolver NAME
 * (FUSE_DEV_IOC_DAX_FMAP_BIND); "DEVICE INDEX PATH ok|ERRNAME" and
 * "BIND NAME ok|ERRNAME" go to LOG.
 * Runs in the foreground until unmounted.  Raw protocol, one thread: it
 * knows INIT, LOOKUP, GETATTR, OPEN, RELEASE, FLUSH, OPENDIR, READDIR,
 * RELEASEDIR, STATFS, FORGET, BATCH_FORGET, INTERRUPT, DESTROY and the two
 * fmap opcodes; anything else gets ENOSYS.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <linux/fuse.h>
#include <linux/fuse_dax_fmap.h>

#define MAX_CASES 256
#define BUFSZ (1u << 20)

struct fcase {
	char name[128];
	unsigned char *bytes;
	size_t len;
};

static struct fcase cases[MAX_CASES];
static int ncases;
static char *devices[FUSE_DAX_MAX_DEVICES];
static FILE *logfp;
static int fuse_fd;

static const char *errname(int e)
{
	const char *n = strerrorname_np(e);

	return n ? n : "?";
}

static void load_cases(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	if (!d) {
		fprintf(stderr, "fmapsrv: %s: %s\n", dir, strerror(errno));
		exit(1);
	}
	while ((e = readdir(d)) && ncases < MAX_CASES) {
		char path[4096];
		struct stat st;
		struct fcase *c = &cases[ncases];
		FILE *f;

		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if (stat(path, &st) != 0 || !S_ISREG(st.st_mode) || strlen(e->d_name) >= sizeof(c->name))
			continue;
		c->len = (size_t)st.st_size;
		c->bytes = malloc(c->len ? c->len : 1);
		f = fopen(path, "rb");
		if (!c->bytes || !f || fread(c->bytes, 1, c->len, f) != c->len) {
			fprintf(stderr, "fmapsrv: cannot read %s\n", path);
			exit(1);
		}
		fclose(f);
		strcpy(c->name, e->d_name);
		ncases++;
	}
	closedir(d);
}

/* nodeid 1 is the root; case i is nodeid i + 2 */
static struct fcase *case_of(uint64_t nodeid)
{
	if (nodeid < 2 || nodeid - 2 >= (uint64_t)ncases)
		return NULL;
	return &cases[nodeid - 2];
}

static int reply(uint64_t unique, int error, const void *data, size_t len)
{
	struct fuse_out_header h = {
		.len = (uint32_t)(sizeof(h) + (error ? 0 : len)),
		.error = error ? -error : 0,
		.unique = unique,
	};
	struct iovec iov[2] = { { &h, sizeof(h) }, { (void *)data, error ? 0 : len } };

	if (writev(fuse_fd, iov, 2) < 0)
		return errno;
	return 0;
}

static void fill_attr(struct fuse_attr *a, uint64_t nodeid)
{
	struct fcase *c = case_of(nodeid);

	memset(a, 0, sizeof(*a));
	a->ino = nodeid;
	a->nlink = 1;
	a->blksize = 4096;
	if (!c) {
		a->mode = S_IFDIR | 0755;
		a->nlink = 2;
		return;
	}
	a->mode = S_IFREG | 0644;
	a->size = 2u << 20;
	if (c->len >= sizeof(struct fuse_dax_fmap_header)) {
		const struct fuse_dax_fmap_header *h = (const void *)c->bytes;

		/* A size the VFS takes as it is: under 2^62 */
		a->size = h->file_size < (1ull << 62) ? h->file_size : (1ull << 62);
	}
	a->blocks = (a->size + 511) / 512;
}

/* FMAPSRV_BIND: the devices by ioctl, then the BPF resolver */
static void bind_hook(const char *name)
{
	struct fuse_dax_fmap_bind b;
	int err = 0;

	for (int i = 0; i < FUSE_DAX_MAX_DEVICES; i++) {
		struct fuse_dax_fmap_device d = { .index = (uint32_t)i };

		if (!devices[i])
			continue;
		d.fd = open(devices[i], O_RDWR | O_CLOEXEC);
		err = d.fd < 0 || ioctl(fuse_fd, FUSE_DEV_IOC_DAX_FMAP_DEVICE, &d) != 0 ? errno : 0;
		if (d.fd >= 0)
			close(d.fd);
		fprintf(logfp, "DEVICE %d %s %s\n", i, devices[i], err ? errname(err) : "ok");
	}
	memset(&b, 0, sizeof(b));
	snprintf(b.name, sizeof(b.name), "%s", name);
	err = ioctl(fuse_fd, FUSE_DEV_IOC_DAX_FMAP_BIND, &b) != 0 ? errno : 0;
	fprintf(logfp, "BIND %s %s\n", name, err ? errname(err) : "ok");
	fflush(logfp);
}

static void do_init(uint64_t unique, const struct fuse_init_in *in)
{
	struct fuse_init_out out;
	int offered = (in->flags & FUSE_INIT_EXT) && (in->flags2 & (uint32_t)(FUSE_DAX_FMAP >> 32));

	memset(&out, 0, sizeof(out));
	out.major = FUSE_KERNEL_VERSION;
	out.minor = in->minor < FUSE_KERNEL_MINOR_VERSION ? in->minor : FUSE_KERNEL_MINOR_VERSION;
	out.max_readahead = in->max_readahead;
	out.flags = FUSE_INIT_EXT | FUSE_BIG_WRITES | FUSE_MAX_PAGES;
	out.flags2 = offered ? (uint32_t)(FUSE_DAX_FMAP >> 32) : 0;
	out.max_write = 64 * 1024;
	out.max_pages = 16;
	out.max_background = 16;
	out.congestion_threshold = 12;
	fprintf(logfp, "INIT kernel %u.%u, FUSE_DAX_FMAP %s\n", in->major, in->minor,
		offered ? "offered and accepted" : "not offered");
	fflush(logfp);
	reply(unique, 0, &out, sizeof(out));
	if (offered && getenv("FMAPSRV_BIND"))
		bind_hook(getenv("FMAPSRV_BIND"));
}

static void do_get_fmap(uint64_t unique, uint64_t nodeid, const void *in, size_t inlen)
{
	struct fcase *c = case_of(nodeid);
	size_t len;
	int werr;

	if (!c) {
		reply(unique, ENOENT, NULL, 0);
		return;
	}
	len = c->len;
	if (inlen >= sizeof(struct fuse_getxattr_in) && len >= sizeof(struct fuse_dax_fmap_header)) {
		const struct fuse_getxattr_in *gi = in;
		struct fuse_dax_fmap_header *h = (void *)c->bytes;

		h->reserved0 = (uint32_t)c->len;
		if (len > gi->size)
			len = sizeof(*h);
	}
	werr = reply(unique, 0, c->bytes, len);
	fprintf(logfp, "GET_FMAP %s %zu write=%s%s\n", c->name, len, werr ? errname(werr) : "0",
		inlen ? " (large-map form)" : "");
	fflush(logfp);
}

static void do_get_daxdev(uint64_t unique, uint64_t index)
{
	struct fuse_dax_daxdev_out out;
	const char *dev = index < FUSE_DAX_MAX_DEVICES ? devices[index] : NULL;

	if (!dev) {
		fprintf(logfp, "GET_DAXDEV %" PRIu64 " ENODEV\n", index);
		fflush(logfp);
		reply(unique, ENODEV, NULL, 0);
		return;
	}
	memset(&out, 0, sizeof(out));
	out.index = (uint16_t)index;
	snprintf(out.name, sizeof(out.name), "%s", dev);
	fprintf(logfp, "GET_DAXDEV %" PRIu64 " %s\n", index, dev);
	fflush(logfp);
	reply(unique, 0, &out, sizeof(out));
}

static void serve(void)
{
	unsigned char *buf = malloc(BUFSZ);

	for (;;) {
		ssize_t n = read(fuse_fd, buf, BUFSZ);
		struct fuse_in_header *h = (void *)buf;
		void *in = buf + sizeof(*h);
		size_t inlen;

		if (n < 0 && (errno == EINTR || errno == ENOENT || errno == EAGAIN))
			continue;
		if (n < 0) {
			if (errno != ENODEV)
				fprintf(stderr, "fmapsrv: read /dev/fuse: %s\n", strerror(errno));
			return;
		}
		if ((size_t)n < sizeof(*h))
			continue;
		inlen = (size_t)n - sizeof(*h);
		switch (h->opcode) {
		case FUSE_INIT:
			do_init(h->unique, in);
			break;
		case FUSE_LOOKUP: {
			struct fuse_entry_out e;
			uint64_t id = 0;

			for (int i = 0; i < ncases; i++)
				if (h->nodeid == FUSE_ROOT_ID && !strcmp(cases[i].name, in))
					id = (uint64_t)i + 2;
			if (!id) {
				reply(h->unique, ENOENT, NULL, 0);
				break;
			}
			memset(&e, 0, sizeof(e));
			e.nodeid = id;
			e.entry_valid = 3600;
			e.attr_valid = 3600;
			fill_attr(&e.attr, id);
			reply(h->unique, 0, &e, sizeof(e));
			break;
		}
		case FUSE_GETATTR: {
			struct fuse_attr_out a;

			memset(&a, 0, sizeof(a));
			a.attr_valid = 3600;
			fill_attr(&a.attr, h->nodeid);
			reply(h->unique, 0, &a, sizeof(a));
			break;
		}
		case FUSE_OPEN:
		case FUSE_OPENDIR: {
			struct fuse_open_out o;

			memset(&o, 0, sizeof(o));
			o.fh = h->nodeid;
			reply(h->unique, 0, &o, sizeof(o));
			break;
		}
		case FUSE_READDIR:
			reply(h->unique, 0, NULL, 0);
			break;
		case FUSE_RELEASE:
		case FUSE_RELEASEDIR:
		case FUSE_FLUSH:
			reply(h->unique, 0, NULL, 0);
			break;
		case FUSE_STATFS: {
			struct fuse_statfs_out s;

			memset(&s, 0, sizeof(s));
			s.st.bsize = 4096;
			s.st.namelen = 255;
			reply(h->unique, 0, &s, sizeof(s));
			break;
		}
		case FUSE_FORGET:
		case FUSE_BATCH_FORGET:
		case FUSE_INTERRUPT:
			break;
		case FUSE_DESTROY:
			reply(h->unique, 0, NULL, 0);
			return;
		case FUSE_GET_FMAP:
			do_get_fmap(h->unique, h->nodeid, in, inlen);
			break;
		case FUSE_GET_DAXDEV:
			do_get_daxdev(h->unique, h->nodeid);
			break;
		default:
			reply(h->unique, ENOSYS, NULL, 0);
			break;
		}
	}
}

int main(int argc, char **argv)
{
	char opts[256];
	int next = 0;

	if (argc != 4 && argc != 5) {
		fprintf(stderr, "usage: fmapsrv MOUNTPOINT CASEDIR DEVICES [LOG]\n");
		return 2;
	}
	for (char *d = strtok(argv[3], ","); d; d = strtok(NULL, ",")) {
		char *eq = strchr(d, '=');

		if (eq) {
			*eq = '\0';
			next = atoi(d);
			d = eq + 1;
		}
		if (next < 0 || next >= FUSE_DAX_MAX_DEVICES) {
			fprintf(stderr, "fmapsrv: device index %d out of 0..%d\n", next, FUSE_DAX_MAX_DEVICES - 1);
			return 2;
		}
		devices[next++] = d;
	}
	logfp = argc == 5 ? fopen(argv[4], "a") : stderr;
	if (!logfp) {
		fprintf(stderr, "fmapsrv: %s: %s\n", argv[4], strerror(errno));
		return 1;
	}
	load_cases(argv[2]);
	fuse_fd = open("/dev/fuse", O_RDWR | O_CLOEXEC);
	if (fuse_fd < 0) {
		fprintf(stderr, "fmapsrv: /dev/fuse: %s\n", strerror(errno));
		return 1;
	}
	snprintf(opts, sizeof(opts), "fd=%d,rootmode=40000,user_id=0,group_id=0,allow_other", fuse_fd);
	if (mount("fmapsrv", argv[1], "fuse.fmapsrv", MS_NOSUID | MS_NODEV, opts) != 0) {
		fprintf(stderr, "fmapsrv: mount %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	fprintf(logfp, "fmapsrv: %d cases on %s\n", ncases, argv[1]);
	fflush(logfp);
	serve();
	return 0;
}
