#pragma once
#include <libavutil/error.h>

// AVERROR() and AVERROR_EOF are macros Swift cannot import.
int chorus_averror(int posix_error);
int chorus_averror_eof(void);
