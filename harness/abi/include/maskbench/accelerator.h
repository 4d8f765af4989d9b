/* maskbench accelerator ABI: how a team's accelerator model plugs into the harness.
 *
 * A submission is a shared library exporting exactly one symbol,
 * `mb_accelerator_entry` (an mb_accelerator_entry_t). The harness loads it in a
 * child process (the runner), checks the entry's ABI version, calls create()
 * once, then infer() once per frame, then destroy(). Optional features are found
 * by string id through get_extension() and return NULL when unsupported, so new
 * features never break old plugins. See docs/abi.md.
 *
 * Pure C (C11 / C++), only <stdint.h>, <stddef.h>, <stdbool.h>. Return codes are
 * int32_t with the MB_* constants below; error text goes into a caller-owned buffer.
 *
 * Threading: the harness calls every function of one instance from one thread
 * (the runner thread), never concurrently. Tags used below:
 *   [any-thread]            may be called before create, from any thread
 *   [runner-thread]         called on the runner thread
 *   [after create]          only on an instance create() returned
 *   [not after destroy]     the instance is gone after destroy()
 * Ownership: the harness owns every pointer it passes in; the plugin owns every
 * pointer it returns. Each comment says until when a pointer stays valid.
 */
#ifndef MASKBENCH_ACCELERATOR_H_
#define MASKBENCH_ACCELERATOR_H_

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Version --------------------------------------------------------------
 * major: incompatible layout change (the harness refuses another major);
 * minor: additions that old harnesses can ignore; revision: fixes only. */
#define MB_ABI_VERSION_MAJOR 1
#define MB_ABI_VERSION_MINOR 0
#define MB_ABI_VERSION_REVISION 0

typedef struct mb_version {
  uint32_t major;
  uint32_t minor;
  uint32_t revision;
} mb_version_t;

/* Initialiser for the version this header describes. */
#define MB_ABI_VERSION_INIT \
  { MB_ABI_VERSION_MAJOR, MB_ABI_VERSION_MINOR, MB_ABI_VERSION_REVISION }

/* [any-thread] True when a plugin built against `plugin` can be loaded by a
 * harness built against this header (same major version). */
static inline bool mb_version_is_compatible(mb_version_t plugin) {
  return plugin.major == MB_ABI_VERSION_MAJOR;
}

/* ---- Return codes (int32_t) ---------------------------------------------- */
#define MB_OK 0
#define MB_ERR_INVALID_ARGUMENT 1 /* bad config, unsupported frame format, ... */
#define MB_ERR_INTERNAL 2         /* anything else; put the reason in the error buffer */
#define MB_ERR_OUT_OF_MEMORY 3    /* an allocation failed */
#define MB_ERR_UNSUPPORTED 4      /* the request is valid but not implemented */
#define MB_ERR_IO 5               /* reading weights or other files failed */
#define MB_ERR_EXCEPTION 6        /* a C++ exception reached the boundary (helper header) */

/* ---- Frames and detections ------------------------------------------------ */
#define MB_PIXEL_FORMAT_BGR8 1 /* 8-bit interleaved B, G, R (the default) */
#define MB_PIXEL_FORMAT_RGB8 2 /* 8-bit interleaved R, G, B */

/* One frame. Everything it points to is owned by the harness and valid only
 * during the infer() call that received it; the plugin must not write to it
 * or keep the pointer. */
typedef struct mb_frame {
  const uint8_t* pixels; /* first byte of the top row */
  uint32_t width;        /* pixels per row, > 0 */
  uint32_t height;       /* rows, > 0 */
  uint32_t stride;       /* bytes from one row to the next, >= 3 * width */
  uint32_t pixel_format; /* MB_PIXEL_FORMAT_* */
  uint64_t sequence;     /* 0, 1, 2, ...: infer calls on this instance so far (warm-up included) */
} mb_frame_t;

/* One detection: box in float pixels of the frame (origin top-left), a class id
 * from the data set's manifest (face-mask: 0 with_mask, 1 without_mask,
 * 2 mask_weared_incorrect) and a score in [0, 1]. */
typedef struct mb_detection {
  float x;
  float y;
  float w;
  float h;
  int32_t class_id;
  float score;
} mb_detection_t;

/* ---- Instance --------------------------------------------------------------
 * Returned by create(); owned by the plugin until destroy(). The harness only
 * reads its fields and calls its functions with the instance itself. */
typedef struct mb_accelerator mb_accelerator_t;
struct mb_accelerator {
  mb_version_t version; /* the ABI version the plugin was built against */
  void* self;           /* the plugin's own state; the harness never touches it */

  /* [runner-thread, after create] Detects objects in `frame`.
   * Writes at most `capacity` detections into `detections` (harness-owned, valid
   * during this call) and sets *count to the number of detections found; a
   * *count above `capacity` reports an overflow (only `capacity` were written) and
   * the harness records invalid_output. On failure returns an MB_ERR_* code and
   * writes a NUL-terminated reason (truncated) into `error` (harness-owned,
   * `error_capacity` bytes, valid during this call). Timed by the harness. */
  int32_t (*infer)(mb_accelerator_t* accelerator, const mb_frame_t* frame,
                   mb_detection_t* detections, uint32_t capacity, uint32_t* count, char* error,
                   size_t error_capacity);

  /* [runner-thread, after create, not after destroy] Releases the instance and
   * everything it owns. The instance pointer is invalid afterwards. */
  void (*destroy)(mb_accelerator_t* accelerator);

  /* [runner-thread, after create] The instance's extension struct for `id`
   * (e.g. MB_EXT_CYCLES), or NULL when unsupported. The returned struct is owned
   * by the plugin and stays valid until destroy(). `id` is valid during the call. */
  const void* (*get_extension)(const mb_accelerator_t* accelerator, const char* id);
};

/* ---- Entry (the one exported symbol) --------------------------------------- */
typedef struct mb_accelerator_entry {
  mb_version_t version; /* first member, always: MB_ABI_VERSION_INIT */

  /* [runner-thread, once] Creates an instance. `config_json` is a JSON object as
   * text (never NULL; "{}" when there is no configuration); `submission_dir` is
   * the submission's own folder (absolute path), for its weights. Both are
   * harness-owned and valid during this call only. Loading weights here is not
   * timed. On failure returns NULL and writes a NUL-terminated reason into
   * `error` (harness-owned, `error_capacity` bytes). */
  mb_accelerator_t* (*create)(const char* config_json, const char* submission_dir, char* error,
                              size_t error_capacity);

  /* [any-thread] An extension that needs no instance (e.g. MB_EXT_DESCRIBE), or
   * NULL. May itself be NULL. The returned struct is owned by the plugin and
   * stays valid while the library is loaded. */
  const void* (*get_extension)(const char* id);
} mb_accelerator_entry_t;

/* The exported symbol's name, for dlsym(). */
#define MB_ENTRY_SYMBOL "mb_accelerator_entry"

/* Marks the entry as exported even under -fvisibility=hidden. */
#if defined(__GNUC__) || defined(__clang__)
#define MB_EXPORT __attribute__((visibility("default")))
#else
#define MB_EXPORT
#endif

/* The one symbol a plugin defines (e.g. `MB_EXPORT const mb_accelerator_entry_t
 * mb_accelerator_entry = {MB_ABI_VERSION_INIT, my_create, my_get_extension};`).
 * It is read-only data owned by the plugin, valid while the library is loaded. */
MB_EXPORT extern const mb_accelerator_entry_t mb_accelerator_entry;

/* ---- Extension: cycle reporting for hardware models ------------------------
 * Found through the instance's get_extension(MB_EXT_CYCLES). The harness reports
 * modeled latency = cycles / clock_hz next to (never mixed with) measured time. */
#define MB_EXT_CYCLES "maskbench.cycles/1"
typedef struct mb_ext_cycles {
  /* [runner-thread, after a successful infer] Cycles the modeled hardware spent
   * on the last frame, in *cycles. Returns MB_OK or an MB_ERR_* code. Not timed. */
  int32_t (*last_frame_cycles)(const mb_accelerator_t* accelerator, uint64_t* cycles);
  /* [runner-thread, after create] The modeled clock in Hz (> 0), constant for the
   * instance's lifetime. */
  uint64_t (*clock_hz)(const mb_accelerator_t* accelerator);
} mb_ext_cycles_t;

/* ---- Extension: energy reporting for hardware models -----------------------
 * Found through the instance's get_extension(MB_EXT_ENERGY). The harness stores
 * the energy of every measured frame next to its cycles; the rules may rank a
 * modeled track by energy per frame or by energy x modeled latency (docs/rtl.md,
 * "Energy model"). A plugin's own figure is marked self-reported; only an RTL
 * entry built by the harness has energy counted by the harness. */
#define MB_EXT_ENERGY "maskbench.energy/1"
typedef struct mb_ext_energy {
  /* [runner-thread, after a successful infer] Energy the modeled hardware spent
   * on the last frame, in picojoules (finite, >= 0), in *picojoules. Returns
   * MB_OK or an MB_ERR_* code. Not timed. */
  int32_t (*last_frame_energy_pj)(const mb_accelerator_t* accelerator, double* picojoules);
} mb_ext_energy_t;

/* ---- Extension: batch (offline) inference ----------------------------------
 * Found through the instance's get_extension(MB_EXT_BATCH). The runner calls it
 * in the Offline scenario only (`maskbench run --scenario offline`), with at most
 * max_batch frames per call, timing the whole call; the SingleStream headline
 * never uses it. Without it, Offline runs infer() frame after frame. The same
 * output checks as infer() apply to every frame of a batch. */
#define MB_EXT_BATCH "maskbench.batch/1"
typedef struct mb_ext_batch {
  /* [runner-thread, after create] The largest `frame_count` infer_batch accepts (>= 1). */
  uint32_t (*max_batch)(const mb_accelerator_t* accelerator);
  /* [runner-thread, after create] Like infer() for `frame_count` (1..max_batch)
   * frames at once: frame i writes at most `capacity_per_frame` detections at
   * detections + i * capacity_per_frame and its full count into counts[i]. All
   * arrays (frames, their pixels, detections, counts) are harness-owned and
   * valid during this call only. The plugin may use its own threads inside the
   * call. Returns MB_OK or an MB_ERR_* code (error text as for infer). */
  int32_t (*infer_batch)(mb_accelerator_t* accelerator, const mb_frame_t* frames,
                         uint32_t frame_count, mb_detection_t* detections,
                         uint32_t capacity_per_frame, uint32_t* counts, char* error,
                         size_t error_capacity);
} mb_ext_batch_t;

/* ---- Extension: self-description --------------------------------------------
 * Found through the entry's get_extension(MB_EXT_DESCRIBE), before create. The
 * strings are NUL-terminated UTF-8, owned by the plugin, valid while the library
 * is loaded; any may be NULL. */
#define MB_EXT_DESCRIBE "maskbench.describe/1"
typedef struct mb_ext_describe {
  const char* name;    /* e.g. "tiny-npu" */
  const char* team;    /* e.g. "team-7" */
  const char* version; /* e.g. "1.2.0" */
} mb_ext_describe_t;

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* MASKBENCH_ACCELERATOR_H_ */
