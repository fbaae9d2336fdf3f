// SPDX-License-Identifier: GPL-2.0-only
#include "libdaxfmap_bpf/resolver.hpp"

#include <array>

namespace daxfmap::bpf {

namespace {
constexpr std::array kAll{Strategy::Native, Strategy::Hash, Strategy::Flat, Strategy::Digest};
} // namespace

std::string_view strategy_name(Strategy s)
{
	switch (s) {
	case Strategy::Native: return "native";
	case Strategy::Hash: return "hash";
	case Strategy::Flat: return "flat";
	case Strategy::Digest: return "digest";
	}
	return "unknown";
}

std::optional<Strategy> parse_strategy(std::string_view name)
{
	for (Strategy s : kAll)
		if (strategy_name(s) == name)
			return s;
	return std::nullopt;
}

std::span<const Strategy> all_strategies()
{
	return kAll;
}

Result<void> Resolver::upsert_many(std::span<const FileFmap> files)
{
	for (const FileFmap &f : files)
		if (auto r = upsert(f.file_id, *f.fmap); !r) {
			Error e = r.error();
			e.field = "file " + std::to_string(f.file_id) + ": " + e.field;
			return e;
		}
	return {};
}

std::span<const Strategy> bpf_strategies()
{
	return std::span<const Strategy>(kAll).subspan(1);
}

} // namespace daxfmap::bpf
