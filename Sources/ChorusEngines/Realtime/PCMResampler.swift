import Foundation

/// Whole-clip sample-rate conversion for the realtime engine's short pieces (a user's turn, one spoken clause):
/// windowed-sinc interpolation with the cut-off at the lower of the two Nyquist rates, so going down (24 kHz →
/// 16 kHz for the recogniser) does not fold the top octave back in. Each piece is converted on its own: the pieces
/// begin and end in the silences that cut them, so their edges are not heard.
///
/// The rates are whole numbers, so output sample `n` sits at one of `outputRate / gcd` fractional positions
/// between input samples: the filter taps are computed once per position, not per sample (a sine and a cosine
/// per tap made a 3 s turn cost tens of milliseconds).
public enum PCMResampler {
    /// Taps each side of an output sample, at the cut-off.
    static let halfWidth = 8

    public static func resample(_ samples: [Int16], from inputRate: Int, to outputRate: Int) -> [Int16] {
        guard inputRate > 0, outputRate > 0, !samples.isEmpty else { return [] }
        if inputRate == outputRate { return samples }
        let divisor = gcd(inputRate, outputRate)
        let (up, down) = (outputRate / divisor, inputRate / divisor)  // output n is at input n·down/up
        let ratio = Double(outputRate) / Double(inputRate)
        let cutoff = min(1.0, ratio)
        let reach = Double(halfWidth) / cutoff
        let taps = Int(reach.rounded(.up)) * 2 + 1
        let phases = (0..<up).map { phase in weights(fraction: Double((phase * down) % up) / Double(up), cutoff: cutoff,
                                                     reach: reach, taps: taps) }
        let count = Int((Int64(samples.count) * Int64(up)) / Int64(down))
        var output = [Int16](repeating: 0, count: count)
        let center = taps / 2
        samples.withUnsafeBufferPointer { input in
            for n in 0..<count {
                let base = Int((Int64(n) * Int64(down)) / Int64(up))
                let kernel = phases[n % up]
                var sum = 0.0
                var weight = 0.0
                for t in 0..<taps {
                    let k = base - center + t
                    guard k >= 0, k < input.count else { continue }
                    sum += Double(input[k]) * kernel[t]
                    weight += kernel[t]
                }
                let value = weight != 0 ? sum / weight : 0
                output[n] = Int16(max(-32768, min(32767, value.rounded())))
            }
        }
        return output
    }

    /// The taps around an output sample `fraction` of the way from input sample `base` to the next; tap `t`
    /// weighs input `base - taps/2 + t`.
    private static func weights(fraction: Double, cutoff: Double, reach: Double, taps: Int) -> [Double] {
        (0..<taps).map { t in
            let distance = Double(t - taps / 2) - fraction
            return sinc(distance * cutoff) * hann(distance / reach)
        }
    }

    private static func gcd(_ a: Int, _ b: Int) -> Int { b == 0 ? a : gcd(b, a % b) }

    private static func sinc(_ x: Double) -> Double {
        x == 0 ? 1 : sin(Double.pi * x) / (Double.pi * x)
    }

    private static func hann(_ x: Double) -> Double {
        abs(x) >= 1 ? 0 : 0.5 * (1 + cos(Double.pi * x))
    }
}
