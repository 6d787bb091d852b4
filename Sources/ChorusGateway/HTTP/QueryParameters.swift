import Foundation
import Hummingbird

/// The query string of a `GET` (admin reports, the public catalog), read strictly: a name the route does not know,
/// a name given twice or an empty value is a 400 naming it, so a typo (`modle=`) never silently widens a report.
/// With `emptyIsAbsent` an empty value counts as not given (a search form's empty box sends `q=`). Read as a form
/// encodes it: `+` is a space (browsers and `requests` send `q=two+words`), `%2B` a plus.
struct QueryParameters {
    private let values: [String: String]

    init(_ request: Request, allowed: Set<String>, emptyIsAbsent: Bool = false) throws {
        var values: [String: String] = [:]
        for (name, value) in Self.pairs(request.uri.query ?? "") {
            guard allowed.contains(name) else {
                throw GatewayError.invalidParameter(GatewayError.echo(name), "Unknown query parameter '\(GatewayError.echo(name))'; this route takes \(allowed.sorted().joined(separator: ", ")).")
            }
            guard values[name] == nil else { throw GatewayError.invalidParameter(name, "'\(name)' is given more than once.") }
            if value.isEmpty, emptyIsAbsent { continue }
            guard !value.isEmpty else { throw GatewayError.invalidParameter(name, "'\(name)' is empty.") }
            guard value.utf8.count <= 256 else { throw GatewayError.invalidParameter(name, "'\(name)' is longer than 256 bytes.") }
            values[name] = value
        }
        self.values = values
    }

    /// `name=value` pairs, `+` turned to spaces before percent-decoding; a pair that does not decode is kept raw.
    static func pairs(_ query: String) -> [(String, String)] {
        query.split(separator: "&").map { pair in
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decode(_ part: Substring) -> String {
                let spaced = part.replacingOccurrences(of: "+", with: " ")
                return spaced.removingPercentEncoding ?? spaced
            }
            return (decode(parts[0]), parts.count > 1 ? decode(parts[1]) : "")
        }
    }

    func string(_ name: String) -> String? { values[name] }

    func int(_ name: String, in range: ClosedRange<Int>) throws -> Int? {
        guard let text = values[name] else { return nil }
        guard let value = Int(text), range.contains(value) else {
            throw GatewayError.invalidParameter(name, "'\(name)' must be an integer from \(range.lowerBound) to \(range.upperBound).")
        }
        return value
    }

    /// Unix seconds or a `YYYY-MM-DD` date (midnight UTC).
    func time(_ name: String) throws -> Date? {
        guard let text = values[name] else { return nil }
        guard let date = UsageTime.parse(text) else {
            throw GatewayError.invalidParameter(name, "'\(name)' must be Unix seconds or a date YYYY-MM-DD (UTC), not '\(GatewayError.echo(text))'.")
        }
        return date
    }
}
