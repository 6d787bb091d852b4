#pragma once
#include <png.h>
#include <stdint.h>

// PNG_IMAGE_SIZE, PNG_IMAGE_PNG_SIZE_MAX and the PNG_FORMAT_* values are macros Swift cannot import.
size_t chorus_png_image_size(const png_image *image);
/// Upper bound of the encoded size of `image` (PNG_IMAGE_PNG_SIZE_MAX), so one write call suffices.
size_t chorus_png_image_png_size_max(const png_image *image);

uint32_t chorus_png_format_gray(void);
uint32_t chorus_png_format_ga(void);
uint32_t chorus_png_format_rgb(void);
uint32_t chorus_png_format_rgba(void);
uint32_t chorus_png_image_flag_fast(void);
