/// Encodes mono PCM held in memory to a complete file. Blocking and CPU-bound: call it off the event loops.
public enum AudioEncoder {
    /// Encodes mono s16 PCM to a whole file in `format` at `sampleRate`, resampling as needed.
    ///
    /// Codecs that cannot run at `sampleRate` use the nearest rate they support above it (opus:
    /// 8, 12, 16, 24 or 48 kHz; mp3: the MPEG rates). `bitrate` nil picks the format's default
    /// (mp3 128k, opus 64k, aac 128k); lossless formats ignore it. `cancellation`, when given, is polled between
    /// blocks of 32768 samples: once set, the encode stops and throws `cancelled`.
    public static func encode(_ pcm: PCMAudio, to format: AudioFormat, sampleRate: Int, bitrate: Int? = nil,
                              cancellation: CancellationFlag? = nil) throws -> [UInt8] {
        guard (1000...384_000).contains(pcm.sampleRate) else {
            throw AudioError.invalidArgument("input sample rate must be between 1000 and 384000 Hz, not \(pcm.sampleRate)")
        }
        let pipeline = try EncoderPipeline(format: format, sampleRate: sampleRate, bitrate: bitrate, streaming: false)
        try pcm.samples.withUnsafeBufferPointer { samples in
            let chunk = 32_768
            var start = 0
            while start < samples.count {
                try cancellation?.check("encoding")
                let end = min(start + chunk, samples.count)
                try pipeline.write(mono16: UnsafeBufferPointer(rebasing: samples[start..<end]), rate: pcm.sampleRate)
                start = end
            }
        }
        return try pipeline.finish()
    }
}
