import CFFmpeg
import CPNG
import CChorusShims

func probe() -> Int32 {
    var img = png_image()
    img.version = UInt32(PNG_IMAGE_VERSION)
    _ = chorus_png_image_size(&img)
    return chorus_averror_eof() + Int32(avformat_version() & 0)
}
