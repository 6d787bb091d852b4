#pragma once
// Umbrella header: one header per library, each owned by the Swift wrapper that uses it.
#include "chorus_curl.h"
#include "chorus_ffmpeg.h"
#include "chorus_png.h"
#include "chorus_thread.h"
