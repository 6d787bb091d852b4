#pragma once
#include <png.h>

// PNG_IMAGE_SIZE and the PNG_FORMAT_* values are macros Swift cannot import.
size_t chorus_png_image_size(const png_image *image);
