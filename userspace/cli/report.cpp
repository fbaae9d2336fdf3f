// SPDX-License-Identifier: GPL-2.0-only
#include "cli/report.hpp"

#include <cerrno>
#include <ostream>

#include "libdaxfmap/wire_codec.hpp"

namespace daxfmap::cli {

namespace {

std::string plural(size_t n, std::string_view word)
{
	return std::to_string(n) + " " + std::string(word) + (n == 1 ? "" : "s");
}

void add_capped(std::vector<Error> &list, size_t &omitted, Error e)
{
	if (list.size() < ValidationReport::kMaxListed)
		list.push_back(std::move(e));
	else
		omitted++;
}

// Ranges that leave the devices the record itself declares.  Warnings: the
// kernel takes any offset at GET_FMAP time; the mapping fails at fault time.
void check_devices(const FileRecord &rec, ValidationReport &r)
{
	if (rec.devices.empty())
		return;
	std::string listed;
	for (const auto &d : rec.devices)
		listed += (listed.empty() ? "" : ", ") + std::to_string(d.index);
	auto check = [&](const SimpleExtent &se, const std::string &field) {
		const Device *dev = nullptr;
		for (const auto &d : rec.devices)
			if (d.index == se.device)
				dev = &d;
		if (!dev) {
			add_capped(r.warnings, r.warnings_omitted,
				   Error{.errnum = ENODEV,
					 .field = field + ".devindex",
					 .expected = "a device in the devices: list (" + listed + ")",
					 .found = std::to_string(se.device)});
			return;
		}
		if (dev->size && (se.offset > dev->size || se.length > dev->size - se.offset)) {
			const bool wraps = se.length > UINT64_MAX - se.offset;
			add_capped(r.warnings, r.warnings_omitted,
				   Error{.errnum = ENXIO,
					 .field = field,
					 .expected = "a range inside device " + std::to_string(dev->index) + " (size " +
						     hex(dev->size) + ")",
					 .found = "a range ending at " +
						  (wraps ? std::string("2^64 or beyond") : hex(se.offset + se.length))});
		}
	};
	const Fmap &f = rec.fmap;
	if (f.is_simple()) {
		for (size_t i = 0; i < f.simple().size(); i++)
			check(f.simple()[i], "extents[" + std::to_string(i) + "]");
		return;
	}
	for (size_t i = 0; i < f.interleaved().size(); i++)
		for (size_t j = 0; j < f.interleaved()[i].strips.size(); j++)
			check(f.interleaved()[i].strips[j],
			      "interleaved[" + std::to_string(i) + "].strips[" + std::to_string(j) + "]");
}

ValidationReport wire_verdict(const Loaded &l, const Limits &limits)
{
	ValidationReport r;
	auto kernel = decode_and_validate(l.input.bytes, limits);
	auto decoded = decode_fmap(l.input.bytes, limits);
	if (!decoded) {
		// The kernel's first error, then the structural one if it differs.
		r.errors.push_back(kernel ? decoded.error() : kernel.error());
		if (!kernel && kernel.error().message() != decoded.error().message())
			r.errors.push_back(decoded.error());
		return r;
	}
	r = validate(decoded->fmap, limits);
	// validate() lists in the kernel's order already; this only guards the
	// promise that the first error is decode_and_validate()'s.
	if (!kernel && (r.errors.empty() || r.errors.front().message() != kernel.error().message()))
		r.errors.insert(r.errors.begin(), kernel.error());
	if (decoded->consumed < l.input.bytes.size()) {
		const size_t extra = l.input.bytes.size() - decoded->consumed;
		add_capped(r.warnings, r.warnings_omitted,
			   Error{.errnum = 0,
				 .field = "reply",
				 .expected = hex(decoded->consumed) + " bytes, what the header describes",
				 .found = plural(extra, "trailing byte") + " more (V10 ignores them)"});
	}
	return r;
}

} // namespace

std::string size_text(uint64_t bytes)
{
	return hex(bytes) + " (" + format_size(bytes) + ")";
}

std::string summary(const Fmap &f)
{
	std::string s = f.is_simple() ? "simple, " : "interleaved, ";
	s += plural(f.extent_count(), "extent");
	if (!f.is_simple())
		s += ", " + plural(f.range_count(), "strip");
	return s + ", size " + size_text(f.file_size);
}

ValidationReport verdict(const Loaded &l, const Limits &limits)
{
	ValidationReport r = l.input.format == Format::Wire ? wire_verdict(l, limits)
							     : validate(l.record.fmap, limits);
	check_devices(l.record, r);
	return r;
}

std::string extended_hint(const Loaded &l, const Limits &limits)
{
	if (limits.profile != Profile::V10)
		return {};
	return verdict(l, limits_for(Profile::Extended)).ok() ? "; --profile extended accepts it" : "";
}

void print_issues(std::ostream &out, const ValidationReport &r, std::string_view indent)
{
	for (const auto &e : r.errors)
		out << indent << "error: " << e.message() << "\n";
	if (r.errors_omitted)
		out << indent << "error: ... and " << plural(r.errors_omitted, "more error") << "\n";
	for (const auto &w : r.warnings)
		out << indent << "warning: " << w.message() << "\n";
	if (r.warnings_omitted)
		out << indent << "warning: ... and " << plural(r.warnings_omitted, "more warning") << "\n";
}

std::string json_text(const nlohmann::ordered_json &j)
{
	return j.dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace) + "\n";
}

nlohmann::ordered_json error_json(const Error &e)
{
	nlohmann::ordered_json j;
	j["message"] = e.message();
	j["field"] = e.field;
	j["expected"] = e.expected;
	j["found"] = e.found;
	j["errno"] = e.errnum;
	j["errno_name"] = e.errnum ? errno_name(e.errnum) : "";
	if (e.extent)
		j["extent"] = *e.extent;
	if (e.strip)
		j["strip"] = *e.strip;
	return j;
}

nlohmann::ordered_json report_json(const ValidationReport &r)
{
	nlohmann::ordered_json j;
	j["valid"] = r.ok();
	j["errno"] = r.errnum();
	j["errno_name"] = r.ok() ? "" : errno_name(r.errnum());
	j["errors"] = nlohmann::ordered_json::array();
	for (const auto &e : r.errors)
		j["errors"].push_back(error_json(e));
	j["errors_omitted"] = r.errors_omitted;
	j["warnings"] = nlohmann::ordered_json::array();
	for (const auto &w : r.warnings)
		j["warnings"].push_back(error_json(w));
	j["warnings_omitted"] = r.warnings_omitted;
	return j;
}

nlohmann::ordered_json unreadable_json(const std::string &path, std::optional<Format> format, const Error &e)
{
	nlohmann::ordered_json j;
	j["file"] = path;
	if (format)
		j["format"] = format_name(*format);
	j["readable"] = false;
	j["error"] = error_json(e);
	return j;
}

nlohmann::ordered_json verdict_json(const Loaded &l, const ValidationReport &r, bool extended_accepts)
{
	nlohmann::ordered_json j;
	j["file"] = l.input.path;
	j["format"] = format_name(l.input.format);
	j["readable"] = true;
	if (l.input.format != Format::Wire || l.wire_consumed > 0)
		j["summary"] = summary(l.record.fmap);
	j.update(report_json(r));
	if (extended_accepts)
		j["hint"] = "--profile extended accepts it";
	return j;
}

void print_failure(Io &io, std::string_view verb, const Error &e)
{
	io.err << "daxfmap " << verb << ": " << e.message() << "\n";
}

std::optional<Loaded> load_or_report(Io &io, std::string_view verb, const std::string &path,
				     std::optional<Format> forced, const Limits &limits, int &code,
				     nlohmann::ordered_json *failure)
{
	auto in = read_input(path, forced, limits);
	if (!in) {
		print_failure(io, verb, in.error());
		if (failure)
			*failure = unreadable_json(path, std::nullopt, in.error());
		code = kExitUsage;
		return std::nullopt;
	}
	auto l = parse_input(*in, limits);
	if (!l) {
		const bool wire = in->format == Format::Wire;
		std::string hint;
		if (wire && limits.profile == Profile::V10 && decode_fmap(in->bytes, limits_for(Profile::Extended)))
			hint = "; --profile extended accepts it";
		io.err << "daxfmap " << verb << ": " << path << ": "
		       << (wire ? "invalid GET_FMAP reply under --profile " + std::string(limits.name) + ": "
				: "not a valid " + std::string(format_name(in->format)) + " fmap: ")
		       << l.error().message() << hint << "\n";
		if (failure && wire) {
			// Bytes the kernel refuses are a verdict, as validate gives it.
			Loaded undecoded{.input = std::move(*in)};
			*failure = verdict_json(undecoded, verdict(undecoded, limits),
						!extended_hint(undecoded, limits).empty());
		} else if (failure) {
			*failure = unreadable_json(path, in->format, l.error());
		}
		code = wire ? kExitInvalid : kExitUsage;
		return std::nullopt;
	}
	return std::move(*l);
}

} // namespace daxfmap::cli
