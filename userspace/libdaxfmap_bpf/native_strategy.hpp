// SPDX-License-Identifier: GPL-2.0-only
#pragma once

#include <memory>

#include "libdaxfmap_bpf/resolver.hpp"

namespace daxfmap::bpf {

std::unique_ptr<Resolver> make_native_resolver();

} // namespace daxfmap::bpf
