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
 *   hookctl unregister const|lie
 *                  deletes the registration (the kernel unbinds every
 *                  connection bound to it)
 *
 * Exit status: 0 done, 1 failed (libbpf's or the kernel's words on stderr),
 * 2 usage.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "fmap_hook_test.skel.h"

static int usage(void)
{
	fprintf(stderr, "usage: hookctl register const|lie BASE SIZE [LIE]\n"
			"       hookctl unregister const|lie\n");
	return 2;
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
	struct bpf_link *link;
	int err;

	if (argc < 2 || argc > 3 || parse_u64(argv[0], &base) || parse_u64(argv[1], &size) ||
	    (argc == 3 && parse_u64(argv[2], &lie)))
		return usage();
	skel = daxfmap_fmap_hook_test__open();
	if (!skel) {
		fprintf(stderr, "hookctl: open: %s\n", strerror(errno));
		return 1;
	}
	skel->rodata->hook_base = base;
	skel->rodata->hook_size = size;
	skel->rodata->hook_lie_kind = (__u32)lie;
	/* Both maps are created; only the one asked for is registered */
	map = strcmp(kind, "const") == 0 ? skel->maps.hook_const : skel->maps.hook_lie;
	err = daxfmap_fmap_hook_test__load(skel);
	if (err) {
		fprintf(stderr, "hookctl: load: %s\n", strerror(-err));
		daxfmap_fmap_hook_test__destroy(skel);
		return 1;
	}
	link = bpf_map__attach_struct_ops(map);
	if (!link) {
		fprintf(stderr, "hookctl: register %s: %s\n", bpf_map__name(map), strerror(errno));
		daxfmap_fmap_hook_test__destroy(skel);
		return 1;
	}
	/* The registration stays when this process exits */
	bpf_link__disconnect(link);
	bpf_link__destroy(link);
	printf("registered daxfmap_%s (map %s): base %llu, size %llu%s\n", kind, bpf_map__name(map),
	       base, size, strcmp(kind, "lie") == 0 ? (lie == 0 ? ", lie: past the device" :
						       lie == 1 ? ", lie: device 7" : ", lie: misaligned") : "");
	daxfmap_fmap_hook_test__destroy(skel);
	return 0;
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
	if (argc < 3 || (strcmp(argv[2], "const") != 0 && strcmp(argv[2], "lie") != 0))
		return usage();
	if (strcmp(argv[1], "register") == 0)
		return do_register(argv[2], argc - 3, argv + 3);
	if (strcmp(argv[1], "unregister") == 0 && argc == 3)
		return do_unregister(argv[2]);
	return usage();
}
