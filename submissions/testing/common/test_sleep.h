/* Sleeping for the timing test plugins: an absolute CLOCK_MONOTONIC deadline,
 * so a signal or early wake-up never shortens the sleep. The including file
 * defines _POSIX_C_SOURCE 200809L before any include. */
#ifndef MASKBENCH_TEST_SLEEP_H_
#define MASKBENCH_TEST_SLEEP_H_

#include <time.h>

/* Returns `us` microseconds after it was called (not earlier). */
static inline void mb_test_sleep_us(long us) {
  struct timespec deadline;
  clock_gettime(CLOCK_MONOTONIC, &deadline);
  deadline.tv_nsec += (us % 1000000) * 1000;
  deadline.tv_sec += us / 1000000 + deadline.tv_nsec / 1000000000;
  deadline.tv_nsec %= 1000000000;
  while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &deadline, NULL) != 0) {
  }
}

#endif /* MASKBENCH_TEST_SLEEP_H_ */
