// SPDX-License-Identifier: GPL-2.0-only
/*
 * hookctl: registers the test resolvers of bpf/fmap_hook_test.bpf.c with the
 * daxfmap kernel's BPF hook (struct_ops fuse_dax_fmap_ops), through Debian's
 * libbpf 1.1.2: legacy .struct_ops maps, whose registration outlives this
 * process (the kernel holds the map until it is unregistered).
 *
 *   hookctl register const|lie BASE SIZE [LIE]
 *                  every file: SIZE bytes at BASE on device 0; "lie" then
 *                  answers each resolve with lie LIE (0: past the device's
 *                  end, 1: device 7, 2: misaligned); prints the ops' name
 *   hookctl register fallback
 *                  "daxfmap_defer", a resolver that handles no file (setup answers FALLBACK):
 *                  every file takes GET_FMAP once (the bench's fallback-first)
 *   hookctl strategy hash|flat|digest PINDIR
 *                  the strategy's struct_ops form (bpf/S_hook.bpf.c, ops
 *                  "daxfmap_S") over the maps a "daxfmap bpf load" instance
 *                  pinned in PINDIR (/sys/fs/bpf/daxfmap/NAME/S)
 *   hookctl bind PID NAME [INDEX=DEV...]
 *                  binds the FUSE connection of process PID (a server that
 *                  does not bind itself, daxfmapd today) to the ops NAME:
 *                  its /dev/fuse descriptor through pidfd_getfd(2), each
 *                  DEV installed at INDEX (one already set up is kept),
 *                  then FUSE_DEV_IOC_DAX_FMAP_BIND
 *   hookctl unregister const|lie|fallback|hash|flat|digest
 *                  deletes the registration (the kernel unbinds every
 *                  connection bound to it)
 *
 * Exit status: 0 done, 1 failed (libbpf's or the kernel's words on stderr),
 * 2 usage.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/fuse.h>
#include <linux/fuse_dax_fmap.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "digest_hook.skel.h"
#include "flat_hook.skel.h"
#include "fmap_hook_test.skel.h"
#include "hash_hook.skel.h"

/* The strategies' skeletons, by name, through their bpf_object */
struct strategy {
	const char *name;
	void *(*open)(void);
	struct bpf_object *(*obj)(void *skel);
	void (*destroy)(void *skel);
};

#define STRATEGY(s)                                                                        \
	static void *s##_open(void) { return daxfmap_##s##_hook__open(); }                  \
	static struct bpf_object *s##_obj(void *skel)                                      \
	{                                                                                  \
		return ((struct daxfmap_##s##_hook *)skel)->obj;                           \
	}                                                                                  \
	static void s##_destroy(void *skel) { daxfmap_##s##_hook__destroy(skel); }
STRATEGY(hash)
STRATEGY(flat)
STRATEGY(digest)
#undef STRATEGY

static const struct strategy strategies[] = {
	{ "hash", hash_open, hash_obj, hash_destroy },
	{ "flat", flat_open, flat_obj, flat_destroy },
	{ "digest", digest_open, digest_obj, digest_destroy },
};

static int usage(void)
{
	fprintf(stderr, "usage: hookctl register const|lie BASE SIZE [LIE]\n"
			"       hookctl register fallback\n"
			"       hookctl strategy hash|flat|digest PINDIR\n"
			"       hookctl bind PID NAME [INDEX=DEV...]\n"
			"       hookctl unregister const|lie|fallback|hash|flat|digest\n");
	return 2;
}

static const struct strategy *strategy_of(const char *name)
{
	for (size_t i = 0; i < sizeof(strategies) / sizeof(strategies[0]); i++)
		if (strcmp(strategies[i].name, name) == 0)
			return &strategies[i];
	return NULL;
}

/* Attach the struct_ops map hook_KIND of @obj; the registration outlives us */
static int attach_ops(struct bpf_object *obj, const char *kind)
{
	char name[BPF_OBJ_NAME_LEN];
	struct bpf_map *map;
	struct bpf_link *link;

	snprintf(name, sizeof(name), "hook_%s", kind);
	map = bpf_object__find_map_by_name(obj, name);
	if (!map) {
		fprintf(stderr, "hookctl: the object has no struct_ops map %s\n", name);
		return 1;
	}
	link = bpf_map__attach_struct_ops(map);
	if (!link) {
		fprintf(stderr, "hookctl: register %s: %s\n", name, strerror(errno));
		return 1;
	}
	bpf_link__disconnect(link);
	bpf_link__destroy(link);
	return 0;
}

/*
 * The strategy's maps are the instance's pinned ones (the batch slots,
 * which an instance keeps private, and .rodata/.bss are the object's own).
 */
static int do_strategy(const struct strategy *st, const char *pindir)
{
	void *skel = st->open();
	struct bpf_object *obj;
	struct bpf_map *m;
	int err = 0;

	if (!skel) {
		fprintf(stderr, "hookctl: open %s: %s\n", st->name, strerror(errno));
		return 1;
	}
	obj = st->obj(skel);
	bpf_object__for_each_map(m, obj) {
		char path[4096];
		int fd;

		if (bpf_map__is_internal(m) || bpf_map__type(m) == BPF_MAP_TYPE_STRUCT_OPS ||
		    strcmp(bpf_map__name(m), "daxfmap_batch") == 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", pindir, bpf_map__name(m));
		fd = bpf_obj_get(path);
		if (fd < 0) {
			fprintf(stderr, "hookctl: %s: %s\n", path, strerror(errno));
			err = 1;
			break;
		}
		err = bpf_map__reuse_fd(m, fd);
		close(fd);
		if (err) {
			fprintf(stderr, "hookctl: reuse %s: %s\n", path, strerror(-err));
			err = 1;
			break;
		}
	}
	if (!err && (err = bpf_object__load(obj)) != 0) {
		fprintf(stderr, "hookctl: load %s: %s\n", st->name, strerror(-err));
		err = 1;
	}
	if (!err)
		err = attach_ops(obj, st->name);
	if (!err)
		printf("registered daxfmap_%s over the maps in %s\n", st->name, pindir);
	st->destroy(skel);
	return err;
}

static int parse_u64(const char *s, unsigned long long *v)
{
	char *end;

	errno = 0;
	*v = strtoull(s, &end, 0);
	if (*s == '\0' || *end != '\0' || errno) {
		fprintf(stderr, "hookctl: not a number: %s\n", s);
		return -1;
	}
	return 0;
}

static int do_register(const char *kind, int argc, char **argv)
{
	unsigned long long base, size, lie = 0;
	struct daxfmap_fmap_hook_test *skel;
	struct bpf_map *map;
	int err;

	if (strcmp(kind, "fallback") == 0) {
		if (argc != 0)
			return usage();
		base = size = 0;
	} else if (argc < 2 || argc > 3 || parse_u64(argv[0], &base) || parse_u64(argv[1], &size) ||
		   (argc == 3 && parse_u64(argv[2], &lie))) {
		return usage();
	}
	skel = daxfmap_fmap_hook_test__open();
	if (!skel) {
		fprintf(stderr, "hookctl: open: %s\n", strerror(errno));
		return 1;
	}
	skel->rodata->hook_base = base;
	skel->rodata->hook_size = size;
	skel->rodata->hook_lie_kind = (__u32)lie;
	/* Both maps are created; only the one asked for is registered */
	map = strcmp(kind, "const") == 0 ? skel->maps.hook_const :
	      strcmp(kind, "lie") == 0 ? skel->maps.hook_lie : skel->maps.hook_fallback;
	err = daxfmap_fmap_hook_test__load(skel);
	if (err) {
		fprintf(stderr, "hookctl: load: %s\n", strerror(-err));
		daxfmap_fmap_hook_test__destroy(skel);
		return 1;
	}
	if (attach_ops(skel->obj, kind)) {
		daxfmap_fmap_hook_test__destroy(skel);
		return 1;
	}
	if (strcmp(kind, "fallback") == 0)
		printf("registered daxfmap_defer (map %s): every file falls back\n", bpf_map__name(map));
	else
		printf("registered daxfmap_%s (map %s): base %llu, size %llu%s\n", kind, bpf_map__name(map),
		       base, size, strcmp(kind, "lie") == 0 ? (lie == 0 ? ", lie: past the device" :
							       lie == 1 ? ", lie: device 7" : ", lie: misaligned") : "");
	daxfmap_fmap_hook_test__destroy(skel);
	return 0;
}

/* A /dev/fuse descriptor of process @pid, as our own descriptor, or -1 */
static int fuse_fd_of(int pid)
{
	char dir[64], link[4096], target[64];
	struct dirent *e;
	int pidfd, fd = -1;
	DIR *d;

	snprintf(dir, sizeof(dir), "/proc/%d/fd", pid);
	pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	d = opendir(dir);
	if (pidfd < 0 || !d) {
		fprintf(stderr, "hookctl: process %d: %s\n", pid, strerror(errno));
		goto out;
	}
	while ((e = readdir(d))) {
		ssize_t n;

		snprintf(link, sizeof(link), "%s/%s", dir, e->d_name);
		n = readlink(link, target, sizeof(target) - 1);
		if (n < 0)
			continue;
		target[n] = '\0';
		if (strcmp(target, "/dev/fuse") != 0)
			continue;
		fd = (int)syscall(SYS_pidfd_getfd, pidfd, atoi(e->d_name), 0);
		if (fd < 0)
			fprintf(stderr, "hookctl: pidfd_getfd %d of %d: %s\n", atoi(e->d_name), pid,
				strerror(errno));
		break;
	}
	if (fd < 0 && errno != EPERM)
		fprintf(stderr, "hookctl: process %d has no /dev/fuse descriptor\n", pid);
out:
	if (d)
		closedir(d);
	if (pidfd >= 0)
		close(pidfd);
	return fd;
}

static int do_bind(const char *pid, const char *name, int ndevs, char **devs)
{
	unsigned long long p;
	struct fuse_dax_fmap_bind b;
	int fd, err = 0;

	if (parse_u64(pid, &p) || strlen(name) >= sizeof(b.name))
		return usage();
	fd = fuse_fd_of((int)p);
	if (fd < 0)
		return 1;
	for (int i = 0; i < ndevs && !err; i++) {
		struct fuse_dax_fmap_device d = { 0 };
		char *eq = strchr(devs[i], '=');
		unsigned long long idx;
		int e;

		if (!eq) {
			err = usage();
			break;
		}
		*eq = '\0';
		if (parse_u64(devs[i], &idx)) {
			err = 2;
			break;
		}
		d.index = (__u32)idx;
		d.fd = open(eq + 1, O_RDWR | O_CLOEXEC);
		e = d.fd < 0 || ioctl(fd, FUSE_DEV_IOC_DAX_FMAP_DEVICE, &d) != 0 ? errno : 0;
		if (e && e != EEXIST) {
			fprintf(stderr, "hookctl: device %llu (%s): %s\n", idx, eq + 1, strerror(e));
			err = 1;
		} else {
			/* EEXIST: the server's GET_DAXDEV set it up, the same device */
			printf("device %llu: %s%s\n", idx, eq + 1, e ? " (set up already)" : "");
		}
		if (d.fd >= 0)
			close(d.fd);
	}
	if (!err) {
		memset(&b, 0, sizeof(b));
		snprintf(b.name, sizeof(b.name), "%s", name);
		if (ioctl(fd, FUSE_DEV_IOC_DAX_FMAP_BIND, &b) != 0) {
			fprintf(stderr, "hookctl: bind process %llu's connection to %s: %s\n", p, name,
				strerror(errno));
			err = 1;
		} else {
			printf("bound process %llu's connection to %s\n", p, name);
		}
	}
	close(fd);
	return err;
}

/* The struct_ops map named hook_KIND, by walking the kernel's maps */
static int do_unregister(const char *kind)
{
	char want[BPF_OBJ_NAME_LEN];
	__u32 id = 0, zero = 0;

	snprintf(want, sizeof(want), "hook_%s", kind);
	while (bpf_map_get_next_id(id, &id) == 0) {
		struct bpf_map_info info;
		__u32 len = sizeof(info);
		int fd = bpf_map_get_fd_by_id(id);

		if (fd < 0)
			continue;
		memset(&info, 0, sizeof(info));
		if (bpf_obj_get_info_by_fd(fd, &info, &len) == 0 &&
		    info.type == BPF_MAP_TYPE_STRUCT_OPS && strcmp(info.name, want) == 0) {
			int err = bpf_map_delete_elem(fd, &zero);

			close(fd);
			if (err) {
				fprintf(stderr, "hookctl: unregister %s (map id %u): %s\n", want, id,
					strerror(errno));
				return 1;
			}
			printf("unregistered daxfmap_%s (map id %u)\n", kind, id);
			return 0;
		}
		close(fd);
	}
	fprintf(stderr, "hookctl: no registered struct_ops map %s\n", want);
	return 1;
}

int main(int argc, char **argv)
{
	int test_kind = argc >= 3 && (strcmp(argv[2], "const") == 0 || strcmp(argv[2], "lie") == 0 ||
				      strcmp(argv[2], "fallback") == 0);

	if (argc < 3)
		return usage();
	if (strcmp(argv[1], "register") == 0 && test_kind)
		return do_register(argv[2], argc - 3, argv + 3);
	if (strcmp(argv[1], "bind") == 0 && argc >= 4)
		return do_bind(argv[2], argv[3], argc - 4, argv + 4);
	if (strcmp(argv[1], "strategy") == 0 && strategy_of(argv[2]) && argc == 4)
		return do_strategy(strategy_of(argv[2]), argv[3]);
	if (strcmp(argv[1], "unregister") == 0 && argc == 3 && (test_kind || strategy_of(argv[2])))
		return do_unregister(argv[2]);
	return usage();
}
