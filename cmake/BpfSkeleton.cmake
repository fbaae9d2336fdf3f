# SPDX-License-Identifier: GPL-2.0-only
# bpf/<name>.bpf.c -> <build>/bpf/<name>.bpf.o (clang -target bpf) ->
# <build>/bpf/<name>.skel.h (bpftool gen skeleton), at build time.

find_program(BPF_CLANG NAMES clang clang-14 REQUIRED)
find_program(BPFTOOL NAMES bpftool PATHS /usr/sbin /sbin REQUIRED)
set(DAXFMAP_BPF_OUT ${CMAKE_BINARY_DIR}/bpf)
file(MAKE_DIRECTORY ${DAXFMAP_BPF_OUT})

# daxfmap_bpf_skeleton(<name> [SOURCE_DIR <dir>]): <dir>/<name>.bpf.c (bpf/
# by default; tests keep their own programs) -> a skeleton header, appended
# to DAXFMAP_BPF_SKELETONS in the caller's scope.
function(daxfmap_bpf_skeleton name)
	cmake_parse_arguments(PARSE_ARGV 1 arg "" "SOURCE_DIR" "")
	if(NOT arg_SOURCE_DIR)
		set(arg_SOURCE_DIR ${CMAKE_SOURCE_DIR}/bpf)
	endif()
	set(src ${arg_SOURCE_DIR}/${name}.bpf.c)
	set(obj ${DAXFMAP_BPF_OUT}/${name}.bpf.o)
	set(skel ${DAXFMAP_BPF_OUT}/${name}.skel.h)
	add_custom_command(OUTPUT ${obj}
		COMMAND ${BPF_CLANG} -target bpf -O2 -g -Wall -Wextra -Werror
			-D__TARGET_ARCH_${DAXFMAP_BPF_ARCH}
			-I${DAXFMAP_UAPI_DIR} -I/usr/include/${CMAKE_LIBRARY_ARCHITECTURE}
			-MD -MF ${obj}.d -c ${src} -o ${obj}
		DEPENDS ${src}
		DEPFILE ${obj}.d
		COMMENT "BPF ${name}.bpf.c"
		VERBATIM)
	add_custom_command(OUTPUT ${skel}
		COMMAND sh -c "'${BPFTOOL}' gen skeleton '${obj}' name daxfmap_${name} > '${skel}.tmp' && mv '${skel}.tmp' '${skel}'"
		DEPENDS ${obj}
		COMMENT "skeleton daxfmap_${name}"
		VERBATIM)
	set(DAXFMAP_BPF_SKELETONS ${DAXFMAP_BPF_SKELETONS} ${skel} PARENT_SCOPE)
endfunction()

if(CMAKE_SYSTEM_PROCESSOR MATCHES "x86_64|AMD64")
	set(DAXFMAP_BPF_ARCH x86)
elseif(CMAKE_SYSTEM_PROCESSOR MATCHES "aarch64|arm64")
	set(DAXFMAP_BPF_ARCH arm64)
else()
	set(DAXFMAP_BPF_ARCH ${CMAKE_SYSTEM_PROCESSOR})
endif()
