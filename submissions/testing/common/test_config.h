/* Tiny readers for the flat config JSON of the harness's test plugins
 * (e.g. {"crash_at_call": 5, "path": "/tmp/x"}). Not a JSON parser: enough for
 * one level of numbers and strings without escapes. */
#ifndef MASKBENCH_TEST_CONFIG_H_
#define MASKBENCH_TEST_CONFIG_H_

#include <stdlib.h>
#include <string.h>

/* The number after "key": in json, or `fallback`. */
static inline long mb_test_config_int(const char* json, const char* key, long fallback) {
  char pattern[128];
  size_t n = strlen(key);
  if (json == NULL || n + 3 > sizeof pattern) return fallback;
  pattern[0] = '"';
  memcpy(pattern + 1, key, n);
  pattern[n + 1] = '"';
  pattern[n + 2] = '\0';
  const char* at = strstr(json, pattern);
  if (at == NULL) return fallback;
  at = strchr(at + n + 2, ':');
  if (at == NULL) return fallback;
  return strtol(at + 1, NULL, 10);
}

/* Copies the string after "key": into out (capacity bytes); returns 1 when found. */
static inline int mb_test_config_string(const char* json, const char* key, char* out,
                                        size_t capacity) {
  char pattern[128];
  size_t n = strlen(key);
  if (json == NULL || capacity == 0 || n + 3 > sizeof pattern) return 0;
  pattern[0] = '"';
  memcpy(pattern + 1, key, n);
  pattern[n + 1] = '"';
  pattern[n + 2] = '\0';
  const char* at = strstr(json, pattern);
  if (at == NULL) return 0;
  at = strchr(at + n + 2, ':');
  if (at == NULL) return 0;
  at = strchr(at, '"');
  if (at == NULL) return 0;
  ++at;
  const char* end = strchr(at, '"');
  if (end == NULL) return 0;
  size_t len = (size_t)(end - at);
  if (len >= capacity) len = capacity - 1;
  memcpy(out, at, len);
  out[len] = '\0';
  return 1;
}

static inline void mb_test_write_error(char* error, size_t capacity, const char* text) {
  if (error == NULL || capacity == 0) return;
  size_t n = strlen(text);
  if (n >= capacity) n = capacity - 1;
  memcpy(error, text, n);
  error[n] = '\0';
}

#endif /* MASKBENCH_TEST_CONFIG_H_ */
