/*
 * File times to the nanosecond for the restorer (src/engine/file-times.ts). Node's futimes and
 * lutimes take seconds as a double, which cannot carry the nanoseconds of a present-day date, and
 * libuv hands the kernel microseconds; these hand it the tree's seconds and nanoseconds as they are.
 *
 *   futimens(fd, sec, nsec): atime and mtime of an open file (any descriptor type)
 *   lutimens(path, sec, nsec): of the entry at path itself, never a symlink's target
 *                              (utimensat(AT_FDCWD, path, ..., AT_SYMLINK_NOFOLLOW)); path is a Buffer
 *
 * Both throw an Error with the errno's code (e.g. "ENOENT") on failure, a TypeError on bad arguments.
 */
#include <node_api.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

static const char *USAGE_F = "futimens(fd: int >= 0, sec: integer, nsec: integer 0..999999999)";
static const char *USAGE_L = "lutimens(path: Buffer without NUL, sec: integer, nsec: integer 0..999999999)";

/* sec and nsec from argv[1], argv[2]: sec an integral number, nsec in 0..999999999. */
static int times_of(napi_env env, napi_value *argv, struct timespec *ts) {
  double sec;
  int64_t nsec;
  if (napi_get_value_double(env, argv[1], &sec) != napi_ok || sec != (double)(int64_t)sec) return 0;
  if (sec > 9007199254740991.0 || sec < -9007199254740991.0) return 0;
  if (napi_get_value_int64(env, argv[2], &nsec) != napi_ok || nsec < 0 || nsec > 999999999) return 0;
  double check;
  napi_get_value_double(env, argv[2], &check);
  if (check != (double)nsec) return 0;
  ts[0].tv_sec = ts[1].tv_sec = (time_t)sec;
  ts[0].tv_nsec = ts[1].tv_nsec = (long)nsec;
  return 1;
}

static const char *errno_code(int err) {
  switch (err) {
    case ENOENT: return "ENOENT";
    case EPERM: return "EPERM";
    case EACCES: return "EACCES";
    case EBADF: return "EBADF";
    case ELOOP: return "ELOOP";
    case EROFS: return "EROFS";
    case ENOTDIR: return "ENOTDIR";
    default: return "EIO";
  }
}

static napi_value throw_errno(napi_env env, int err, const char *call) {
  char message[160];
  napi_value error, code, msg;
  snprintf(message, sizeof message, "%s failed: %s", call, strerror(err));
  napi_create_string_utf8(env, message, NAPI_AUTO_LENGTH, &msg);
  napi_create_string_utf8(env, errno_code(err), NAPI_AUTO_LENGTH, &code);
  napi_create_error(env, code, msg, &error);
  napi_throw(env, error);
  return NULL;
}

static napi_value set_futimens(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  int32_t fd;
  struct timespec ts[2];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 3 || napi_get_value_int32(env, argv[0], &fd) != napi_ok || fd < 0 || !times_of(env, argv, ts)) {
    napi_throw_type_error(env, NULL, USAGE_F);
    return NULL;
  }
  if (futimens(fd, ts) != 0) return throw_errno(env, errno, "futimens");
  return NULL;
}

static napi_value set_lutimens(napi_env env, napi_callback_info info) {
  size_t argc = 3, length;
  napi_value argv[3];
  bool is_buffer = false;
  char *data, path[4097];
  struct timespec ts[2];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc >= 1) napi_is_buffer(env, argv[0], &is_buffer);
  if (argc < 3 || !is_buffer || napi_get_buffer_info(env, argv[0], (void **)&data, &length) != napi_ok ||
      length == 0 || length >= sizeof path || memchr(data, 0, length) != NULL || !times_of(env, argv, ts)) {
    napi_throw_type_error(env, NULL, USAGE_L);
    return NULL;
  }
  memcpy(path, data, length);
  path[length] = 0;
  if (utimensat(AT_FDCWD, path, ts, AT_SYMLINK_NOFOLLOW) != 0) return throw_errno(env, errno, "utimensat");
  return NULL;
}

NAPI_MODULE_INIT() {
  napi_property_descriptor props[] = {
      {"futimens", NULL, set_futimens, NULL, NULL, NULL, napi_default, NULL},
      {"lutimens", NULL, set_lutimens, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, 2, props);
  return exports;
}
