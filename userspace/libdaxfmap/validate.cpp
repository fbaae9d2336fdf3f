// SPDX-License-Identifier: GPL-2.0-only
#include "libdaxfmap/validate.hpp"

#include <algorithm>
#include <cerrno>
#include <limits>
#include <optional>
#include <string>
#include <utility>

namespace daxfmap {

namespace {

constexpr uint64_t kU64Max = std::numeric_limits<uint64_t>::max();
constexpr const char *kAlignText = "a multiple of 2 MiB (0x200000)";

std::string count_range(uint64_t lo, uint64_t hi)
{
	return std::to_string(lo) + ".." + std::to_string(hi);
}

std::string byte_count(uint64_t n)
{
	return hex(n) + " (" + std::to_string(n) + ") bytes";
}

// Field names are built only when something is wrong, so that a valid fmap
// of a million extents costs no string work.
std::string extent_field(uint32_t i, const char *name)
{
	return "extents[" + std::to_string(i) + "]." + name;
}

std::string ie_field(uint32_t i, const char *name)
{
	return "interleaved[" + std::to_string(i) + "]." + name;
}

std::string strip_field(uint32_t i, uint32_t j, const char *name)
{
	return "interleaved[" + std::to_string(i) + "].strips[" + std::to_string(j) + "]." + name;
}

// What a strip must hold: the bytes of its chunks among the first ext_size
// bytes of the extent (see the striping formula in the uapi header).  O(1),
// and free of overflow: every product is at most ext_size.
uint64_t strip_share(uint64_t ext_size, uint64_t chunk, uint64_t nstrips, uint64_t strip)
{
	if (ext_size == 0 || chunk == 0 || nstrips == 0)
		return 0;
	const uint64_t nchunks = ext_size / chunk + (ext_size % chunk != 0);
	if (strip >= nchunks)
		return 0;
	const uint64_t last = strip + (nchunks - 1 - strip) / nstrips * nstrips;
	const uint64_t tail = last == nchunks - 1 ? ext_size - last * chunk : chunk;
	return last / nstrips * chunk + tail;
}

// An issue list that stops growing at `cap` entries and counts the rest.
// An issue is given as a function that builds it, called only when the list
// has room: an fmap broken in every extent costs no string work beyond the
// cap (a cap of 1 per group is all that check() needs).
struct Capped {
	size_t cap = ValidationReport::kMaxListed;
	std::vector<Error> list;
	size_t omitted = 0;

	template <typename Make>
	void add(Make &&make)
	{
		if (list.size() < cap)
			list.push_back(make());
		else
			omitted++;
	}
	void add_all(std::vector<Error> &&v)
	{
		for (auto &e : v)
			add([&] { return std::move(e); });
	}
};

class Validator {
public:
	// error_cap: the most errors kept per group of validate.hpp's order;
	// warning_cap: the most warnings kept.
	Validator(const Fmap &f, const Limits &l, size_t error_cap, size_t warning_cap)
		: f_(f), lim_(l)
	{
		error_cap = std::min(error_cap, ValidationReport::kMaxListed);
		warning_cap = std::min(warning_cap, ValidationReport::kMaxListed);
		for (Capped *g : {&head_, &immediate_, &remainder_, &deferred_, &tail_})
			g->cap = error_cap;
		warnings_.cap = warning_cap;
	}

	ValidationReport run()
	{
		header();
		if (f_.is_simple())
			walk_simple();
		else
			walk_interleaved();
		sums();
		return finish();
	}

private:
	const Fmap &f_;
	const Limits &lim_;

	// Error groups in the order the kernel fails on them (validate.hpp).
	Capped head_, immediate_, remainder_, deferred_, tail_, warnings_;

	uint64_t total_ = 0;     // u64 sum of lengths, wrapping as in V10
	uint64_t remainder_v_ = 0; // file_size - lengths, wrapping (read as s64)
	bool wrapped_ = false;
	uint32_t wrap_extent_ = 0;
	std::optional<uint32_t> wrap_strip_;
	uint64_t covered_ = 0;   // interleaved: sum of min(nbytes, file_size), saturating

	void header()
	{
		const uint64_t size = f_.wire_size();
		if (size > lim_.max_reply_bytes)
			head_.add([&] {
				return Error{lim_.oversize_errno, "reply",
					     "at most " + byte_count(lim_.max_reply_bytes) + " (" +
						     std::string(lim_.name) + ")",
					     byte_count(size)};
			});
		const uint64_t n = f_.extent_count();
		if (n < 1 || n > lim_.max_extents)
			head_.add([&] {
				return Error{ERANGE, "nextents", count_range(1, lim_.max_extents),
					     std::to_string(n)};
			});

		if (f_.file_type > FUSE_DAX_FILE_LOG)
			warnings_.add([&] {
				return Error{EINVAL, "file_type",
					     "0 (reg), 1 (superblock) or 2 (log)",
					     std::to_string(f_.file_type)};
			});
		if (f_.version != FUSE_DAX_FMAP_VERSION)
			warnings_.add([&] {
				return Error{EINVAL, "fmap_version",
					     std::to_string(FUSE_DAX_FMAP_VERSION),
					     std::to_string(f_.version)};
			});
		if (f_.reserved)
			warnings_.add([&] {
				return Error{EINVAL, "reserved", "0", hex(f_.reserved)};
			});
		if (f_.reserved0)
			warnings_.add([&] {
				return Error{EINVAL, "reserved0", "0", hex(f_.reserved0)};
			});
		if (f_.reserved1)
			warnings_.add([&] {
				return Error{EINVAL, "reserved1", "0", hex(f_.reserved1)};
			});
	}

	// Extended rejects what V10 only warns of.
	template <typename Make>
	void deferred_or_warning(Make &&make)
	{
		(lim_.strict ? deferred_ : warnings_).add(make);
	}

	std::string device_expected() const
	{
		if (lim_.max_devices == 1)
			return "0 (" + std::string(lim_.name) + " supports one device)";
		return count_range(0, lim_.max_devices - 1);
	}

	// One device range: a simple extent (strip unset) or a strip.
	void check_range(const SimpleExtent &r, uint32_t i, std::optional<uint32_t> j)
	{
		auto field = [&](const char *name) {
			return j ? strip_field(i, *j, name) : extent_field(i, name);
		};
		if (r.device >= lim_.max_devices)
			deferred_.add([&] {
				return Error{EINVAL, field("devindex"), device_expected(),
					     std::to_string(r.device), i, j};
			});
		if (r.offset % kAlign)
			deferred_.add([&] {
				return Error{EINVAL, field("offset"), kAlignText, hex(r.offset),
					     i, j};
			});
		if (r.length % kAlign)
			deferred_.add([&] {
				return Error{EINVAL, field("length"), kAlignText, hex(r.length),
					     i, j};
			});
		if (r.offset > kU64Max - r.length) {
			// The range's end is past the address space: no device has it.
			auto e = [&] {
				return Error{EOVERFLOW, field("length"),
					     "offset + length <= 0xffffffffffffffff",
					     "offset " + hex(r.offset) + " + length " +
						     hex(r.length) + " wraps",
					     i, j};
			};
			deferred_or_warning(e);
		}
		if (r.reserved)
			warnings_.add([&] {
				return Error{EINVAL, field("reserved"), "0", hex(r.reserved), i, j};
			});

		const uint64_t t = total_ + r.length;
		if (t < total_ && !wrapped_) {
			wrapped_ = true;
			wrap_extent_ = i;
			wrap_strip_ = j;
		}
		total_ = t;
	}

	void walk_simple()
	{
		const auto &ext = f_.simple();
		for (size_t k = 0; k < ext.size(); k++)
			check_range(ext[k], static_cast<uint32_t>(k), std::nullopt);
	}

	void walk_interleaved()
	{
		const auto &ies = f_.interleaved();
		remainder_v_ = f_.file_size;
		for (size_t k = 0; k < ies.size(); k++) {
			const auto i = static_cast<uint32_t>(k);
			const InterleavedExtent &ie = ies[k];

			std::vector<Error> errs, warns;
			detail::check_interleaved_head(i, ie.chunk_size, ie.nbytes, lim_, errs, &warns);
			immediate_.add_all(std::move(errs));
			warnings_.add_all(std::move(warns));
			if (ie.reserved)
				warnings_.add([&] {
					return Error{EINVAL, ie_field(i, "reserved"), "0",
						     hex(ie.reserved), i};
				});

			const uint64_t n = ie.strips.size();
			if (n < 1 || n > lim_.max_strips)
				deferred_.add([&] {
					return Error{EINVAL, ie_field(i, "nstrips"),
						     count_range(1, lim_.max_strips),
						     std::to_string(n), i};
				});

			const uint64_t ext_size = std::min(ie.nbytes, f_.file_size);
			covered_ = ext_size > kU64Max - covered_ ? kU64Max : covered_ + ext_size;
			for (size_t s = 0; s < ie.strips.size(); s++) {
				const SimpleExtent &st = ie.strips[s];
				const auto j = static_cast<uint32_t>(s);
				check_range(st, i, j);
				remainder_v_ -= st.length;
				const uint64_t need = strip_share(ext_size, ie.chunk_size, n, s);
				if (st.length < need) {
					auto e = [&] {
						return Error{EINVAL, strip_field(i, j, "length"),
							     ">= " + hex(need) +
								     ", its share of min(nbytes, file_size) " +
								     hex(ext_size),
							     hex(st.length), i, j};
					};
					deferred_or_warning(e);
				}
			}
		}
		if (!ies.empty() && covered_ < f_.file_size) {
			// Files have no holes: V10 accepts this, extended does not.
			auto e = [&] {
				return Error{EINVAL, "sum(interleaved[].nbytes)",
					     ">= file_size " + hex(f_.file_size) +
						     " (bytes past it do not resolve)",
					     hex(covered_)};
			};
			deferred_or_warning(e);
		}
	}

	void sums()
	{
		const bool simple = f_.is_simple();
		const char *sum_field =
			simple ? "sum(extents[].length)" : "sum(interleaved[].strips[].length)";
		const uint64_t fs = f_.file_size;

		if (wrapped_) {
			const std::string where = wrap_strip_
				? "interleaved[" + std::to_string(wrap_extent_) + "].strips[" +
					  std::to_string(*wrap_strip_) + "]"
				: "extents[" + std::to_string(wrap_extent_) + "]";
			auto e = [&] {
				return Error{EOVERFLOW, sum_field, "<= 0xffffffffffffffff",
					     "wraps past 2^64 at " + where + ", to " + hex(total_),
					     wrap_extent_, wrap_strip_};
			};
			if (lim_.strict) {
				// The true sum exceeds any file_size: the overflow is the
				// only thing wrong with it.
				tail_.add(e);
				return;
			}
			warnings_.add(e);
		}

		bool remainder_failed = false;
		if (!simple && static_cast<int64_t>(remainder_v_) > 0) {
			remainder_failed = true;
			if (total_ < fs)
				remainder_.add([&] {
					return Error{EINVAL, sum_field, ">= file_size " + hex(fs),
						     hex(total_)};
				});
			else
				// V10's signed remainder: a sum over file_size by more
				// than 2^63 reads as a positive remainder.
				remainder_.add([&] {
					return Error{EINVAL, sum_field,
						     "file_size - sum <= 0 as a signed 64-bit value",
						     "sum " + hex(total_) + ", file_size - sum = " +
							     hex(remainder_v_)};
				});
		}
		if (!remainder_failed && total_ < fs)
			tail_.add([&] {
				return Error{EINVAL, sum_field, ">= file_size " + hex(fs),
					     hex(total_) + (wrapped_ ? " (wrapped)" : "")};
			});
	}

	ValidationReport finish()
	{
		ValidationReport r;
		// The first head_.cap errors of the order, each group having kept
		// its first that many.
		Capped all;
		all.cap = head_.cap;
		for (Capped *g : {&head_, &immediate_, &remainder_, &deferred_, &tail_}) {
			all.omitted += g->omitted;
			all.add_all(std::move(g->list));
		}
		r.errors = std::move(all.list);
		r.errors_omitted = all.omitted;
		r.warnings = std::move(warnings_.list);
		r.warnings_omitted = warnings_.omitted;
		return r;
	}
};

} // namespace

namespace detail {

bool check_interleaved_head(uint32_t index, uint32_t chunk_size, uint64_t nbytes,
			    const Limits &limits, std::vector<Error> &errors,
			    std::vector<Error> *warnings)
{
	const size_t before = errors.size();
	if (chunk_size % kAlign) {
		errors.push_back({EINVAL, ie_field(index, "chunk_size"), kAlignText, hex(chunk_size),
				  index});
	} else if (chunk_size == 0) {
		// V10 takes 0 as aligned; its resolver then divides by zero.
		if (limits.strict)
			errors.push_back({EINVAL, ie_field(index, "chunk_size"),
					  "non-zero, a multiple of 2 MiB (0x200000)", "0x0", index});
		else if (warnings)
			warnings->push_back({EINVAL, ie_field(index, "chunk_size"),
					     "non-zero (the resolver divides by it)", "0x0", index});
	}
	if (nbytes == 0)
		errors.push_back({EINVAL, ie_field(index, "nbytes"), "non-zero", "0x0", index});
	return errors.size() > before;
}

} // namespace detail

ValidationReport validate(const Fmap &fmap, const Limits &limits, size_t max_listed)
{
	return Validator(fmap, limits, max_listed, max_listed).run();
}

Result<void> check(const Fmap &fmap, const Limits &limits)
{
	// The first error of the kernel's order is the first of the first
	// non-empty group: one per group is enough, and no warning is built.
	ValidationReport r = Validator(fmap, limits, 1, 0).run();
	if (!r.ok())
		return std::move(r.errors.front());
	return {};
}

} // namespace daxfmap
