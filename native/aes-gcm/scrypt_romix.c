/*
 * One lane of scrypt for src/engine/scrypt.ts: scryptROMix of RFC 7914 (section 5), run on libuv's
 * thread pool so that the p lanes of one derivation can run on several cores at once. OpenSSL's
 * scrypt (Node's crypto.scrypt) runs them one after another; the bytes are the same (the unit test
 * compares the two).
 *
 *   romix(block: Buffer of 128 * r bytes, N: power of two 2..2^24, r: 1..64): Promise<undefined>
 *     replaces block with scryptROMix_r(block, N) on a pool thread; the caller must not touch block
 *     until the promise settles. Rejects with an Error (code "ENOMEM") when the 128 * r * N bytes of
 *     the lane's table cannot be allocated; throws a TypeError on bad arguments.
 */
#include <node_api.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static const char *USAGE = "romix(block: Buffer of 128 * r bytes, N: power of two 2..2^24, r: integer 1..64)";

static inline uint32_t le32dec(const uint8_t *p) {
  return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

static inline void le32enc(uint8_t *p, uint32_t x) {
  p[0] = (uint8_t)x;
  p[1] = (uint8_t)(x >> 8);
  p[2] = (uint8_t)(x >> 16);
  p[3] = (uint8_t)(x >> 24);
}

#define ROTL(a, b) (((a) << (b)) | ((a) >> (32 - (b))))

/* Salsa20/8 core (RFC 7914 section 3): B = B + 8 rounds of B, word by word. */
static void salsa20_8(uint32_t B[16]) {
  uint32_t x[16];
  memcpy(x, B, sizeof x);
  for (int i = 0; i < 8; i += 2) {
    x[4] ^= ROTL(x[0] + x[12], 7);
    x[8] ^= ROTL(x[4] + x[0], 9);
    x[12] ^= ROTL(x[8] + x[4], 13);
    x[0] ^= ROTL(x[12] + x[8], 18);
    x[9] ^= ROTL(x[5] + x[1], 7);
    x[13] ^= ROTL(x[9] + x[5], 9);
    x[1] ^= ROTL(x[13] + x[9], 13);
    x[5] ^= ROTL(x[1] + x[13], 18);
    x[14] ^= ROTL(x[10] + x[6], 7);
    x[2] ^= ROTL(x[14] + x[10], 9);
    x[6] ^= ROTL(x[2] + x[14], 13);
    x[10] ^= ROTL(x[6] + x[2], 18);
    x[3] ^= ROTL(x[15] + x[11], 7);
    x[7] ^= ROTL(x[3] + x[15], 9);
    x[11] ^= ROTL(x[7] + x[3], 13);
    x[15] ^= ROTL(x[11] + x[7], 18);
    x[1] ^= ROTL(x[0] + x[3], 7);
    x[2] ^= ROTL(x[1] + x[0], 9);
    x[3] ^= ROTL(x[2] + x[1], 13);
    x[0] ^= ROTL(x[3] + x[2], 18);
    x[6] ^= ROTL(x[5] + x[4], 7);
    x[7] ^= ROTL(x[6] + x[5], 9);
    x[4] ^= ROTL(x[7] + x[6], 13);
    x[5] ^= ROTL(x[4] + x[7], 18);
    x[11] ^= ROTL(x[10] + x[9], 7);
    x[8] ^= ROTL(x[11] + x[10], 9);
    x[9] ^= ROTL(x[8] + x[11], 13);
    x[10] ^= ROTL(x[9] + x[8], 18);
    x[12] ^= ROTL(x[15] + x[14], 7);
    x[13] ^= ROTL(x[12] + x[15], 9);
    x[14] ^= ROTL(x[13] + x[12], 13);
    x[15] ^= ROTL(x[14] + x[13], 18);
  }
  for (int i = 0; i < 16; i++) B[i] += x[i];
}

/*
 * scryptBlockMix (RFC 7914 section 4) of the 2r 64-byte blocks in B, with Y (32r words) as scratch:
 * the even outputs go to the first half of B, the odd ones to the second.
 */
static void block_mix(uint32_t *B, uint32_t *Y, size_t r) {
  uint32_t X[16];
  memcpy(X, &B[(2 * r - 1) * 16], sizeof X);
  for (size_t i = 0; i < 2 * r; i++) {
    for (int k = 0; k < 16; k++) X[k] ^= B[i * 16 + k];
    salsa20_8(X);
    memcpy(&Y[i * 16], X, sizeof X);
  }
  for (size_t i = 0; i < r; i++) {
    memcpy(&B[i * 16], &Y[(2 * i) * 16], sizeof X);
    memcpy(&B[(i + r) * 16], &Y[(2 * i + 1) * 16], sizeof X);
  }
}

/* scryptROMix (RFC 7914 section 5) of the 128r bytes at block, in place; 0, or -1 out of memory. */
static int romix(uint8_t *block, size_t N, size_t r) {
  size_t words = 32 * r;
  uint32_t *V = malloc(N * words * sizeof(uint32_t));
  uint32_t *X = malloc(2 * words * sizeof(uint32_t));
  if (V == NULL || X == NULL) {
    free(V);
    free(X);
    return -1;
  }
  uint32_t *Y = X + words;
  for (size_t k = 0; k < words; k++) X[k] = le32dec(block + 4 * k);
  for (size_t i = 0; i < N; i++) {
    memcpy(&V[i * words], X, words * sizeof(uint32_t));
    block_mix(X, Y, r);
  }
  for (size_t i = 0; i < N; i++) {
    /* Integerify: the first word of the last 64-byte block, modulo N (N <= 2^24 fits 32 bits) */
    size_t j = X[(2 * r - 1) * 16] & (N - 1);
    for (size_t k = 0; k < words; k++) X[k] ^= V[j * words + k];
    block_mix(X, Y, r);
  }
  for (size_t k = 0; k < words; k++) le32enc(block + 4 * k, X[k]);
  memset(V, 0, N * words * sizeof(uint32_t));
  memset(X, 0, 2 * words * sizeof(uint32_t));
  free(V);
  free(X);
  return 0;
}

typedef struct {
  napi_async_work work;
  napi_deferred deferred;
  napi_ref block_ref;
  uint8_t *block;
  size_t N, r;
  int status;
} Lane;

static void lane_execute(napi_env env, void *data) {
  (void)env;
  Lane *lane = data;
  lane->status = romix(lane->block, lane->N, lane->r);
}

static void lane_complete(napi_env env, napi_status status, void *data) {
  Lane *lane = data;
  napi_value result;
  if (status == napi_ok && lane->status == 0) {
    napi_get_undefined(env, &result);
    napi_resolve_deferred(env, lane->deferred, result);
  } else {
    napi_value code, message;
    napi_create_string_utf8(env, "ENOMEM", NAPI_AUTO_LENGTH, &code);
    napi_create_string_utf8(env, status == napi_ok ? "scrypt: out of memory for a lane's table" : "scrypt: lane cancelled",
                            NAPI_AUTO_LENGTH, &message);
    napi_create_error(env, code, message, &result);
    napi_reject_deferred(env, lane->deferred, result);
  }
  napi_delete_reference(env, lane->block_ref);
  napi_delete_async_work(env, lane->work);
  free(lane);
}

static napi_value start_romix(napi_env env, napi_callback_info info) {
  size_t argc = 3, length = 0;
  napi_value argv[3], promise, name;
  bool is_buffer = false;
  uint8_t *block = NULL;
  int64_t N = 0, r = 0;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc >= 1) napi_is_buffer(env, argv[0], &is_buffer);
  if (argc < 3 || !is_buffer || napi_get_buffer_info(env, argv[0], (void **)&block, &length) != napi_ok ||
      napi_get_value_int64(env, argv[1], &N) != napi_ok || napi_get_value_int64(env, argv[2], &r) != napi_ok ||
      N < 2 || N > (1 << 24) || (N & (N - 1)) != 0 || r < 1 || r > 64 || length != (size_t)(128 * r)) {
    napi_throw_type_error(env, NULL, USAGE);
    return NULL;
  }
  Lane *lane = calloc(1, sizeof *lane);
  if (lane == NULL) {
    napi_throw_error(env, "ENOMEM", "scrypt: out of memory");
    return NULL;
  }
  lane->block = block;
  lane->N = (size_t)N;
  lane->r = (size_t)r;
  napi_create_reference(env, argv[0], 1, &lane->block_ref);
  napi_create_promise(env, &lane->deferred, &promise);
  napi_create_string_utf8(env, "baton.scrypt.romix", NAPI_AUTO_LENGTH, &name);
  napi_create_async_work(env, NULL, name, lane_execute, lane_complete, lane, &lane->work);
  napi_queue_async_work(env, lane->work);
  return promise;
}

NAPI_MODULE_INIT() {
  napi_property_descriptor props[] = {
      {"romix", NULL, start_romix, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, 1, props);
  return exports;
}
