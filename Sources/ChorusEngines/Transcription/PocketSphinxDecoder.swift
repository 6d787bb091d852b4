import CPocketSphinx
import Foundation
import NIOConcurrencyHelpers

/// One pocketsphinx decoder (`ps_decoder_t`), freed in deinit. Not thread-safe: each lives on one worker
/// thread of ``PocketSphinxEngine`` and is only used there.
final class PocketSphinxDecoder {
    /// pocketsphinx's frame rate (`-frate` default): frames per second in `ps_seg_frames`.
    static let framesPerSecond = 100

    private let decoder: OpaquePointer
    /// Cepstral coefficients per frame (13 for the en-us model).
    private let coefficients: Int

    /// Serialises `ps_init`: model loading touches sphinxbase globals (logging, the log-math tables).
    private static let initLock = NIOLock()

    /// Loads the acoustic model `<dir>/en-us`, the language model `<dir>/en-us.lm.bin` and the dictionary
    /// `<dir>/cmudict-en-us.dict` (the layout of Debian's pocketsphinx-en-us), plus `extraArguments`
    /// (pocketsphinx flags and values, e.g. `["-maxhmmpf", "3000"]`). `-remove_silence` is off: see ``SpeechDetector``.
    /// `-remove_noise` is off: its noise estimate runs on from one utterance into the next and is never reset, so a
    /// clip decoded differently depending on what the decoder heard before (measured: a whole word changed).
    init(modelDirectory: String, extraArguments: [String]) throws {
        let base = URL(fileURLWithPath: modelDirectory)
        let hmm = base.appendingPathComponent("en-us").path
        let lm = base.appendingPathComponent("en-us.lm.bin").path
        let dict = base.appendingPathComponent("cmudict-en-us.dict").path
        for path in [hmm + "/mdef", lm, dict] where !FileManager.default.fileExists(atPath: path) {
            throw EngineError.modelNotFound(path)
        }
        let arguments = ["-hmm", hmm, "-lm", lm, "-dict", dict, "-remove_silence", "no", "-remove_noise", "no"] + extraArguments

        Self.initLock.lock()
        defer { Self.initLock.unlock() }
        // Silence sphinxbase's logging (it prints the whole configuration and every utterance to stderr).
        err_set_logfp(nil)

        var cStrings = arguments.map { strdup($0) }
        defer { cStrings.forEach { free($0) } }
        let config = cStrings.withUnsafeMutableBufferPointer { argv in
            cmd_ln_parse_r(nil, ps_args(), Int32(argv.count), argv.baseAddress, 1)
        }
        guard let config else {
            throw EngineError.initializationFailed("pocketsphinx rejected its arguments: \(arguments.joined(separator: " "))")
        }
        defer { cmd_ln_free_r(config) }  // ps_init keeps its own reference
        guard let decoder = ps_init(config) else {
            throw EngineError.initializationFailed("pocketsphinx could not load the model in \(modelDirectory)")
        }
        guard let feat = ps_get_feat(decoder), let cmn = feat.pointee.cmn_struct, cmn.pointee.veclen > 0 else {
            ps_free(decoder)
            throw EngineError.initializationFailed("pocketsphinx's model has no cepstral mean normalisation to set")
        }
        self.decoder = decoder
        self.coefficients = Int(cmn.pointee.veclen)
    }

    deinit {
        ps_free(decoder)
    }

    /// The mean cepstral vector over `ranges` of `samples` (batch cepstral mean normalisation), or nil when there
    /// are no frames or `isCancelled` said yes (asked every ~10 s of audio).
    ///
    /// The decoder runs live normalisation (the only kind pocketsphinx offers when audio is fed in chunks), whose
    /// running mean otherwise carries over from one request to the next: the same clip then decodes differently
    /// depending on what came before. Starting every utterance from the clip's own mean makes the result a
    /// function of the clip alone, and is what the model was trained with (`-cmn batch` in its feat.params).
    ///
    /// The front end is made afresh for each call (well under a millisecond), so nothing of an earlier clip is in
    /// it. It is configured as the decoder's (`ps_get_config` is the configuration after the model's feat.params
    /// were merged in), so the cepstra are the ones the decoder sees.
    func cepstralMean(of samples: UnsafeBufferPointer<Int16>, in ranges: [Range<Int>], isCancelled: () -> Bool) -> [Float]? {
        guard let frontEnd = fe_init_auto_r(ps_get_config(decoder)) else { return nil }
        defer { fe_free(frontEnd) }
        guard Int(fe_get_output_size(frontEnd)) == coefficients else { return nil }
        let capacity = 1024  // frames per fe_process_frames call (~10 s)
        let width = coefficients
        var cepstra = [mfcc_t](repeating: 0, count: capacity * width)
        var sum = [Double](repeating: 0, count: width)
        var frames = 0
        var cancelled = false
        cepstra.withUnsafeMutableBufferPointer { buffer in
            guard let base = buffer.baseAddress else { return }
            var rows = (0..<capacity).map { Optional(base + $0 * width) }
            func accumulate(_ count: Int) {
                for frame in 0..<count {
                    for index in 0..<width { sum[index] += Double(base[frame * width + index]) }
                }
                frames += count
            }
            rows.withUnsafeMutableBufferPointer { rowPointers in
                for range in ranges where !range.isEmpty {
                    guard let start = samples.baseAddress?.advanced(by: range.lowerBound) else { continue }
                    fe_start_utt(frontEnd)
                    var cursor: UnsafePointer<Int16>? = UnsafePointer(start)
                    var remaining = range.count
                    while remaining > 0 {
                        if isCancelled() { cancelled = true; return }
                        var produced = Int32(capacity)
                        guard fe_process_frames(frontEnd, &cursor, &remaining, rowPointers.baseAddress, &produced, nil) >= 0 else { break }
                        accumulate(Int(produced))
                        if produced == 0 { break }
                    }
                    var last: Int32 = 0
                    fe_end_utt(frontEnd, base, &last)
                    accumulate(Int(last))
                }
            }
        }
        guard frames > 0, !cancelled else { return nil }
        return sum.map { Float($0 / Double(frames)) }
    }

    /// Sets the live normalisation's running mean (and its weight back to the initial one) before an utterance.
    func setCepstralMean(_ mean: [Float]) {
        guard mean.count == coefficients, let feat = ps_get_feat(decoder), let cmn = feat.pointee.cmn_struct else { return }
        mean.withUnsafeBufferPointer { cmn_live_set(cmn, $0.baseAddress) }
    }

    func startUtterance() throws {
        let status = ps_start_utt(decoder)
        guard status >= 0 else { throw EngineError.recognitionFailed("ps_start_utt failed", status: Int(status)) }
    }

    func process(_ samples: UnsafeBufferPointer<Int16>) throws {
        guard let base = samples.baseAddress, !samples.isEmpty else { return }
        let status = ps_process_raw(decoder, base, samples.count, 0, 0)
        guard status >= 0 else { throw EngineError.recognitionFailed("ps_process_raw failed", status: Int(status)) }
    }

    func endUtterance() throws {
        let status = ps_end_utt(decoder)
        guard status >= 0 else { throw EngineError.recognitionFailed("ps_end_utt failed", status: Int(status)) }
    }

    /// Whether the dictionary has `word` (lower case, plain ASCII letters, digits, apostrophes), i.e. whether
    /// alignment can place it.
    func knows(_ word: String) -> Bool {
        guard Self.isPlainWord(word), let pronunciation = ps_lookup_word(decoder, word) else { return false }
        free(pronunciation)
        return true
    }

    /// Decodes `samples` as one utterance against a grammar of exactly `words` in order (fillers and silences
    /// between them allowed), then returns to the language-model search. Every word must be ``knows(_:)``.
    /// The result is what ``words()`` gives; an empty or shorter list when no path through the grammar fit.
    func align(_ samples: UnsafeBufferPointer<Int16>, words: [String], mean: [Float]?, chunk: Int,
               isCancelled: () -> Bool) throws -> [(word: String, startFrame: Int, endFrame: Int)] {
        guard !words.isEmpty, !samples.isEmpty else { return [] }
        // JSGF tokens are bare (quotes would become part of the word); callers pass only plain words.
        guard words.allSatisfy(Self.isPlainWord) else {
            throw EngineError.recognitionFailed("alignment words must be letters, digits and apostrophes", status: -1)
        }
        let grammar = "#JSGF V1.0;\ngrammar chorus;\npublic <utterance> = \(words.joined(separator: " ")) ;\n"
        let previous = ps_get_search(decoder).map { String(cString: $0) } ?? "_default"
        guard ps_set_jsgf_string(decoder, Self.alignSearch, grammar) >= 0, ps_set_search(decoder, Self.alignSearch) >= 0 else {
            throw EngineError.recognitionFailed("pocketsphinx refused the alignment grammar", status: -1)
        }
        defer {
            ps_set_search(decoder, previous)
            ps_unset_search(decoder, Self.alignSearch)
        }
        if let mean { setCepstralMean(mean) }
        try startUtterance()
        var position = 0
        do {
            while position < samples.count {
                if isCancelled() { throw CancellationError() }
                let end = min(position + chunk, samples.count)
                try process(UnsafeBufferPointer(rebasing: samples[position..<end]))
                position = end
            }
        } catch {
            try? endUtterance()
            throw error
        }
        try endUtterance()
        return self.words()
    }

    private static let alignSearch = "chorus-align"

    static func isPlainWord(_ word: String) -> Bool {
        !word.isEmpty && word.allSatisfy { ($0.isLetter || $0.isNumber || $0 == "'") && $0.isASCII }
    }

    /// The words of the last utterance with their frame spans (end inclusive), fillers removed and
    /// alternate-pronunciation markers (`read(2)`) stripped.
    func words() -> [(word: String, startFrame: Int, endFrame: Int)] {
        var result: [(word: String, startFrame: Int, endFrame: Int)] = []
        // Fed incrementally (full_utt = 0), pocketsphinx 5prealpha keeps counting frames across utterances: the
        // second utterance on a decoder starts near the first one's last frame. The first segment (`<s>`) always
        // begins at the utterance's own frame 0, so frames are taken relative to it.
        var base: Int32?
        var segment = ps_seg_iter(decoder)
        while let current = segment {
            var start: Int32 = 0
            var end: Int32 = 0
            ps_seg_frames(current, &start, &end)
            if base == nil { base = start }
            if let cWord = ps_seg_word(current), let word = Self.cleanWord(String(cString: cWord)) {
                let origin = base ?? 0
                result.append((word, Int(start - origin), Int(end - origin)))
            }
            segment = ps_seg_next(current)  // frees the iterator at the end
        }
        return result
    }

    /// `nil` for fillers (`<s>`, `</s>`, `<sil>`, `[NOISE]`, `++GARBAGE++`), else the word without a
    /// pronunciation-variant suffix.
    static func cleanWord(_ word: String) -> String? {
        guard let first = word.first, first != "<", first != "[", !word.hasPrefix("++") else { return nil }
        if word.hasSuffix(")"), let open = word.lastIndex(of: "(") {
            let stripped = String(word[..<open])
            return stripped.isEmpty ? nil : stripped
        }
        return word
    }
}
