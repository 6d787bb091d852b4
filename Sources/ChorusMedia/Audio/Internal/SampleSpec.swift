import CMediaShims
import CFFmpeg

/// The shape of a block of samples handed to a resampler: sample format, channel count, rate,
/// and the channel mask when the source names its channels.
struct SampleSpec: Equatable {
    var format: AVSampleFormat
    var channels: Int
    var rate: Int
    /// A native-order channel mask, or nil to take FFmpeg's default layout for `channels`.
    var layoutMask: UInt64?

    static func mono16(rate: Int) -> SampleSpec {
        SampleSpec(format: AV_SAMPLE_FMT_S16, channels: 1, rate: rate, layoutMask: nil)
    }

    /// The spec of a decoded frame.
    init(frame: UnsafePointer<AVFrame>) {
        let layout = frame.pointee.ch_layout
        self.format = AVSampleFormat(rawValue: frame.pointee.format)
        self.channels = Int(layout.nb_channels)
        self.rate = Int(frame.pointee.sample_rate)
        if layout.order == AV_CHANNEL_ORDER_NATIVE, layout.u.mask.nonzeroBitCount == Int(layout.nb_channels) {
            self.layoutMask = layout.u.mask
        } else {
            self.layoutMask = nil
        }
    }

    init(format: AVSampleFormat, channels: Int, rate: Int, layoutMask: UInt64?) {
        self.format = format
        self.channels = channels
        self.rate = rate
        self.layoutMask = layoutMask
    }

    var isPlanar: Bool { av_sample_fmt_is_planar(format) != 0 }
    var bytesPerSample: Int { Int(av_get_bytes_per_sample(format)) }

    /// The channel layout to give libswresample; the caller uninitialises it.
    func channelLayout() -> AVChannelLayout {
        var layout = AVChannelLayout()
        if let mask = layoutMask, mask.nonzeroBitCount == channels, av_channel_layout_from_mask(&layout, mask) == 0 {
            return layout
        }
        av_channel_layout_default(&layout, Int32(channels))
        return layout
    }
}
