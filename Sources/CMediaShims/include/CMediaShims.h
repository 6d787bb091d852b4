#pragma once
// Umbrella header of ChorusMedia's shims: FFmpeg and libpng only, so nothing here pulls in curl.
#include "chorus_ffmpeg.h"
#include "chorus_png.h"
