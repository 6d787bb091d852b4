#include "chorus_ffmpeg.h"

int chorus_averror(int posix_error) { return AVERROR(posix_error); }
int chorus_averror_eof(void) { return AVERROR_EOF; }
