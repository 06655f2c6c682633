/*
 * The backup walk's lstat, many entries in one call (src/engine/entry-stats.ts). For each path: the
 * fields Node's lstat gives (statx, as libuv calls it: the same device numbers and nanoseconds), and
 * the size of the entry's extended-attribute name list (llistxattr: 0 when it has none, which is
 * nearly every file). One call per slice of a directory's listing, instead of an lstatSync and an
 * xattr library call per entry, each building JavaScript objects the walk mostly does not read.
 *
 *   statBatch(paths: Buffer[], out: BigInt64Array): out[i * STAT_FIELDS + k] = field k of paths[i]
 *
 * Fields (STAT_FIELDS = 16): 0 errno of the statx (0: the rest is valid), 1 dev, 2 ino, 3 mode,
 * 4 nlink, 5 uid, 6 gid, 7 rdev, 8 size, 9 blocks, 10 blksize, 11 atime ns, 12 mtime ns, 13 ctime ns,
 * 14 the xattr name list's length in bytes, or -errno, 15 unused. Throws a TypeError on bad
 * arguments, before any call; a path too long or holding a NUL is that entry's ENAMETOOLONG/EINVAL.
 */
#define _GNU_SOURCE
#include <node_api.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>

#define STAT_FIELDS 16

static const char *USAGE = "statBatch(paths: Buffer[], out: BigInt64Array of paths.length * 16)";

static int64_t ns(struct statx_timestamp t) { return (int64_t)t.tv_sec * 1000000000 + (int64_t)t.tv_nsec; }

/* One entry into row[0..STAT_FIELDS). path is NUL-terminated. */
static void stat_one(const char *path, int64_t *row) {
  struct statx sx;
  memset(row, 0, STAT_FIELDS * sizeof(int64_t));
  if (statx(AT_FDCWD, path, AT_STATX_SYNC_AS_STAT | AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS | STATX_BTIME, &sx) != 0) {
    row[0] = errno;
    return;
  }
  row[1] = (int64_t)makedev(sx.stx_dev_major, sx.stx_dev_minor);
  row[2] = (int64_t)sx.stx_ino;
  row[3] = sx.stx_mode;
  row[4] = sx.stx_nlink;
  row[5] = sx.stx_uid;
  row[6] = sx.stx_gid;
  row[7] = (int64_t)makedev(sx.stx_rdev_major, sx.stx_rdev_minor);
  row[8] = (int64_t)sx.stx_size;
  row[9] = (int64_t)sx.stx_blocks;
  row[10] = sx.stx_blksize;
  row[11] = ns(sx.stx_atime);
  row[12] = ns(sx.stx_mtime);
  row[13] = ns(sx.stx_ctime);
  ssize_t list = llistxattr(path, NULL, 0);
  row[14] = list >= 0 ? (int64_t)list : -(int64_t)errno;
}

static napi_value stat_batch(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  bool is_array = false, is_typedarray = false;
  uint32_t count = 0;
  napi_typedarray_type type;
  size_t out_length = 0, offset = 0;
  void *out_data = NULL;
  napi_value out_buffer;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 2 || napi_is_array(env, argv[0], &is_array) != napi_ok || !is_array ||
      napi_get_array_length(env, argv[0], &count) != napi_ok ||
      napi_is_typedarray(env, argv[1], &is_typedarray) != napi_ok || !is_typedarray ||
      napi_get_typedarray_info(env, argv[1], &type, &out_length, &out_data, &out_buffer, &offset) != napi_ok ||
      type != napi_bigint64_array || out_length < (size_t)count * STAT_FIELDS) {
    napi_throw_type_error(env, NULL, USAGE);
    return NULL;
  }
  for (uint32_t i = 0; i < count; i++) {
    napi_value item;
    bool is_buffer = false;
    if (napi_get_element(env, argv[0], i, &item) != napi_ok || napi_is_buffer(env, item, &is_buffer) != napi_ok ||
        !is_buffer) {
      napi_throw_type_error(env, NULL, USAGE);
      return NULL;
    }
  }
  int64_t *out = (int64_t *)out_data;
  char path[PATH_MAX];
  for (uint32_t i = 0; i < count; i++) {
    napi_value item;
    void *data = NULL;
    size_t length = 0;
    int64_t *row = out + (size_t)i * STAT_FIELDS;
    napi_get_element(env, argv[0], i, &item);
    napi_get_buffer_info(env, item, &data, &length);
    if (length >= sizeof path) {
      memset(row, 0, STAT_FIELDS * sizeof(int64_t));
      row[0] = ENAMETOOLONG;
      continue;
    }
    if (memchr(data, 0, length) != NULL) {
      memset(row, 0, STAT_FIELDS * sizeof(int64_t));
      row[0] = EINVAL;
      continue;
    }
    memcpy(path, data, length);
    path[length] = 0;
    stat_one(path, row);
  }
  return NULL;
}

NAPI_MODULE_INIT() {
  napi_property_descriptor props[] = {
      {"statBatch", NULL, stat_batch, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, 1, props);
  return exports;
}
