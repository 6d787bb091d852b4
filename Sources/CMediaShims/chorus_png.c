#include "chorus_png.h"

size_t chorus_png_image_size(const png_image *image) { return PNG_IMAGE_SIZE(*image); }
size_t chorus_png_image_png_size_max(const png_image *image) { return PNG_IMAGE_PNG_SIZE_MAX(*image); }

uint32_t chorus_png_format_gray(void) { return PNG_FORMAT_GRAY; }
uint32_t chorus_png_format_ga(void) { return PNG_FORMAT_GA; }
uint32_t chorus_png_format_rgb(void) { return PNG_FORMAT_RGB; }
uint32_t chorus_png_format_rgba(void) { return PNG_FORMAT_RGBA; }
uint32_t chorus_png_image_flag_fast(void) { return PNG_IMAGE_FLAG_FAST; }
