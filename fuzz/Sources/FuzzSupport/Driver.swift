import CFuzzer

#if canImport(Glibc)
import Glibc
#endif

/// Runs libFuzzer with this process's arguments on `body`, which gets each input and returns 0.
///
/// SwiftPM links every executable target with a `main` of its own, so libFuzzer's `main` cannot be used; its
/// `LLVMFuzzerRunDriver` is the documented entry for that case.
public func runFuzzer(_ body: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt) -> Never {
    var argc = CommandLine.argc
    var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
    exit(LLVMFuzzerRunDriver(&argc, &argv, body))
}
