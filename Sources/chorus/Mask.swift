import ArgumentParser
import ChorusMedia
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The image-edit mask conversion the gateway applies for a provider's `mask_mode`, on files. With `--repeat`
/// it times validation + conversion in-process (what bench/images reports), without process start-up: wall time, and
/// the calling thread's CPU time (the work is single-threaded), which other load on the machine inflates much less.
struct Mask: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Validate an edit mask against an image size and convert it to a provider's mask_mode.")

    @Option(help: "Target mode: alpha, white_edits, black_edits.") var mode: String
    @Option(help: "For masks without alpha: which colour marks the area to edit (white, black).") var editColor = "white"
    @Option(help: "The image's width (default: the mask's).") var width: Int?
    @Option(help: "The image's height (default: the mask's).") var height: Int?
    @Option(help: "Convert this many times and print the median and p90 time per conversion.") var `repeat` = 1
    @Argument(help: "Mask PNG.") var input: String
    @Argument(help: "Output PNG.") var output: String

    func run() throws {
        guard let mode = MaskMode(rawValue: mode) else {
            throw ValidationError("--mode must be one of \(MaskMode.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        guard let color = MaskEditColor(rawValue: editColor) else { throw ValidationError("--edit-color must be white or black") }
        guard `repeat` >= 1 else { throw ValidationError("--repeat must be at least 1") }
        guard let data = FileManager.default.contents(atPath: input) else {
            FileHandle.standardError.write(Data("error: cannot read \(input)\n".utf8))
            throw ExitCode(1)
        }
        let mask = Array(data)
        do {
            let info = try ImageReader.info(mask)
            let imageWidth = width ?? info.width
            let imageHeight = height ?? info.height
            var out: [UInt8] = []
            var times: [Double] = []
            var cpuTimes: [Double] = []
            for _ in 0..<`repeat` {
                let cpuStart = Self.threadCPUMilliseconds()
                let start = ContinuousClock.now
                _ = try MaskConverter.validate(mask: mask, imageWidth: imageWidth, imageHeight: imageHeight)
                out = try MaskConverter.convert(mask: mask, imageWidth: imageWidth, imageHeight: imageHeight, to: mode, editColor: color)
                let elapsed = ContinuousClock.now - start
                cpuTimes.append(Self.threadCPUMilliseconds() - cpuStart)
                times.append(Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15)
            }
            if `repeat` > 1 {
                let (median, p90) = Self.medianAndP90(times)
                let (cpuMedian, cpuP90) = Self.medianAndP90(cpuTimes)
                print(String(format: "%dx%d %@ -> %@: median %.2f ms, p90 %.2f ms over %d runs (%d bytes in, %d out); thread CPU median %.2f ms, p90 %.2f ms",
                             imageWidth, imageHeight, info.hasAlpha ? "alpha-capable" : "no-alpha", mode.rawValue, median, p90,
                             `repeat`, mask.count, out.count, cpuMedian, cpuP90))
            }
            guard FileManager.default.createFile(atPath: output, contents: Data(out)) else {
                FileHandle.standardError.write(Data("error: cannot write \(output)\n".utf8))
                throw ExitCode(1)
            }
        } catch let error as ImageError {
            FileHandle.standardError.write(Data("error: \(error)\n".utf8))
            throw ExitCode(1)
        }
    }

    static func medianAndP90(_ values: [Double]) -> (Double, Double) {
        let sorted = values.sorted()
        return (sorted[sorted.count / 2], sorted[min(sorted.count - 1, sorted.count * 9 / 10)])
    }

    /// CPU time of the calling thread (CLOCK_THREAD_CPUTIME_ID), in milliseconds.
    static func threadCPUMilliseconds() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)
        return Double(ts.tv_sec) * 1000 + Double(ts.tv_nsec) / 1e6
    }
}
