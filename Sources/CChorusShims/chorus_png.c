#include "chorus_png.h"

size_t chorus_png_image_size(const png_image *image) { return PNG_IMAGE_SIZE(*image); }
