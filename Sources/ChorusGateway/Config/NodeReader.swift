import ChorusWire
import Foundation
import Yams

/// Typed reads from a YAML node tree that fail with a `ConfigError` naming the key path and line.
struct NodeReader {
    let file: String
    let environment: [String: String]

    func error(_ path: String, _ problem: String, _ node: Node?) -> ConfigError {
        ConfigError(file: file, keyPath: path, problem: problem, line: node?.mark.map { $0.line })
    }

    func orderedMapping(_ node: Node, path: String) throws -> [(String, Node)] {
        guard case .mapping(let mapping) = node else { throw error(path, "expected a mapping", node) }
        var result: [(String, Node)] = []
        for (keyNode, value) in mapping {
            guard let key = keyNode.string else { throw error(path, "keys must be strings", keyNode) }
            result.append((key, value))
        }
        return result
    }

    func mapping(_ node: Node, path: String, allowed: Set<String>) throws -> [String: Node] {
        var result: [String: Node] = [:]
        for (key, value) in try orderedMapping(node, path: path) {
            let keyPath = path.isEmpty ? key : "\(path).\(key)"
            guard allowed.contains(key) else {
                throw error(keyPath, "unknown key (expected one of: \(allowed.sorted().joined(separator: ", ")))", value)
            }
            result[key] = value
        }
        return result
    }

    func string(_ node: Node, path: String) throws -> String {
        guard case .scalar(let scalar) = node else { throw error(path, "expected a string", node) }
        return try expand(scalar.string, path: path, node: node)
    }

    func int(_ node: Node, path: String, range: ClosedRange<Int>) throws -> Int {
        let text = try string(node, path: path)
        guard let value = Int(text) else { throw error(path, "expected an integer, got \"\(text)\"", node) }
        guard range.contains(value) else { throw error(path, "must be between \(range.lowerBound) and \(range.upperBound)", node) }
        return value
    }

    func double(_ node: Node, path: String, range: ClosedRange<Double>) throws -> Double {
        let text = try string(node, path: path)
        guard let value = Double(text) else { throw error(path, "expected a number, got \"\(text)\"", node) }
        guard range.contains(value) else { throw error(path, "must be between \(range.lowerBound) and \(range.upperBound)", node) }
        return value
    }

    func bool(_ node: Node, path: String) throws -> Bool {
        switch try string(node, path: path).lowercased() {
        case "true", "yes", "on", "1": return true
        case "false", "no", "off", "0": return false
        case let other: throw error(path, "expected true or false, got \"\(other)\"", node)
        }
    }

    func choice(_ node: Node, path: String, from choices: [String]) throws -> String {
        let value = try string(node, path: path)
        guard choices.contains(value) else {
            throw error(path, "\"\(value)\" is not one of \(choices.joined(separator: ", "))", node)
        }
        return value
    }

    /// One case of a string enum: its allowed values are its cases, named in the error.
    func choice<T: RawRepresentable & CaseIterable>(_ node: Node, path: String, of type: T.Type) throws -> T where T.RawValue == String {
        let value = try choice(node, path: path, from: T.allCases.map(\.rawValue))
        guard let parsed = T(rawValue: value) else { throw error(path, "\"\(value)\" is not allowed", node) }
        return parsed
    }

    /// A list of cases of a string enum.
    func choices<T: RawRepresentable & CaseIterable>(_ node: Node, path: String, of type: T.Type) throws -> [T] where T.RawValue == String {
        guard case .sequence(let sequence) = node else { throw error(path, "expected a list", node) }
        return try sequence.enumerated().map { index, item in try choice(item, path: "\(path)[\(index)]", of: type) }
    }

    /// A day, `YYYY-MM-DD`, as midnight UTC.
    func day(_ node: Node, path: String) throws -> Date {
        let text = try string(node, path: path)
        guard let date = UTCDay.parse(text) else { throw error(path, "expected a date YYYY-MM-DD, got \"\(text)\"", node) }
        return date
    }

    func url(_ node: Node, path: String) throws -> String {
        let value = try string(node, path: path)
        let rest = value.hasPrefix("http://") ? value.dropFirst(7) : value.hasPrefix("https://") ? value.dropFirst(8) : nil
        guard let rest, let host = rest.split(separator: "/", omittingEmptySubsequences: false).first, !host.isEmpty else {
            throw error(path, "expected an http:// or https:// URL, got \"\(value)\"", node)
        }
        return value
    }

    func stringList(_ node: Node, path: String, from choices: [String]) throws -> [String] {
        guard case .sequence(let sequence) = node else { throw error(path, "expected a list", node) }
        return try sequence.enumerated().map { index, item in try choice(item, path: "\(path)[\(index)]", from: choices) }
    }

    func jsonObject(_ node: Node, path: String) throws -> JSONValue {
        let value = try json(node, path: path)
        guard case .object = value else { throw error(path, "expected a mapping", node) }
        return value
    }

    /// YAML to JSON for `defaults`: plain scalars keep their YAML type (`1.0` is a number, `true` a bool),
    /// quoted scalars stay strings.
    func json(_ node: Node, path: String) throws -> JSONValue {
        switch node {
        case .mapping:
            return .object(try orderedMapping(node, path: path).map { key, value in (key, try json(value, path: "\(path).\(key)")) })
        case .sequence(let sequence):
            return .array(try sequence.enumerated().map { index, item in try json(item, path: "\(path)[\(index)]") })
        case .scalar(let scalar):
            if scalar.style == .plain {
                if node.null != nil { return .null }
                if let b = node.bool { return .bool(b) }
                if let i = node.int { return .number(i) }
                if let d = node.float, d.isFinite { return .number(d) }
            }
            return .string(try expand(scalar.string, path: path, node: node))
        case .alias:
            throw error(path, "YAML aliases are not supported", node)
        }
    }

    /// `${VAR}` and `${VAR:-fallback}` from the environment.
    func expand(_ text: String, path: String, node: Node) throws -> String {
        guard text.contains("${") else { return text }
        var result = ""
        var rest = Substring(text)
        while let start = rest.range(of: "${") {
            result += rest[..<start.lowerBound]
            guard let end = rest[start.upperBound...].firstIndex(of: "}") else {
                throw error(path, "unterminated ${ in \"\(text)\"", node)
            }
            let expression = rest[start.upperBound..<end]
            let name: Substring
            let fallback: Substring?
            if let separator = expression.range(of: ":-") {
                name = expression[..<separator.lowerBound]
                fallback = expression[separator.upperBound...]
            } else {
                name = expression
                fallback = nil
            }
            if let value = environment[String(name)], !value.isEmpty {
                result += value
            } else if let fallback {
                result += fallback
            } else {
                throw error(path, "environment variable \(name) is not set (use ${\(name):-} to allow empty)", node)
            }
            rest = rest[rest.index(after: end)...]
        }
        return result + rest
    }
}
