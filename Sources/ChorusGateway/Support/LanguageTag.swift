/// A `language` a caller may send: a BCP 47-like tag (`en`, `pt-BR`, `zh-Hant-TW`, `en_US`). Anything else —
/// paths, spaces, control characters, a megabyte of letters — is refused before an engine or a provider sees it.
enum LanguageTag {
    static func isValid(_ text: String) -> Bool {
        guard text.utf8.count <= 35 else { return false }
        let parts = text.split(separator: "-", omittingEmptySubsequences: false).flatMap {
            $0.split(separator: "_", omittingEmptySubsequences: false)
        }
        guard let primary = parts.first, (2...3).contains(primary.count), primary.allSatisfy({ $0.isASCII && $0.isLetter }) else {
            return false
        }
        return parts.dropFirst().allSatisfy { part in
            (1...8).contains(part.count) && part.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber) }
        }
    }

    /// The optional `language` field, checked: 400 naming `language` when it is not a language tag.
    static func checked(_ text: String?) throws(GatewayError) -> String? {
        guard let text, !text.isEmpty else { return text }
        guard isValid(text) else {
            throw .invalidParameter("language", "'language' must be a language code such as 'en' or 'pt-BR'; got '\(GatewayError.echo(text))'.")
        }
        return text
    }
}
