import CMediaShims
import CFFmpeg

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Owns a libswresample context converting any sample format, layout and rate to one mono output.
/// Mono input already in the output format and rate is copied without libswresample.
final class Resampler {
    let input: SampleSpec
    let output: SampleSpec
    private let context: OpaquePointer?
    private let outputBytesPerSample: Int

    private var scratch: UnsafeMutablePointer<UInt8>?
    private var scratchCapacity = 0 // in samples

    init(input: SampleSpec, output: SampleSpec) throws {
        guard output.channels == 1 else { throw AudioError.encoderFailed("resampler output must be mono") }
        guard input.channels >= 1, input.channels <= 64 else {
            throw AudioError.unsupported("\(input.channels) audio channels are not supported")
        }
        // At least 1 kHz: a hostile 1 Hz stream resampled to 48 kHz would multiply memory 48000-fold.
        guard input.rate >= 1000, input.rate <= 1_536_000, output.rate >= 1000, output.rate <= 1_536_000 else {
            throw AudioError.unsupported("sample rate \(input.rate) Hz is not supported")
        }
        guard input.bytesPerSample > 0, output.bytesPerSample > 0 else {
            throw AudioError.unsupported("sample format \(input.format.rawValue) is not supported")
        }
        self.input = input
        self.output = output
        self.outputBytesPerSample = output.bytesPerSample
        if input.channels == 1, input.rate == output.rate,
           av_get_packed_sample_fmt(input.format) == av_get_packed_sample_fmt(output.format) {
            context = nil
            return
        }
        var inLayout = input.channelLayout()
        var outLayout = chorus_channel_layout_mono()
        defer {
            av_channel_layout_uninit(&inLayout)
            av_channel_layout_uninit(&outLayout)
        }
        var swr: OpaquePointer?
        try throwIfFail(
            swr_alloc_set_opts2(&swr, &outLayout, output.format, Int32(output.rate),
                                &inLayout, input.format, Int32(input.rate), 0, nil),
            .unsupported, "cannot convert \(input.channels) channel(s) at \(input.rate) Hz")
        guard let swr else { throw AudioError.encoderFailed("cannot allocate a resampler", code: FFmpegCode.noMemory) }
        let initResult = swr_init(swr)
        if initResult < 0 {
            var doomed: OpaquePointer? = swr
            swr_free(&doomed)
            throw AudioError.ffmpeg(.unsupported, "cannot convert \(input.channels) channel(s) at \(input.rate) Hz", initResult)
        }
        context = swr
    }

    deinit {
        var doomed = context
        if doomed != nil { swr_free(&doomed) }
        scratch?.deallocate()
    }

    /// True when samples pass through unchanged (no libswresample context).
    var isPassthrough: Bool { context == nil }

    /// Input samples converted per step: bounds the scratch buffer (and lets sinks enforce a
    /// duration limit) whatever size of block the caller hands over.
    static let sliceSamples = 8192

    /// Converts `count` samples per channel from `planes` and hands the mono output to `body`
    /// (pointer to the first sample, sample count), in several pieces for large inputs.
    /// Passthrough input is handed over without a copy.
    func process(_ planes: UnsafeMutablePointer<UnsafePointer<UInt8>?>, count: Int,
                 _ body: (UnsafePointer<UInt8>, Int) throws -> Void) throws {
        guard count > 0 else { return }
        if count <= Self.sliceSamples {
            try processSlice(planes, count: count, body)
            return
        }
        let planeCount = input.isPlanar ? input.channels : 1
        let stride = input.isPlanar ? input.bytesPerSample : input.bytesPerSample * input.channels
        var slice = [UnsafePointer<UInt8>?](repeating: nil, count: planeCount)
        var offset = 0
        while offset < count {
            let length = min(Self.sliceSamples, count - offset)
            for plane in 0..<planeCount {
                guard let base = planes[plane] else { return }
                slice[plane] = base + offset * stride
            }
            try slice.withUnsafeMutableBufferPointer { pointers in
                guard let base = pointers.baseAddress else { return }
                try processSlice(base, count: length, body)
            }
            offset += length
        }
    }

    private func processSlice(_ planes: UnsafeMutablePointer<UnsafePointer<UInt8>?>, count: Int,
                              _ body: (UnsafePointer<UInt8>, Int) throws -> Void) throws {
        guard let context else {
            if let source = planes[0] { try body(source, count) }
            return
        }
        let bound = swr_get_out_samples(context, Int32(clamping: count))
        let capacity = bound < 0 ? count * 8 + 256 : Int(bound) + 16
        let out = reserveScratch(capacity)
        var outPlane: UnsafeMutablePointer<UInt8>? = out
        let written = swr_convert(context, &outPlane, Int32(clamping: capacity), planes, Int32(clamping: count))
        try throwIfFail(written, .encoderFailed, "resampling failed")
        if written > 0 { try body(out, Int(written)) }
    }

    /// Flushes the resampler's delay line (the end of the input) to `body`.
    func flush(_ body: (UnsafePointer<UInt8>, Int) throws -> Void) throws {
        guard let context else { return }
        let capacity = 4096
        let out = reserveScratch(capacity)
        while true {
            var outPlane: UnsafeMutablePointer<UInt8>? = out
            let written = swr_convert(context, &outPlane, Int32(capacity), nil, 0)
            try throwIfFail(written, .encoderFailed, "resampler flush failed")
            if written > 0 { try body(out, Int(written)) }
            if written < capacity { return }
        }
    }

    private func reserveScratch(_ samples: Int) -> UnsafeMutablePointer<UInt8> {
        if let scratch, scratchCapacity >= samples { return scratch }
        scratch?.deallocate()
        let capacity = max(samples, 4096)
        let buffer = UnsafeMutablePointer<UInt8>.allocate(capacity: capacity * outputBytesPerSample)
        scratch = buffer
        scratchCapacity = capacity
        return buffer
    }
}
