// SPDX-License-Identifier: GPL-2.0
/*
 * kipc ioctl argument checking, against the contract in
 * include/uapi/linux/kipc.h: every struct is read with
 * copy_struct_from_user() semantics (short size EINVAL, non-zero tail E2BIG,
 * zero tail accepted), unknown flags and non-zero reserved fields EINVAL,
 * bad pointers EFAULT, the wrong kind of fd EINVAL, unknown ioctls ENOTTY,
 * name/ring/mode/backlog validation, and output structs that carry no
 * uninitialised byte back.
 */
#include <sys/eventfd.h>
#include <termios.h>

#include "kipc_test.h"

#define KT_ALL_FLAGS	0xffffffffu
#define KT_OFFSETOFEND(type, field) \
	(offsetof(type, field) + sizeof(((type *)0)->field))

/*
 * The 1.0 layouts of the structs that have grown since, copied as a caller
 * built against the 1.0 header has them: such a caller must keep working.
 */
struct kipc_listen_1_0 {
	uint32_t size;
	uint32_t flags;
	uint32_t mode;
	uint32_t backlog;
	uint32_t ring_bytes[2];
	char name[KIPC_NAME_MAX];
};

struct kipc_connect_1_0 {
	uint32_t size;
	uint32_t flags;
	char name[KIPC_NAME_MAX];
};

struct kipc_conn_info_1_0 {
	uint32_t size;
	uint32_t flags;
	uint32_t side;
	uint32_t state;
	uint32_t ring_bytes[2];
	uint64_t shared_map_bytes;
	uint64_t own_map_bytes;
	uint64_t conn_id;
	struct kipc_peer peer;
};

/* ------------------------------------------------------------------ */
/* Size, flag and pointer checks, once per ioctl with a struct          */

FIXTURE(cmd) {
	struct kt_pair p;
	int fresh;		/* unbound /dev/kipc fd */
	int efd;		/* an eventfd */
	int extra;		/* client queued by prepare_accept() */
	union {
		uint8_t b[1024];
		uint64_t align;
	} arg;
};

FIXTURE_VARIANT(cmd) {
	unsigned long req;
	uint32_t size;		/* the struct's size in this ABI */
	uint32_t min_size;	/* the size of its 1.0 layout */
	uint32_t known_flags;
	bool has_output;
	/* Fill self->arg with a valid argument; returns the fd to use. */
	int (*prepare)(struct _test_data_cmd *self);
};

static int prepare_version(struct _test_data_cmd *self)
{
	struct kipc_version *v = (void *)self->arg.b;

	v->size = sizeof(*v);
	return self->fresh;
}

static int prepare_listen(struct _test_data_cmd *self)
{
	struct kipc_listen *l = (void *)self->arg.b;

	l->size = sizeof(*l);
	l->mode = 0600;
	kt_name(l->name, "listen");
	return self->fresh;
}

static int prepare_connect(struct _test_data_cmd *self)
{
	struct kipc_connect *c = (void *)self->arg.b;

	c->size = sizeof(*c);
	c->flags = KIPC_CONNECT_NONBLOCK;
	kt_copy_name(c->name, self->p.name);
	return self->fresh;
}

static int prepare_accept(struct _test_data_cmd *self)
{
	struct kipc_accept *a = (void *)self->arg.b;

	if (self->extra < 0)
		self->extra = kt_new_client(self->p.name, KIPC_CONNECT_NONBLOCK);
	a->size = sizeof(*a);
	a->flags = KIPC_ACCEPT_NONBLOCK;
	return self->p.lfd;
}

static int prepare_conn_info(struct _test_data_cmd *self)
{
	struct kipc_conn_info *ci = (void *)self->arg.b;

	ci->size = sizeof(*ci);
	return self->p.cfd;
}

static int prepare_set_eventfd(struct _test_data_cmd *self)
{
	struct kipc_eventfd *e = (void *)self->arg.b;

	e->size = sizeof(*e);
	e->fd = self->efd;
	return self->p.cfd;
}

FIXTURE_VARIANT_ADD(cmd, version) {
	.req = KIPC_IOC_VERSION,
	.size = sizeof(struct kipc_version),
	.min_size = KT_OFFSETOFEND(struct kipc_version, __reserved),
	.has_output = true,
	.prepare = prepare_version,
};

FIXTURE_VARIANT_ADD(cmd, listen) {
	.req = KIPC_IOC_LISTEN,
	.size = sizeof(struct kipc_listen),
	.min_size = KT_OFFSETOFEND(struct kipc_listen, name),
	.prepare = prepare_listen,
};

FIXTURE_VARIANT_ADD(cmd, connect) {
	.req = KIPC_IOC_CONNECT,
	.size = sizeof(struct kipc_connect),
	.min_size = KT_OFFSETOFEND(struct kipc_connect, name),
	.known_flags = KIPC_CONNECT_NONBLOCK,
	.prepare = prepare_connect,
};

FIXTURE_VARIANT_ADD(cmd, accept) {
	.req = KIPC_IOC_ACCEPT,
	.size = sizeof(struct kipc_accept),
	.min_size = KT_OFFSETOFEND(struct kipc_accept, peer),
	.known_flags = KIPC_ACCEPT_NONBLOCK,
	.has_output = true,
	.prepare = prepare_accept,
};

FIXTURE_VARIANT_ADD(cmd, conn_info) {
	.req = KIPC_IOC_CONN_INFO,
	.size = sizeof(struct kipc_conn_info),
	.min_size = KT_OFFSETOFEND(struct kipc_conn_info, peer),
	.has_output = true,
	.prepare = prepare_conn_info,
};

FIXTURE_VARIANT_ADD(cmd, set_eventfd) {
	.req = KIPC_IOC_SET_EVENTFD,
	.size = sizeof(struct kipc_eventfd),
	.min_size = KT_OFFSETOFEND(struct kipc_eventfd, __reserved),
	.prepare = prepare_set_eventfd,
};

FIXTURE_SETUP(cmd)
{
	self->extra = -1;
	ASSERT_EQ(0, kt_pair_open(&self->p, 0, 0));
	self->fresh = kt_open();
	ASSERT_LE(0, self->fresh);
	self->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	ASSERT_LE(0, self->efd);
}

FIXTURE_TEARDOWN(cmd)
{
	kt_pair_close(&self->p);
	kt_close(&self->fresh);
	kt_close(&self->efd);
	kt_close(&self->extra);
}

/* Close whatever fd a successful ACCEPT put into the argument. */
static void cmd_cleanup(const FIXTURE_VARIANT(cmd) *variant, void *arg)
{
	if (variant->req == KIPC_IOC_ACCEPT) {
		struct kipc_accept *a = arg;

		if (a->fd >= 0)
			close(a->fd);
	}
}

TEST_F(cmd, valid_argument_succeeds)
{
	int fd = variant->prepare(self);

	ASSERT_EQ(0, kt_ioctl(fd, variant->req, self->arg.b));
	cmd_cleanup(variant, self->arg.b);
}

TEST_F(cmd, short_size_einval)
{
	uint32_t sizes[] = { 0, 4, 8, variant->min_size - 8,
			     variant->min_size - 1 };
	int fd = variant->prepare(self);
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		uint32_t size = sizes[i];

		*(uint32_t *)self->arg.b = size;
		EXPECT_EQ(-EINVAL, kt_ioctl(fd, variant->req, self->arg.b))
			TH_LOG("size %u", size);
	}
}

/*
 * A caller built against the 1.0 header passes the 1.0 size; the kernel
 * reads the fields after it as zero and writes nothing past it.
 */
static void cmd_sized(struct __test_metadata *_metadata,
		      struct _test_data_cmd *self,
		      const FIXTURE_VARIANT(cmd) *variant, uint32_t size)
{
	int fd = variant->prepare(self);
	unsigned int i;

	memset(self->arg.b + size, 0xa5, variant->size + 64 - size);
	*(uint32_t *)self->arg.b = size;
	ASSERT_EQ(0, kt_ioctl(fd, variant->req, self->arg.b))
		TH_LOG("size %u", size);
	cmd_cleanup(variant, self->arg.b);
	for (i = size; i < variant->size + 64; i++)
		ASSERT_EQ(0xa5, self->arg.b[i]) TH_LOG("byte %u written", i);
}

TEST_F(cmd, size_of_1_0_layout_accepted)
{
	cmd_sized(_metadata, self, variant, variant->min_size);
}

TEST_F(cmd, size_between_1_0_and_current_accepted)
{
	if (variant->min_size == variant->size)
		SKIP(return, "the struct has not grown since 1.0");
	cmd_sized(_metadata, self, variant, variant->min_size + 4);
}

TEST_F(cmd, long_size_nonzero_tail_e2big)
{
	uint32_t extra[] = { 1, 8, 64, 512 };
	int fd = variant->prepare(self);
	unsigned int i;

	*(uint32_t *)self->arg.b = variant->size + 512;
	for (i = 0; i < ARRAY_SIZE(extra); i++) {
		uint8_t *tail = &self->arg.b[variant->size + extra[i] - 1];

		*tail = 0x01;
		EXPECT_EQ(-E2BIG, kt_ioctl(fd, variant->req, self->arg.b))
			TH_LOG("non-zero byte at offset %u",
			       variant->size + extra[i] - 1);
		*tail = 0;
	}
}

TEST_F(cmd, long_size_zero_tail_accepted)
{
	int fd = variant->prepare(self);
	unsigned int i;

	*(uint32_t *)self->arg.b = variant->size + 512;
	ASSERT_EQ(0, kt_ioctl(fd, variant->req, self->arg.b));
	cmd_cleanup(variant, self->arg.b);
	/* Output goes back only up to the kernel's size. */
	for (i = variant->size; i < variant->size + 512; i++)
		ASSERT_EQ(0, self->arg.b[i]) TH_LOG("tail byte %u written", i);
}

/* copy_struct_from_user() semantics up to a page (kmod/README: larger
 * sizes are refused with E2BIG).
 */
TEST_F(cmd, size_of_a_whole_page_zero_tail_accepted)
{
	uint32_t page = kt_page();
	int fd = variant->prepare(self);
	uint8_t *big;

	big = mmap(NULL, page, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, big);
	memcpy(big, self->arg.b, variant->size);
	*(uint32_t *)big = page;
	ASSERT_EQ(0, kt_ioctl(fd, variant->req, big));
	cmd_cleanup(variant, big);
	big[page - 1] = 1;
	*(uint32_t *)big = page;
	EXPECT_EQ(-E2BIG, kt_ioctl(fd, variant->req, big));
	munmap(big, page);
}

TEST_F(cmd, unknown_flags_einval)
{
	int fd = variant->prepare(self);
	uint32_t *flags = (uint32_t *)self->arg.b + 1;
	uint32_t base = *flags;
	unsigned int bit;

	for (bit = 0; bit < 32; bit++) {
		if (variant->known_flags & (1u << bit))
			continue;
		*flags = base | (1u << bit);
		EXPECT_EQ(-EINVAL, kt_ioctl(fd, variant->req, self->arg.b))
			TH_LOG("flag bit %u", bit);
	}
	*flags = base | (KT_ALL_FLAGS & ~variant->known_flags);
	EXPECT_EQ(-EINVAL, kt_ioctl(fd, variant->req, self->arg.b));
}

TEST_F(cmd, null_pointer_efault)
{
	int fd = variant->prepare(self);

	EXPECT_EQ(-EFAULT, kt_ioctl(fd, variant->req, NULL));
	EXPECT_EQ(-EFAULT, kt_ioctl(fd, variant->req, (void *)1));
}

TEST_F(cmd, unmapped_pointer_efault)
{
	int fd = variant->prepare(self);
	void *page = kt_noaccess_page();

	ASSERT_NE(NULL, page);
	EXPECT_EQ(-EFAULT, kt_ioctl(fd, variant->req, page));
	munmap(page, kt_page());
}

/* size and flags readable, the rest of the struct in a PROT_NONE page. */
TEST_F(cmd, struct_straddling_unmapped_page_efault)
{
	uint32_t page = kt_page();
	int fd = variant->prepare(self);
	uint8_t *two, *arg;

	two = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, two);
	ASSERT_EQ(0, mprotect(two + page, page, PROT_NONE));
	arg = two + page - 8;
	memcpy(arg, self->arg.b, 8);
	EXPECT_EQ(-EFAULT, kt_ioctl(fd, variant->req, arg));
	munmap(two, 2 * page);
}

/* The kernel writes back only structs with output fields: those fail with
 * EFAULT from read-only memory (without leaking an fd from ACCEPT), the
 * input-only ones work.
 */
TEST_F(cmd, readonly_argument_efault_only_if_written)
{
	uint32_t page = kt_page();
	int nfds, fd = variant->prepare(self);
	uint8_t *ro;

	ro = mmap(NULL, page, PROT_READ | PROT_WRITE,
		  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, ro);
	memcpy(ro, self->arg.b, variant->size);
	ASSERT_EQ(0, mprotect(ro, page, PROT_READ));
	nfds = kt_count_fds();
	if (variant->has_output) {
		EXPECT_EQ(-EFAULT, kt_ioctl(fd, variant->req, ro));
		EXPECT_EQ(nfds, kt_count_fds());
	} else {
		EXPECT_EQ(0, kt_ioctl(fd, variant->req, ro));
	}
	munmap(ro, page);
}

/* ------------------------------------------------------------------ */
/* Everything else, with a connected pair at hand                       */

FIXTURE(kipc) {
	struct kt_pair p;
	int fresh;
	struct kipc_version v;
};

FIXTURE_SETUP(kipc)
{
	ASSERT_EQ(0, kt_pair_open(&self->p, 0, 0));
	self->fresh = kt_open();
	ASSERT_LE(0, self->fresh);
	ASSERT_EQ(0, kt_version(self->fresh, &self->v));
}

FIXTURE_TEARDOWN(kipc)
{
	kt_pair_close(&self->p);
	kt_close(&self->fresh);
}

/* --- VERSION --- */

TEST_F(kipc, version_reports_abi_and_limits)
{
	struct kipc_version *v = &self->v;

	EXPECT_EQ(KIPC_ABI_VERSION, v->abi_version);
	EXPECT_EQ(kt_page(), v->page_size);
	EXPECT_EQ(KIPC_NAME_MAX, v->name_max);
	EXPECT_EQ(v->page_size, v->min_ring_bytes);
	EXPECT_TRUE(kipc_is_pow2(v->max_ring_bytes));
	EXPECT_LE(v->min_ring_bytes, v->max_ring_bytes);
	EXPECT_TRUE(kipc_is_pow2(v->default_ring_bytes));
	EXPECT_LE(v->min_ring_bytes, v->default_ring_bytes);
	EXPECT_GE(v->max_ring_bytes, v->default_ring_bytes);
	EXPECT_LE(1, v->max_backlog);
	EXPECT_EQ(0, v->__reserved);
}

TEST_F(kipc, version_advertises_required_features)
{
	uint64_t need = KIPC_F_EVENTFD | KIPC_F_URING_CMD | KIPC_F_PEERCRED;
	uint64_t known = need | KIPC_F_POLL_NEED | KIPC_F_NEGOTIATE |
			 KIPC_F_RING_CAP | KIPC_F_RING_SEQ | KIPC_F_RING_PAD;

	EXPECT_EQ(need, self->v.features & need);
	EXPECT_EQ(0, self->v.features & ~known);
}

TEST_F(kipc, version_works_on_every_fd_role)
{
	int fds[] = { self->fresh, self->p.lfd, self->p.cfd, self->p.sfd };
	struct kipc_version v;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(fds); i++) {
		ASSERT_EQ(0, kt_version(fds[i], &v)) TH_LOG("fd role %u", i);
		EXPECT_EQ(0, memcmp(&v, &self->v, sizeof(v)));
	}
}

TEST_F(kipc, version_nonzero_reserved_einval)
{
	struct kipc_version v = { .size = sizeof(v), .__reserved = 1 };

	EXPECT_EQ(-EINVAL, kt_ioctl(self->fresh, KIPC_IOC_VERSION, &v));
}

TEST_F(kipc, version_output_has_no_stale_bytes)
{
	struct kipc_version v;

	memset(&v, 0xaa, sizeof(v));
	v.size = sizeof(v);
	v.flags = 0;
	v.__reserved = 0;
	ASSERT_EQ(0, kt_ioctl(self->fresh, KIPC_IOC_VERSION, &v));
	EXPECT_EQ(0, memcmp(&v, &self->v, sizeof(v)));
}

/* --- unknown ioctls --- */

TEST_F(kipc, unknown_ioctl_enotty_on_every_fd_role)
{
	unsigned long reqs[] = {
		_IO(KIPC_IOC_MAGIC, 0x3f),
		_IO(KIPC_IOC_MAGIC, 0xff),
		/* a known number with direction/size bits is another ioctl */
		_IOWR(KIPC_IOC_MAGIC, 0x00, struct kipc_version),
		_IOW(KIPC_IOC_MAGIC, 0x01, struct kipc_listen),
		_IO(KIPC_IOC_MAGIC + 1, 0x00),
		TCGETS,
	};
	int fds[] = { self->fresh, self->p.lfd, self->p.cfd, self->p.sfd };
	uint8_t buf[256] = { 0 };
	unsigned int i, j;

	for (i = 0; i < ARRAY_SIZE(fds); i++) {
		for (j = 0; j < ARRAY_SIZE(reqs); j++) {
			unsigned long req = reqs[j];

			EXPECT_EQ(-ENOTTY, kt_ioctl(fds[i], req, buf))
				TH_LOG("fd role %u, ioctl %#lx", i, req);
		}
	}
}

/* --- LISTEN --- */

TEST_F(kipc, listen_on_bound_fd_einval)
{
	int fds[] = { self->p.lfd, self->p.cfd, self->p.sfd };
	char name[KIPC_NAME_MAX];
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(fds); i++) {
		kt_name(name, "again");
		EXPECT_EQ(-EINVAL, kt_listen(fds[i], name, 0600, 0, 0, 0))
			TH_LOG("fd role %u", i);
	}
}

TEST_F(kipc, listen_duplicate_name_eaddrinuse)
{
	char name[KIPC_NAME_MAX];

	EXPECT_EQ(-EADDRINUSE, kt_listen(self->fresh, self->p.name, 0600, 0, 0, 0));
	/* The failed LISTEN left the fd unbound. */
	kt_name(name, "other");
	EXPECT_EQ(0, kt_listen(self->fresh, name, 0600, 0, 0, 0));
}

TEST_F(kipc, listen_name_freed_when_listener_closes)
{
	kt_close(&self->p.lfd);
	EXPECT_EQ(0, kt_listen(self->fresh, self->p.name, 0600, 0, 0, 0));
}

TEST_F(kipc, listen_name_stays_while_connections_remain)
{
	/* Closing the listener frees the name even though a connection
	 * accepted from it lives on.
	 */
	int fd;

	kt_close(&self->p.lfd);
	fd = kt_new_listener(self->p.name, 0600, 0, 0, 0);
	ASSERT_LE(0, fd);
	close(fd);
}

/* Bad names, as 64-byte arrays. */
static const struct {
	const char *what;
	char name[KIPC_NAME_MAX];
} bad_names[] = {
	{ "empty", "" },
	{ "no NUL in 64 bytes",
	  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" },
	{ "byte after NUL", "abc\0x" },
	{ "byte in the last slot", "abc\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0z" },
	{ "space", "a b" },
	{ "leading space", " ab" },
	{ "tab", "a\tb" },
	{ "newline", "ab\n" },
	{ "control char", "a\001b" },
	{ "DEL", "a\177b" },
	{ "high byte", "a\200b" },
	{ "0xff", "\377" },
};

TEST_F(kipc, listen_bad_name_einval)
{
	struct kipc_listen l = { .size = sizeof(l), .mode = 0600 };
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(bad_names); i++) {
		memcpy(l.name, bad_names[i].name, KIPC_NAME_MAX);
		EXPECT_EQ(-EINVAL, kt_ioctl(self->fresh, KIPC_IOC_LISTEN, &l))
			TH_LOG("name: %s", bad_names[i].what);
	}
}

TEST_F(kipc, listen_name_of_63_bytes_accepted)
{
	char name[KIPC_NAME_MAX];

	memset(name, 0, sizeof(name));
	snprintf(name, sizeof(name), "kt-%d-", (int)getpid());
	memset(name + strlen(name), 'x', KIPC_NAME_MAX - 1 - strlen(name));
	ASSERT_EQ(KIPC_NAME_MAX - 1, strlen(name));
	EXPECT_EQ(0, kt_listen(self->fresh, name, 0600, 0, 0, 0));
}

TEST_F(kipc, listen_name_accepts_every_printable_byte)
{
	char name[KIPC_NAME_MAX];
	int c = 0x21, fd, n;

	while (c <= 0x7e) {
		memset(name, 0, sizeof(name));
		n = snprintf(name, sizeof(name), "%d:", (int)getpid());
		while (n < KIPC_NAME_MAX - 1 && c <= 0x7e)
			name[n++] = (char)c++;
		fd = kt_new_listener(name, 0600, 0, 0, 0);
		ASSERT_LE(0, fd) TH_LOG("name '%s': %s", name, strerror(-fd));
		EXPECT_LE(0, kt_new_client(name, KIPC_CONNECT_NONBLOCK) > 0 ? 0 : -1);
		close(fd);
	}
}

TEST_F(kipc, listen_mode_outside_0777_einval)
{
	uint32_t modes[] = { 01000, 02000, 04000, 07777, 0170000, 0xffffffff };
	char name[KIPC_NAME_MAX];
	unsigned int i;

	kt_name(name, "mode");
	for (i = 0; i < ARRAY_SIZE(modes); i++) {
		uint32_t mode = modes[i];

		EXPECT_EQ(-EINVAL, kt_listen(self->fresh, name, mode, 0, 0, 0))
			TH_LOG("mode %#o", mode);
	}
	EXPECT_EQ(0, kt_listen(self->fresh, name, 0777, 0, 0, 0));
}

TEST_F(kipc, listen_ring_size_not_power_of_two_einval)
{
	uint32_t pg = self->v.page_size;
	uint32_t bad[] = { 3 * pg, pg + 1, pg + 8, 0xffffffff };
	char name[KIPC_NAME_MAX];
	unsigned int i;

	kt_name(name, "ring");
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		uint32_t sz = bad[i];

		EXPECT_EQ(-EINVAL, kt_listen(self->fresh, name, 0600, sz, 0, 0))
			TH_LOG("c2s ring %u", sz);
		EXPECT_EQ(-EINVAL, kt_listen(self->fresh, name, 0600, 0, sz, 0))
			TH_LOG("s2c ring %u", sz);
	}
}

TEST_F(kipc, listen_ring_size_out_of_range_einval)
{
	uint32_t bad[] = { 64, self->v.min_ring_bytes / 2,
			   self->v.max_ring_bytes * 2, 0x80000000u };
	char name[KIPC_NAME_MAX];
	unsigned int i;

	kt_name(name, "range");
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		uint32_t sz = bad[i];

		if (!sz || (sz >= self->v.min_ring_bytes &&
			    sz <= self->v.max_ring_bytes))
			continue;
		EXPECT_EQ(-EINVAL, kt_listen(self->fresh, name, 0600, sz, 0, 0))
			TH_LOG("c2s ring %u", sz);
		EXPECT_EQ(-EINVAL, kt_listen(self->fresh, name, 0600, 0, sz, 0))
			TH_LOG("s2c ring %u", sz);
	}
	EXPECT_EQ(0, kt_listen(self->fresh, name, 0600, self->v.min_ring_bytes,
			       self->v.max_ring_bytes, 0));
}

TEST_F(kipc, listen_zero_ring_size_picks_default)
{
	struct kipc_conn_info ci;

	ASSERT_EQ(0, kt_conn_info(self->p.cfd, &ci));
	EXPECT_EQ(self->v.default_ring_bytes, ci.ring_bytes[KIPC_RING_C2S]);
	EXPECT_EQ(self->v.default_ring_bytes, ci.ring_bytes[KIPC_RING_S2C]);
}

TEST_F(kipc, listen_ring_sizes_apply_per_direction)
{
	uint32_t pg = self->v.page_size;
	struct kipc_conn_info ci;
	char name[KIPC_NAME_MAX];
	int cfd;

	if (self->v.max_ring_bytes < 2 * pg)
		SKIP(return, "max_ring_bytes is one page");
	kt_name(name, "asym");
	ASSERT_EQ(0, kt_listen(self->fresh, name, 0600, 2 * pg, pg, 0));
	cfd = kt_new_client(name, 0);
	ASSERT_LE(0, cfd);
	ASSERT_EQ(0, kt_conn_info(cfd, &ci));
	EXPECT_EQ(2 * pg, ci.ring_bytes[KIPC_RING_C2S]);
	EXPECT_EQ(pg, ci.ring_bytes[KIPC_RING_S2C]);
	close(cfd);
}

TEST_F(kipc, listen_backlog_above_max_einval)
{
	char name[KIPC_NAME_MAX];

	kt_name(name, "backlog");
	EXPECT_EQ(-EINVAL, kt_listen(self->fresh, name, 0600, 0, 0,
				     self->v.max_backlog + 1));
	EXPECT_EQ(-EINVAL, kt_listen(self->fresh, name, 0600, 0, 0, 0xffffffff));
	EXPECT_EQ(0, kt_listen(self->fresh, name, 0600, 0, 0, self->v.max_backlog));
}

/* --- CONNECT --- */

TEST_F(kipc, connect_missing_name_enoent)
{
	char name[KIPC_NAME_MAX];

	kt_name(name, "nobody");
	EXPECT_EQ(-ENOENT, kt_connect(self->fresh, name, 0));
	/* The failed CONNECT left the fd unbound. */
	EXPECT_EQ(0, kt_connect(self->fresh, self->p.name, 0));
}

TEST_F(kipc, connect_after_listener_closed_enoent)
{
	kt_close(&self->p.lfd);
	EXPECT_EQ(-ENOENT, kt_connect(self->fresh, self->p.name, 0));
}

TEST_F(kipc, connect_bad_name_einval)
{
	struct kipc_connect c = { .size = sizeof(c) };
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(bad_names); i++) {
		memcpy(c.name, bad_names[i].name, KIPC_NAME_MAX);
		EXPECT_EQ(-EINVAL, kt_ioctl(self->fresh, KIPC_IOC_CONNECT, &c))
			TH_LOG("name: %s", bad_names[i].what);
	}
}

TEST_F(kipc, connect_name_with_tail_bytes_is_not_a_prefix_match)
{
	struct kipc_connect c = { .size = sizeof(c) };

	/* The listener's name followed by junk after the NUL. */
	kt_copy_name(c.name, self->p.name);
	c.name[KIPC_NAME_MAX - 1] = 'z';
	EXPECT_EQ(-EINVAL, kt_ioctl(self->fresh, KIPC_IOC_CONNECT, &c));
}

TEST_F(kipc, connect_on_bound_fd_einval)
{
	int fds[] = { self->p.lfd, self->p.cfd, self->p.sfd };
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(fds); i++)
		EXPECT_EQ(-EINVAL, kt_connect(fds[i], self->p.name,
					      KIPC_CONNECT_NONBLOCK))
			TH_LOG("fd role %u", i);
}

/* --- ACCEPT --- */

TEST_F(kipc, accept_on_non_listener_einval)
{
	int fds[] = { self->fresh, self->p.cfd, self->p.sfd };
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(fds); i++)
		EXPECT_EQ(-EINVAL, kt_accept(fds[i], KIPC_ACCEPT_NONBLOCK, NULL))
			TH_LOG("fd role %u", i);
}

TEST_F(kipc, accept_nonzero_reserved_einval)
{
	struct kipc_accept a = {
		.size = sizeof(a),
		.flags = KIPC_ACCEPT_NONBLOCK,
		.__reserved = 1,
	};
	int cfd = kt_new_client(self->p.name, 0);

	ASSERT_LE(0, cfd);
	EXPECT_EQ(-EINVAL, kt_ioctl(self->p.lfd, KIPC_IOC_ACCEPT, &a));
	/* Still queued. */
	a.__reserved = 0;
	EXPECT_EQ(0, kt_ioctl(self->p.lfd, KIPC_IOC_ACCEPT, &a));
	close(a.fd);
	close(cfd);
}

TEST_F(kipc, accept_output_has_no_stale_bytes)
{
	struct kipc_accept a;
	int cfd = kt_new_client(self->p.name, 0);

	ASSERT_LE(0, cfd);
	memset(&a, 0xaa, sizeof(a));
	a.size = sizeof(a);
	a.flags = KIPC_ACCEPT_NONBLOCK;
	a.__reserved = 0;
	ASSERT_EQ(0, kt_ioctl(self->p.lfd, KIPC_IOC_ACCEPT, &a));
	EXPECT_LE(0, a.fd);
	EXPECT_EQ(0, a.__reserved);
	EXPECT_EQ(getpid(), a.peer.pid);
	EXPECT_EQ(getuid(), a.peer.uid);
	EXPECT_EQ(getgid(), a.peer.gid);
	EXPECT_EQ(0, a.peer.__reserved);
	close(a.fd);
	close(cfd);
}

/* --- CONN_INFO --- */

TEST_F(kipc, conn_info_on_non_connection_einval)
{
	struct kipc_conn_info ci;

	EXPECT_EQ(-EINVAL, kt_conn_info(self->fresh, &ci));
	EXPECT_EQ(-EINVAL, kt_conn_info(self->p.lfd, &ci));
}

TEST_F(kipc, conn_info_output_has_no_stale_bytes)
{
	const uint32_t known = KIPC_STATE_CLIENT_GONE | KIPC_STATE_SERVER_GONE |
			       KIPC_STATE_ACCEPTED;
	int fds[] = { self->p.cfd, self->p.sfd };
	struct kipc_conn_info ci;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(fds); i++) {
		memset(&ci, 0xaa, sizeof(ci));
		ci.size = sizeof(ci);
		ci.flags = 0;
		ASSERT_EQ(0, kt_ioctl(fds[i], KIPC_IOC_CONN_INFO, &ci));
		EXPECT_EQ(i ? KIPC_SIDE_SERVER : KIPC_SIDE_CLIENT, ci.side);
		EXPECT_EQ(0, ci.state & ~known);
		EXPECT_EQ(self->v.default_ring_bytes, ci.ring_bytes[0]);
		EXPECT_EQ(self->v.default_ring_bytes, ci.ring_bytes[1]);
		EXPECT_EQ(0, ci.shared_map_bytes % self->v.page_size);
		EXPECT_EQ(0, ci.own_map_bytes % self->v.page_size);
		EXPECT_NE(0xaaaaaaaaaaaaaaaaull, ci.conn_id);
		EXPECT_EQ(getpid(), ci.peer.pid);
		EXPECT_EQ(getuid(), ci.peer.uid);
		EXPECT_EQ(getgid(), ci.peer.gid);
		EXPECT_EQ(0, ci.peer.__reserved);
	}
}

/* --- SET_EVENTFD --- */

TEST_F(kipc, set_eventfd_on_non_connection_einval)
{
	int efd = eventfd(0, EFD_CLOEXEC);

	ASSERT_LE(0, efd);
	EXPECT_EQ(-EINVAL, kt_set_eventfd(self->fresh, efd));
	EXPECT_EQ(-EINVAL, kt_set_eventfd(self->p.lfd, efd));
	close(efd);
}

TEST_F(kipc, set_eventfd_non_eventfd_ebadf)
{
	int pfd[2], closed;

	ASSERT_EQ(0, pipe2(pfd, O_CLOEXEC));
	EXPECT_EQ(-EBADF, kt_set_eventfd(self->p.cfd, pfd[0]));
	EXPECT_EQ(-EBADF, kt_set_eventfd(self->p.cfd, self->p.sfd));
	closed = pfd[1];
	close(pfd[0]);
	close(pfd[1]);
	EXPECT_EQ(-EBADF, kt_set_eventfd(self->p.cfd, closed));
	EXPECT_EQ(-EBADF, kt_set_eventfd(self->p.cfd, -2));
}

TEST_F(kipc, set_eventfd_nonzero_reserved_einval)
{
	struct kipc_eventfd e = { .size = sizeof(e), .fd = -1, .__reserved = 1 };

	EXPECT_EQ(-EINVAL, kt_ioctl(self->p.cfd, KIPC_IOC_SET_EVENTFD, &e));
}

TEST_F(kipc, set_eventfd_minus_one_detaches)
{
	int efd = eventfd(0, EFD_CLOEXEC);

	ASSERT_LE(0, efd);
	EXPECT_EQ(0, kt_set_eventfd(self->p.cfd, -1));	/* none attached */
	EXPECT_EQ(0, kt_set_eventfd(self->p.cfd, efd));
	EXPECT_EQ(0, kt_set_eventfd(self->p.cfd, -1));
	close(efd);
}

/* --- KICK --- */

TEST_F(kipc, kick_succeeds_on_both_sides)
{
	EXPECT_EQ(0, kt_kick(self->p.cfd));
	EXPECT_EQ(0, kt_kick(self->p.sfd));
}

TEST_F(kipc, kick_before_accept_succeeds)
{
	int cfd = kt_new_client(self->p.name, 0);

	ASSERT_LE(0, cfd);
	EXPECT_EQ(0, kt_kick(cfd));
	close(cfd);
}

TEST_F(kipc, kick_nonzero_argument_einval)
{
	int x = 0;

	EXPECT_EQ(-EINVAL, ioctl(self->p.cfd, KIPC_IOC_KICK, 1) ? -errno : 0);
	EXPECT_EQ(-EINVAL, ioctl(self->p.cfd, KIPC_IOC_KICK, &x) ? -errno : 0);
}

TEST_F(kipc, kick_on_non_connection_einval)
{
	EXPECT_EQ(-EINVAL, kt_kick(self->fresh));
	EXPECT_EQ(-EINVAL, kt_kick(self->p.lfd));
}

/* ------------------------------------------------------------------ */
/* Growth: 1.0 callers, ring-format features, the feature mask          */

/* A whole connection set up by a caller built against the 1.0 header. */
TEST(caller_built_with_1_0_layouts_works)
{
	struct kipc_listen_1_0 l = { .size = sizeof(l), .mode = 0600 };
	struct kipc_connect_1_0 c = { .size = sizeof(c) };
	struct kipc_conn_info_1_0 ci[2];
	struct kipc_accept a = { .size = sizeof(a), .fd = -1 };
	int lfd = kt_open(), cfd = kt_open(), sfd, i;
	struct kt_end ce, se;
	char buf[8];
	uint32_t len;

	ASSERT_EQ(88, sizeof(l));
	ASSERT_EQ(72, sizeof(c));
	ASSERT_EQ(64, sizeof(ci[0]));
	ASSERT_LE(0, lfd);
	ASSERT_LE(0, cfd);
	kt_name(l.name, "v1_0");
	ASSERT_EQ(0, kt_ioctl(lfd, KIPC_IOC_LISTEN, &l));
	memcpy(c.name, l.name, KIPC_NAME_MAX);
	ASSERT_EQ(0, kt_ioctl(cfd, KIPC_IOC_CONNECT, &c));
	ASSERT_EQ(0, kt_ioctl(lfd, KIPC_IOC_ACCEPT, &a));
	sfd = a.fd;
	ASSERT_LE(0, sfd);
	for (i = 0; i < 2; i++) {
		memset(&ci[i], 0, sizeof(ci[i]));
		ci[i].size = sizeof(ci[i]);
		ASSERT_EQ(0, kt_ioctl(i ? sfd : cfd, KIPC_IOC_CONN_INFO, &ci[i]));
		EXPECT_EQ(i ? KIPC_SIDE_SERVER : KIPC_SIDE_CLIENT, ci[i].side);
		EXPECT_EQ(ci[0].conn_id, ci[i].conn_id);
	}
	/* The rings are in the 1.0 format: no feature in the header. */
	ASSERT_EQ(0, kt_end_map(&ce, cfd));
	ASSERT_EQ(0, kt_end_map(&se, sfd));
	EXPECT_EQ(0, ce.hdr.features);
	EXPECT_EQ(0, ce.info.features);
	EXPECT_EQ(KIPC_ABI_VERSION, ce.hdr.abi_version);
	ASSERT_EQ(0, kt_send(&ce, "v1.0", 4, kt_wait_ms()));
	ASSERT_EQ(0, kt_recv(&se, buf, sizeof(buf), &len, kt_wait_ms()));
	EXPECT_EQ(4, len);
	EXPECT_EQ(0, memcmp(buf, "v1.0", 4));
	kt_end_unmap(&ce);
	kt_end_unmap(&se);
	close(sfd);
	close(cfd);
	close(lfd);
}

TEST_F(kipc, conn_info_and_header_report_no_ring_format_by_default)
{
	struct kt_end e;

	ASSERT_EQ(0, kt_end_map(&e, self->p.cfd));
	EXPECT_EQ(0, e.info.features);
	EXPECT_EQ(0, e.hdr.features);
	kt_end_unmap(&e);
}

/* A ring format the driver does not report (the one after
 * KIPC_F_RING_PAD): LISTEN and CONNECT refuse it.
 */
TEST_F(kipc, listen_unreported_ring_format_einval)
{
	struct kipc_listen l = { .size = sizeof(l), .mode = 0600 };

	kt_name(l.name, "format");
	l.features = KIPC_F_RING_PAD << 1;	/* not defined yet */
	ASSERT_EQ(0, self->v.features & l.features);
	EXPECT_EQ(-EINVAL, kt_ioctl(self->fresh, KIPC_IOC_LISTEN, &l));
	l.features = KIPC_F_EVENTFD;	/* a capability, not a format */
	EXPECT_EQ(-EINVAL, kt_ioctl(self->fresh, KIPC_IOC_LISTEN, &l));
	l.features = 0;
	EXPECT_EQ(0, kt_ioctl(self->fresh, KIPC_IOC_LISTEN, &l));
}

TEST_F(kipc, connect_unreported_ring_format_einval)
{
	struct kipc_connect c = { .size = sizeof(c) };

	kt_copy_name(c.name, self->p.name);
	c.features = 1ULL << 63;
	EXPECT_EQ(-EINVAL, kt_ioctl(self->fresh, KIPC_IOC_CONNECT, &c));
	c.features = 0;
	c.flags = KIPC_CONNECT_NONBLOCK;
	EXPECT_EQ(0, kt_ioctl(self->fresh, KIPC_IOC_CONNECT, &c));
}

/*
 * feature_mask plays an older driver: VERSION stops reporting what it
 * hides (libkipc's suite checks that the library then falls back or fails
 * with -EPROTONOSUPPORT). Needs root to write the parameter.
 */
FIXTURE(mask) {
	unsigned long long saved;
	int fd;
};

FIXTURE_SETUP(mask)
{
	self->fd = -1;
	if (kt_param_read("feature_mask", &self->saved))
		SKIP(return, "no feature_mask parameter");
	if (geteuid())
		SKIP(return, "needs root to set feature_mask");
	self->fd = kt_open();
	ASSERT_LE(0, self->fd);
}

FIXTURE_TEARDOWN(mask)
{
	if (self->fd >= 0) {
		kt_param_write("feature_mask", self->saved);
		close(self->fd);
	}
}

TEST_F(mask, version_hides_masked_features)
{
	struct kipc_version v;

	ASSERT_EQ(0, kt_param_write("feature_mask", ~KIPC_F_POLL_NEED));
	ASSERT_EQ(0, kt_version(self->fd, &v));
	EXPECT_EQ(0, v.features & KIPC_F_POLL_NEED);
	EXPECT_NE(0, v.features & KIPC_F_EVENTFD);
	ASSERT_EQ(0, kt_param_write("feature_mask", 0));
	ASSERT_EQ(0, kt_version(self->fd, &v));
	EXPECT_EQ(0, v.features);
	EXPECT_EQ(KIPC_ABI_VERSION, v.abi_version);
	ASSERT_EQ(0, kt_param_write("feature_mask", self->saved));
	ASSERT_EQ(0, kt_version(self->fd, &v));
	EXPECT_NE(0, v.features & KIPC_F_POLL_NEED);
}

TEST_HARNESS_MAIN
