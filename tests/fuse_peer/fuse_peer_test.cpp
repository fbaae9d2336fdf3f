// SPDX-License-Identifier: GPL-2.0-only
// The FUSE peer against a fake server: negotiation, the message path, and
// its verdicts on malformed replies.
#include <cerrno>
#include <cstddef>
#include <memory>

#include <fcntl.h>

#include <gtest/gtest.h>

#include "fuse_peer/fake_server.hpp"
#include "support/fuse_peer.hpp"

namespace daxfmap::peer {
namespace {

using testing::Canned;
using testing::FakeServer;
using testing::Request;
using testing::bytes_of;
using testing::raw_reply;
using testing::reply;

constexpr uint64_t MiB = uint64_t{1} << 20;

Fmap simple_fmap(uint64_t size, uint32_t nextents = 1)
{
	Fmap f;
	f.file_size = size;
	SimpleExtents x;
	uint64_t per = (size + nextents * kAlign - 1) / (nextents * kAlign) * kAlign;
	for (uint32_t i = 0; i < nextents; ++i)
		x.push_back(SimpleExtent{.device = 0, .offset = (4 + 8 * uint64_t(i)) * MiB * 2,
					 .length = per});
	f.extents = x;
	return f;
}

Fmap striped_fmap()
{
	// The FACTS.md vectors: 4 strips, 2 MiB chunks, 24 MiB.
	Fmap f;
	f.file_size = 24 * MiB;
	InterleavedExtent ie{.chunk_size = uint32_t(2 * MiB), .nbytes = 24 * MiB};
	for (uint64_t s = 0; s < 4; ++s)
		ie.strips.push_back(SimpleExtent{.device = 0, .offset = (16 + 8 * s) * MiB,
						 .length = 6 * MiB});
	f.extents = InterleavedExtents{ie};
	return f;
}

// A peer wired to a fake server; the server stops when the peer closes.
class PeerTest : public ::testing::Test {
protected:
	void start(Canned canned, FakeServer::Override o = {},
		   std::chrono::milliseconds timeout = std::chrono::milliseconds(10000))
	{
		FusePeer::Options opts;
		opts.timeout = timeout;
		auto p = FusePeer::make_pair(opts);
		ASSERT_TRUE(p) << p.error().message();
		peer_ = std::make_unique<FusePeer>(std::move(p->first));
		server_ = std::make_unique<FakeServer>(p->second, std::move(canned), std::move(o));
	}
	void TearDown() override
	{
		if (peer_)
			peer_->close();
		if (server_)
			server_->stop();
	}
	// Answers `opcode` with the given messages, everything else by default.
	static FakeServer::Override on(uint32_t opcode,
				       std::function<std::vector<Bytes>(const Request &)> f)
	{
		return [opcode, f](const Request &r) -> std::optional<std::vector<Bytes>> {
			if (r.in.opcode != opcode)
				return std::nullopt;
			return f(r);
		};
	}

	std::unique_ptr<FusePeer> peer_;
	std::unique_ptr<FakeServer> server_;
};

TEST_F(PeerTest, InitOfferingBit43IsNegotiatedWhenTheServerSetsIt)
{
	start(Canned{.fmap = simple_fmap(8 * MiB)});
	auto r = peer_->init(true);
	ASSERT_TRUE(r) << r.error().message();
	EXPECT_TRUE(r->dax_fmap);
	EXPECT_EQ(r->major, 7u);
	EXPECT_EQ(r->minor, uint32_t(FUSE_KERNEL_MINOR_VERSION));
	EXPECT_EQ(r->negotiated_minor, uint32_t(FUSE_KERNEL_MINOR_VERSION));
	EXPECT_EQ(r->max_write, 1u << 20);
	EXPECT_TRUE(r->flags & FUSE_DAX_FMAP);
	ASSERT_TRUE(peer_->negotiated());

	// The request is what a V10 kernel sends: 7.46, INIT_EXT, flags2 bit 11.
	auto reqs = server_->requests();
	ASSERT_EQ(reqs.size(), 1u);
	EXPECT_EQ(reqs[0].in.opcode, uint32_t(FUSE_INIT));
	EXPECT_EQ(reqs[0].in.len, reqs[0].received);
	EXPECT_EQ(reqs[0].args.size(), sizeof(fuse_init_in));
	fuse_init_in in{};
	std::memcpy(&in, reqs[0].args.data(), sizeof(in));
	EXPECT_EQ(in.major, 7u);
	EXPECT_EQ(in.minor, kV10KernelMinor);
	EXPECT_TRUE(in.flags & FUSE_INIT_EXT);
	EXPECT_EQ(in.flags2 & (1u << 11), 1u << 11);
	EXPECT_EQ(reqs[0].in.unique % 2, 0u) << "odd uniques are the kernel's interrupts";
}

TEST_F(PeerTest, InitWithoutBit43IsNotNegotiatedAndTheOfferIsClear)
{
	start(Canned{.fmap = simple_fmap(8 * MiB)});
	auto r = peer_->init(false);
	ASSERT_TRUE(r) << r.error().message();
	EXPECT_FALSE(r->dax_fmap);
	fuse_init_in in{};
	std::memcpy(&in, server_->requests()[0].args.data(), sizeof(in));
	EXPECT_EQ(in.flags2 & (1u << 11), 0u);
}

TEST_F(PeerTest, ServerDecliningBit43LeavesTheMessagePathOff)
{
	start(Canned{.fmap = simple_fmap(8 * MiB), .accept_dax_fmap = false});
	auto r = peer_->init(true);
	ASSERT_TRUE(r) << r.error().message();
	EXPECT_FALSE(r->dax_fmap);
	auto o = peer_->open_with_fmap(FUSE_ROOT_ID, "file");
	ASSERT_FALSE(o);
	EXPECT_EQ(o.error().errnum, ENOTSUP) << o.error().message();
	EXPECT_EQ(server_->requests().size(), 1u) << "nothing is sent without the capability";
}

TEST_F(PeerTest, ServerClaimingBit43WithoutTheOfferIsAViolation)
{
	start(Canned{.fmap = simple_fmap(8 * MiB), .claim_dax_fmap = true});
	auto r = peer_->init(false);
	ASSERT_FALSE(r);
	EXPECT_TRUE(is_violation(r.error())) << r.error().message();
	EXPECT_NE(r.error().message().find("FUSE_DAX_FMAP"), std::string::npos)
		<< r.error().message();
}

TEST_F(PeerTest, InitReplyWithAnotherMajorIsAViolation)
{
	start(Canned{}, on(FUSE_INIT, [](const Request &q) {
		fuse_init_out out{};
		out.major = 8;
		return std::vector<Bytes>{reply(q.in.unique, 0, bytes_of(out))};
	}));
	auto r = peer_->init(true);
	ASSERT_FALSE(r);
	EXPECT_TRUE(is_violation(r.error()));
	EXPECT_NE(r.error().message().find("major"), std::string::npos) << r.error().message();
}

TEST_F(PeerTest, OpenWithFmapRunsLookupOpenGetFmapGetDaxdevAndValidates)
{
	const Fmap want = simple_fmap(10 * MiB, 3);
	start(Canned{.fmap = want});
	ASSERT_TRUE(peer_->init(true));
	auto f = peer_->open_with_fmap(FUSE_ROOT_ID, "file");
	ASSERT_TRUE(f) << f.error().message();
	EXPECT_EQ(f->fmap, want);
	EXPECT_EQ(f->fmap_bytes, encode_fmap(want));
	EXPECT_EQ(f->entry.nodeid(), 2u);
	EXPECT_EQ(f->fh, 42u);
	ASSERT_EQ(f->devices.size(), 1u);
	EXPECT_EQ(f->devices[0].index, 0u);
	EXPECT_EQ(f->devices[0].reply.name, "/dev/dax0.0");
	EXPECT_EQ((std::vector<uint32_t>{FUSE_INIT, FUSE_LOOKUP, FUSE_OPEN, FUSE_GET_FMAP,
					 FUSE_GET_DAXDEV}),
		  server_->opcodes());

	// GET_FMAP carries no argument and names the file by nodeid; GET_DAXDEV
	// carries the index in nodeid.
	auto reqs = server_->requests();
	EXPECT_TRUE(reqs[3].args.empty());
	EXPECT_EQ(reqs[3].in.nodeid, 2u);
	EXPECT_EQ(reqs[3].in.len, sizeof(fuse_in_header));
	EXPECT_TRUE(reqs[4].args.empty());
	EXPECT_EQ(reqs[4].in.nodeid, 0u);

	// Devices are asked for once per connection.
	auto g = peer_->open_with_fmap(FUSE_ROOT_ID, "file");
	ASSERT_TRUE(g) << g.error().message();
	EXPECT_EQ(g->devices, f->devices);
	EXPECT_EQ(server_->opcodes().back(), uint32_t(FUSE_GET_FMAP));
	EXPECT_EQ(peer_->devices().size(), 1u);
}

TEST_F(PeerTest, OpenWithFmapAcceptsAStripedFmap)
{
	start(Canned{.fmap = striped_fmap()});
	ASSERT_TRUE(peer_->init(true));
	auto f = peer_->open_with_fmap(FUSE_ROOT_ID, "file");
	ASSERT_TRUE(f) << f.error().message();
	EXPECT_EQ(f->fmap, striped_fmap());
	EXPECT_EQ(f->devices.size(), 1u);
}

TEST_F(PeerTest, OversizedFmapFailsTheOpenWithV10sEinvalAndReleases)
{
	// 200 extents: 32 + 200 * 24 bytes, more than the one page V10 reads.
	start(Canned{.fmap = simple_fmap(400 * MiB, 200)});
	ASSERT_TRUE(peer_->init(true));
	auto raw = peer_->get_fmap(2);
	ASSERT_TRUE(raw) << raw.error().message();
	EXPECT_EQ(raw->payload.size(), 32u + 200u * 24u) << "the raw call returns every byte";

	auto f = peer_->open_with_fmap(FUSE_ROOT_ID, "file");
	ASSERT_FALSE(f);
	EXPECT_EQ(f.error().errnum, EINVAL) << f.error().message();
	EXPECT_FALSE(is_violation(f.error()));
	EXPECT_NE(f.error().message().find("GET_FMAP"), std::string::npos) << f.error().message();
	EXPECT_EQ(server_->opcodes().back(), uint32_t(FUSE_RELEASE));
}

TEST_F(PeerTest, FmapWithTooManyExtentsFailsTheOpenWithErange)
{
	start(Canned{.fmap = simple_fmap(66 * MiB, 33)});
	ASSERT_TRUE(peer_->init(true));
	auto f = peer_->open_with_fmap(FUSE_ROOT_ID, "file");
	ASSERT_FALSE(f);
	EXPECT_EQ(f.error().errnum, ERANGE) << f.error().message();
}

TEST_F(PeerTest, GetFmapErrorFailsTheOpenWithThatErrno)
{
	start(Canned{.fmap = simple_fmap(8 * MiB)}, on(FUSE_GET_FMAP, [](const Request &q) {
		return std::vector<Bytes>{reply(q.in.unique, -ENOSYS)};
	}));
	ASSERT_TRUE(peer_->init(true));
	auto raw = peer_->get_fmap(2);
	ASSERT_TRUE(raw) << raw.error().message();
	EXPECT_EQ(raw->error, -ENOSYS);
	auto f = peer_->open_with_fmap(FUSE_ROOT_ID, "file");
	ASSERT_FALSE(f);
	EXPECT_EQ(f.error().errnum, ENOSYS);
	EXPECT_FALSE(is_violation(f.error()));
	EXPECT_EQ(server_->opcodes().back(), uint32_t(FUSE_RELEASE));
}

TEST_F(PeerTest, DaxdevReplyOf279BytesFailsWithEinvalNamingTheSize)
{
	start(Canned{.fmap = simple_fmap(8 * MiB)}, on(FUSE_GET_DAXDEV, [](const Request &q) {
		Bytes b(279, 0);
		std::memcpy(b.data() + 24, "/dev/dax0.0", 11);
		return std::vector<Bytes>{reply(q.in.unique, 0, b)};
	}));
	ASSERT_TRUE(peer_->init(true));
	auto raw = peer_->get_daxdev(0);
	ASSERT_TRUE(raw) << raw.error().message();
	EXPECT_EQ(raw->payload.size(), 279u);

	auto f = peer_->open_with_fmap(FUSE_ROOT_ID, "file");
	ASSERT_FALSE(f);
	EXPECT_EQ(f.error().errnum, EINVAL) << f.error().message();
	EXPECT_NE(f.error().message().find("279"), std::string::npos) << f.error().message();
	EXPECT_TRUE(peer_->devices().empty());
}

TEST_F(PeerTest, DaxdevReplyForAnotherIndexIsRejected)
{
	start(Canned{.fmap = simple_fmap(8 * MiB)}, on(FUSE_GET_DAXDEV, [](const Request &q) {
		auto b = encode_daxdev(DaxdevReply{.index = 3, .name = "/dev/dax3.0"});
		return std::vector<Bytes>{reply(q.in.unique, 0, *b)};
	}));
	ASSERT_TRUE(peer_->init(true));
	auto f = peer_->open_with_fmap(FUSE_ROOT_ID, "file");
	ASSERT_FALSE(f);
	EXPECT_NE(f.error().message().find("index"), std::string::npos) << f.error().message();
}

TEST_F(PeerTest, UnknownDaxdevIndexIsAnErrnoReplyNotAViolation)
{
	start(Canned{.fmap = simple_fmap(8 * MiB)});
	ASSERT_TRUE(peer_->init(true));
	auto ok = peer_->get_daxdev(0);
	ASSERT_TRUE(ok) << ok.error().message();
	EXPECT_EQ(ok->error, 0);
	EXPECT_EQ(ok->payload.size(), sizeof(fuse_dax_daxdev_out));
	auto bad = peer_->get_daxdev(7);
	ASSERT_TRUE(bad) << bad.error().message();
	EXPECT_EQ(bad->error, -EINVAL);
	EXPECT_TRUE(bad->payload.empty());
	EXPECT_EQ(server_->requests().back().in.nodeid, 7u);
}

TEST_F(PeerTest, ShortReplyHeaderIsAViolation)
{
	start(Canned{}, on(FUSE_LOOKUP, [](const Request &) {
		return std::vector<Bytes>{Bytes(8, 0)};
	}));
	auto e = peer_->lookup(FUSE_ROOT_ID, "file");
	ASSERT_FALSE(e);
	EXPECT_TRUE(is_violation(e.error())) << e.error().message();
	EXPECT_NE(e.error().message().find("fuse_out_header"), std::string::npos)
		<< e.error().message();
}

TEST_F(PeerTest, EmptyReplyMessageIsAViolation)
{
	start(Canned{}, on(FUSE_LOOKUP, [](const Request &) {
		return std::vector<Bytes>{Bytes{}};
	}));
	auto e = peer_->lookup(FUSE_ROOT_ID, "file");
	ASSERT_FALSE(e);
	EXPECT_TRUE(is_violation(e.error())) << e.error().message();
}

TEST_F(PeerTest, ReplyWithAWrongUniqueIsAViolation)
{
	start(Canned{}, on(FUSE_LOOKUP, [](const Request &q) {
		return std::vector<Bytes>{reply(q.in.unique + 2, -ENOENT)};
	}));
	auto e = peer_->lookup(FUSE_ROOT_ID, "file");
	ASSERT_FALSE(e);
	EXPECT_TRUE(is_violation(e.error())) << e.error().message();
	EXPECT_NE(e.error().message().find("unique"), std::string::npos) << e.error().message();
}

TEST_F(PeerTest, ReplyLenThatDiffersFromTheBytesSentIsAViolation)
{
	start(Canned{}, on(FUSE_OPEN, [](const Request &q) {
		fuse_open_out o{};
		return std::vector<Bytes>{raw_reply(16 + 16 + 8, 0, q.in.unique, bytes_of(o))};
	}));
	auto o = peer_->open(2, 0);
	ASSERT_FALSE(o);
	EXPECT_TRUE(is_violation(o.error())) << o.error().message();
	EXPECT_NE(o.error().message().find("reply.len"), std::string::npos) << o.error().message();
}

TEST_F(PeerTest, PositiveErrorAndErrorWithPayloadAreViolations)
{
	start(Canned{}, on(FUSE_GETATTR, [](const Request &q) {
		if (q.in.nodeid == 2)
			return std::vector<Bytes>{reply(q.in.unique, ENOENT)};
		fuse_attr_out a{};
		return std::vector<Bytes>{reply(q.in.unique, -EIO, bytes_of(a))};
	}));
	auto a = peer_->getattr(2);
	ASSERT_FALSE(a);
	EXPECT_TRUE(is_violation(a.error())) << a.error().message();
	EXPECT_NE(a.error().message().find("reply.error"), std::string::npos);
	auto b = peer_->getattr(3);
	ASSERT_FALSE(b);
	EXPECT_TRUE(is_violation(b.error())) << b.error().message();
}

TEST_F(PeerTest, FixedSizeReplyOfTheWrongSizeIsAViolation)
{
	start(Canned{}, on(FUSE_OPEN, [](const Request &q) {
		Bytes b(15, 0);
		return std::vector<Bytes>{reply(q.in.unique, 0, b)};
	}));
	auto o = peer_->open(2, 0);
	ASSERT_FALSE(o);
	EXPECT_TRUE(is_violation(o.error())) << o.error().message();
	EXPECT_NE(o.error().message().find("15 bytes"), std::string::npos) << o.error().message();
}

TEST_F(PeerTest, EntryWithoutAFileTypeIsAViolation)
{
	start(Canned{}, on(FUSE_LOOKUP, [](const Request &q) {
		fuse_entry_out e{};
		e.nodeid = 5;
		e.attr.mode = 0644;
		return std::vector<Bytes>{reply(q.in.unique, 0, bytes_of(e))};
	}));
	auto e = peer_->lookup(FUSE_ROOT_ID, "file");
	ASSERT_FALSE(e);
	EXPECT_TRUE(is_violation(e.error())) << e.error().message();
}

TEST_F(PeerTest, LookupErrnoAndNegativeEntryAreEnoentNotViolations)
{
	start(Canned{.fmap = simple_fmap(8 * MiB)}, [](const Request &q) -> std::optional<std::vector<Bytes>> {
		if (q.in.opcode != FUSE_LOOKUP || std::string(reinterpret_cast<const char *>(q.args.data())) != "neg")
			return std::nullopt;
		fuse_entry_out e{}; // nodeid 0: a negative entry
		return std::vector<Bytes>{reply(q.in.unique, 0, bytes_of(e))};
	});
	auto a = peer_->lookup(FUSE_ROOT_ID, "missing");
	ASSERT_FALSE(a);
	EXPECT_EQ(a.error().errnum, ENOENT);
	EXPECT_FALSE(is_violation(a.error()));
	auto b = peer_->lookup(FUSE_ROOT_ID, "neg");
	ASSERT_FALSE(b);
	EXPECT_EQ(b.error().errnum, ENOENT);
	auto c = peer_->lookup(FUSE_ROOT_ID, "dir");
	ASSERT_TRUE(c) << c.error().message();
	EXPECT_EQ(c->nodeid(), 3u);
	// The name travels NUL-terminated.
	EXPECT_EQ(server_->requests().back().args, (Bytes{'d', 'i', 'r', 0}));
}

TEST_F(PeerTest, NoReplyWithinTheTimeoutIsEtimedout)
{
	start(Canned{}, on(FUSE_LOOKUP, [](const Request &) { return std::vector<Bytes>{}; }),
	      std::chrono::milliseconds(100));
	auto e = peer_->lookup(FUSE_ROOT_ID, "file");
	ASSERT_FALSE(e);
	EXPECT_EQ(e.error().errnum, ETIMEDOUT) << e.error().message();
	EXPECT_NE(e.error().message().find("LOOKUP"), std::string::npos) << e.error().message();
}

TEST_F(PeerTest, ServerClosingTheConnectionIsEconnreset)
{
	FusePeer::Options opts;
	auto p = FusePeer::make_pair(opts);
	ASSERT_TRUE(p) << p.error().message();
	::close(p->second);
	auto e = p->first.lookup(FUSE_ROOT_ID, "file");
	ASSERT_FALSE(e);
	EXPECT_EQ(e.error().errnum, ECONNRESET) << e.error().message();
}

TEST_F(PeerTest, ReplyToForgetIsAViolation)
{
	start(Canned{}, on(FUSE_FORGET, [](const Request &q) {
		return std::vector<Bytes>{reply(q.in.unique, 0)};
	}));
	ASSERT_TRUE(peer_->forget(2, 1));
	auto a = peer_->getattr(1);
	ASSERT_FALSE(a);
	EXPECT_TRUE(is_violation(a.error())) << a.error().message();
	EXPECT_NE(a.error().message().find("FORGET"), std::string::npos) << a.error().message();
}

TEST_F(PeerTest, ForgetSendsNoReplyAndTheNextRequestStillWorks)
{
	start(Canned{});
	ASSERT_TRUE(peer_->forget(2, 1));
	auto a = peer_->getattr(1);
	ASSERT_TRUE(a) << a.error().message();
	EXPECT_EQ(a->attr.mode & S_IFMT, unsigned(S_IFDIR));
	EXPECT_EQ(server_->opcodes(), (std::vector<uint32_t>{FUSE_FORGET, FUSE_GETATTR}));
}

TEST_F(PeerTest, NotificationsAreSkippedAndKept)
{
	start(Canned{.fmap = simple_fmap(8 * MiB)}, on(FUSE_LOOKUP, [](const Request &q) {
		fuse_notify_inval_inode_out n{};
		n.ino = 9;
		fuse_entry_out e{};
		e.nodeid = 2;
		e.attr.mode = S_IFREG | 0644;
		return std::vector<Bytes>{reply(0, FUSE_NOTIFY_INVAL_INODE, bytes_of(n)),
					  reply(q.in.unique, 0, bytes_of(e))};
	}));
	auto e = peer_->lookup(FUSE_ROOT_ID, "file");
	ASSERT_TRUE(e) << e.error().message();
	ASSERT_EQ(peer_->notifications().size(), 1u);
	EXPECT_EQ(peer_->notifications()[0].first, int32_t(FUSE_NOTIFY_INVAL_INODE));
}

TEST_F(PeerTest, RepliesOutOfOrderAreMatchedByUnique)
{
	// The fake holds the first OPEN's reply back and sends it after the second's.
	auto held = std::make_shared<Bytes>();
	start(Canned{}, on(FUSE_OPEN, [held](const Request &q) {
		fuse_open_out o{};
		o.fh = q.in.nodeid * 10;
		Bytes r = reply(q.in.unique, 0, bytes_of(o));
		if (held->empty()) {
			*held = r;
			return std::vector<Bytes>{};
		}
		return std::vector<Bytes>{r, *held};
	}));
	fuse_open_in in{};
	auto u1 = peer_->send(FUSE_OPEN, 2, bytes_of(in));
	auto u2 = peer_->send(FUSE_OPEN, 3, bytes_of(in));
	ASSERT_TRUE(u1 && u2);
	auto r1 = peer_->wait(*u1);
	ASSERT_TRUE(r1) << r1.error().message();
	auto r2 = peer_->wait(*u2);
	ASSERT_TRUE(r2) << r2.error().message();
	fuse_open_out o1{}, o2{};
	std::memcpy(&o1, r1->payload.data(), sizeof(o1));
	std::memcpy(&o2, r2->payload.data(), sizeof(o2));
	EXPECT_EQ(o1.fh, 20u);
	EXPECT_EQ(o2.fh, 30u);
}

TEST_F(PeerTest, LargeReadRepliesArriveWhole)
{
	start(Canned{});
	auto r = peer_->read(2, 42, 4096, 1 << 20);
	ASSERT_TRUE(r) << r.error().message();
	ASSERT_EQ(r->size(), size_t{1} << 20);
	EXPECT_EQ((*r)[5], uint8_t(4096 + 5));
	EXPECT_EQ(r->back(), uint8_t(4096 + (1 << 20) - 1));
	EXPECT_EQ(server_->requests().back().args.size(), sizeof(fuse_read_in));
}

TEST_F(PeerTest, ReadReplyLongerThanAskedIsAViolation)
{
	start(Canned{}, on(FUSE_READ, [](const Request &q) {
		return std::vector<Bytes>{reply(q.in.unique, 0, Bytes(4097, 1))};
	}));
	auto r = peer_->read(2, 42, 0, 4096);
	ASSERT_FALSE(r);
	EXPECT_TRUE(is_violation(r.error())) << r.error().message();
}

TEST_F(PeerTest, ReleaseAndDestroyTakeEmptySuccesses)
{
	start(Canned{});
	EXPECT_TRUE(peer_->release(2, 42));
	EXPECT_TRUE(peer_->destroy());
	auto reqs = server_->requests();
	ASSERT_EQ(reqs.size(), 2u);
	EXPECT_EQ(reqs[0].args.size(), sizeof(fuse_release_in));
	EXPECT_TRUE(reqs[1].args.empty());
}

TEST_F(PeerTest, CreateMkdirSetattrAndXattrsSendTheKernelsLayouts)
{
	start(Canned{}, [](const Request &q) -> std::optional<std::vector<Bytes>> {
		fuse_entry_out e{};
		e.nodeid = 9;
		e.attr.nlink = 1;
		switch (q.in.opcode) {
		case FUSE_CREATE: {
			e.attr.mode = S_IFREG | 0600;
			fuse_open_out o{};
			o.fh = 77;
			Bytes b(bytes_of(e).begin(), bytes_of(e).end());
			b.insert(b.end(), bytes_of(o).begin(), bytes_of(o).end());
			return std::vector<Bytes>{reply(q.in.unique, 0, b)};
		}
		case FUSE_MKDIR:
			e.attr.mode = S_IFDIR | 0700;
			return std::vector<Bytes>{reply(q.in.unique, 0, bytes_of(e))};
		case FUSE_SETATTR: {
			fuse_attr_out a{};
			a.attr.mode = S_IFREG | 0600;
			std::memcpy(&a.attr.size, q.args.data() + offsetof(fuse_setattr_in, size), 8);
			return std::vector<Bytes>{reply(q.in.unique, 0, bytes_of(a))};
		}
		case FUSE_GETXATTR:
			return std::vector<Bytes>{reply(q.in.unique, 0, Bytes{'v', '1'})};
		default:
			return std::nullopt;
		}
	});
	auto c = peer_->create(FUSE_ROOT_ID, "new", S_IFREG | 0600, O_RDWR | O_CREAT);
	ASSERT_TRUE(c) << c.error().message();
	EXPECT_EQ(c->first.nodeid(), 9u);
	EXPECT_EQ(c->second.fh, 77u);
	auto m = peer_->mkdir(FUSE_ROOT_ID, "d", 0700);
	ASSERT_TRUE(m) << m.error().message();
	auto a = peer_->set_size(9, 6 * MiB);
	ASSERT_TRUE(a) << a.error().message();
	EXPECT_EQ(a->attr.size, 6 * MiB);
	const Bytes value{'s', '=', '1'};
	ASSERT_TRUE(peer_->setxattr(9, "user.x", value));
	auto g = peer_->getxattr(9, "user.x", 16);
	ASSERT_TRUE(g) << g.error().message();
	EXPECT_EQ(*g, (Bytes{'v', '1'}));

	auto reqs = server_->requests();
	ASSERT_EQ(reqs.size(), 5u);
	// CREATE: fuse_create_in, then the name with its NUL.
	EXPECT_EQ(reqs[0].args.size(), sizeof(fuse_create_in) + 4);
	// MKDIR: fuse_mkdir_in, then the name.
	EXPECT_EQ(reqs[1].args.size(), sizeof(fuse_mkdir_in) + 2);
	EXPECT_EQ(reqs[2].args.size(), sizeof(fuse_setattr_in));
	// SETXATTR without FUSE_SETXATTR_EXT: {size, flags}, name, value.
	EXPECT_EQ(reqs[3].args.size(), size_t(FUSE_COMPAT_SETXATTR_IN_SIZE) + 7 + value.size());
	EXPECT_EQ(reqs[4].args.size(), sizeof(fuse_getxattr_in) + 7);
	for (const auto &r : reqs)
		EXPECT_EQ(r.in.len, r.received);
}

TEST(FusePeerCheckReply, AcceptsWellFormedAndNamesWhatIsWrong)
{
	auto ok = check_reply(reply(4, 0, Bytes(3, 7)));
	ASSERT_TRUE(ok);
	EXPECT_EQ(ok->unique, 4u);
	EXPECT_EQ(ok->reply.payload, Bytes(3, 7));
	EXPECT_TRUE(check_reply(reply(4, -511)));
	auto low = check_reply(reply(4, -512));
	ASSERT_FALSE(low);
	EXPECT_EQ(low.error().field, "reply.error");
	auto len = check_reply(raw_reply(15, 0, 4, {}));
	ASSERT_FALSE(len);
	EXPECT_EQ(len.error().field, "reply.len");
	EXPECT_TRUE(is_violation(len.error()));
}

} // namespace
} // namespace daxfmap::peer
