/*
 * Read-ahead hints for the restorer (src/engine/read-ahead.ts): posix_fadvise(POSIX_FADV_WILLNEED)
 * asks the kernel to start reading a range of a file into the page cache and returns at once, so
 * a pack's bytes are on their way while a worker thread still decodes the job before. Node has no
 * binding for it.
 *
 *   willNeed(fd, offset, length): undefined; throws an Error with the errno's code (e.g. "EBADF")
 *     when the kernel refuses, a TypeError on bad arguments. A hint only: nothing is read here.
 */
#include <node_api.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static const char *USAGE = "willNeed(fd: int >= 0, offset: integer >= 0, length: integer >= 0)";

static napi_value will_need(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  int32_t fd;
  int64_t offset, length;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 3 || napi_get_value_int32(env, argv[0], &fd) != napi_ok || fd < 0 ||
      napi_get_value_int64(env, argv[1], &offset) != napi_ok || offset < 0 ||
      napi_get_value_int64(env, argv[2], &length) != napi_ok || length < 0) {
    napi_throw_type_error(env, NULL, USAGE);
    return NULL;
  }
  int err = posix_fadvise(fd, (off_t)offset, (off_t)length, POSIX_FADV_WILLNEED);
  if (err != 0) {
    char message[120];
    snprintf(message, sizeof message, "posix_fadvise failed: %s", strerror(err));
    napi_value code, msg, error;
    napi_create_string_utf8(env, err == EBADF ? "EBADF" : err == ESPIPE ? "ESPIPE" : "EINVAL", NAPI_AUTO_LENGTH, &code);
    napi_create_string_utf8(env, message, NAPI_AUTO_LENGTH, &msg);
    napi_create_error(env, code, msg, &error);
    napi_throw(env, error);
  }
  return NULL;
}

NAPI_MODULE_INIT() {
  napi_property_descriptor props[] = {
      {"willNeed", NULL, will_need, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, 1, props);
  return exports;
}
