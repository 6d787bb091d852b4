#pragma once
// Umbrella header of ChorusUpstream's shims: libcurl only, so nothing here pulls in FFmpeg or libpng.
#include "chorus_curl.h"
