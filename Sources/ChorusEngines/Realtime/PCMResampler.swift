import Foundation

/// Whole-clip sample-rate conversion for the realtime engine's short pieces (a user's turn, one spoken clause):
/// windowed-sinc interpolation with the cut-off at the lower of the two Nyquist rates, so going down (24 kHz →
/// 16 kHz for the recogniser) does not fold the top octave back in. Each piece is converted on its own: the pieces
/// begin and end in the silences that cut them, so their edges are not heard.
public enum PCMResampler {
    /// Taps each side of an output sample.
    static let halfWidth = 8

    public static func resample(_ samples: [Int16], from inputRate: Int, to outputRate: Int) -> [Int16] {
        guard inputRate > 0, outputRate > 0, !samples.isEmpty else { return [] }
        if inputRate == outputRate { return samples }
        let ratio = Double(outputRate) / Double(inputRate)
        let cutoff = min(1.0, ratio)
        let count = Int((Double(samples.count) * ratio).rounded(.down))
        let reach = Double(halfWidth) / cutoff
        var output = [Int16](repeating: 0, count: count)
        for n in 0..<count {
            let position = Double(n) / ratio
            let first = max(0, Int((position - reach).rounded(.up)))
            let last = min(samples.count - 1, Int((position + reach).rounded(.down)))
            var sum = 0.0
            var weight = 0.0
            if first <= last {
                for k in first...last {
                    let x = (Double(k) - position) * cutoff
                    let w = sinc(x) * hann((Double(k) - position) / reach)
                    sum += Double(samples[k]) * w
                    weight += w
                }
            }
            let value = weight != 0 ? sum / weight : 0
            output[n] = Int16(max(-32768, min(32767, value.rounded())))
        }
        return output
    }

    private static func sinc(_ x: Double) -> Double {
        x == 0 ? 1 : sin(Double.pi * x) / (Double.pi * x)
    }

    private static func hann(_ x: Double) -> Double {
        abs(x) >= 1 ? 0 : 0.5 * (1 + cos(Double.pi * x))
    }
}
