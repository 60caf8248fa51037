/* callgrind_marks.h - start/stop callgrind's counting around the measured
 * part of a benchmark; no-ops where valgrind's header is not installed. */
#ifndef KBS_BENCH_CALLGRIND_MARKS_H
#define KBS_BENCH_CALLGRIND_MARKS_H

#if defined(__has_include)
#if __has_include(<valgrind/callgrind.h>)
#include <valgrind/callgrind.h>
#endif
#endif
#ifndef CALLGRIND_START_INSTRUMENTATION
#define CALLGRIND_START_INSTRUMENTATION
#define CALLGRIND_STOP_INSTRUMENTATION
#endif

#endif
