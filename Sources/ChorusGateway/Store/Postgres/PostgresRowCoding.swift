import Foundation
import PostgresNIO

/// The stored records' own `Codable` conformances (the ones SQLite uses through GRDB) as PostgreSQL rows: an
/// encoded record becomes column names and bound values, a result row decodes by column name. Dates are Unix
/// seconds (DOUBLE PRECISION), as in the SQLite schema, so both backends hold the same values.
enum PostgresRowCoding {
    /// The record's columns in the order it encodes them, with their values bound (never spliced into the SQL).
    static func columns(of record: some Encodable, excluding excluded: String? = nil) throws -> (names: [String], bindings: PostgresBindings) {
        let encoder = ColumnEncoder()
        try record.encode(to: encoder)
        var names: [String] = []
        var bindings = PostgresBindings()
        for (name, value) in zip(encoder.storage.names, encoder.storage.values) where name != excluded {
            names.append(name)
            switch value {
            case .null: bindings.appendNull()
            case .text(let text): bindings.append(text)
            case .integer(let number): bindings.append(number)
            case .double(let number): bindings.append(number)
            case .bool(let flag): bindings.append(flag)
            }
        }
        return (names, bindings)
    }

    /// Several records as one multi-row `VALUES` list over `columns` (a column a record leaves out is NULL): one
    /// round trip for a batch instead of one per row.
    static func rows(of records: [some Encodable], columns: [String]) throws -> (values: String, bindings: PostgresBindings) {
        var bindings = PostgresBindings()
        var tuples: [String] = []
        tuples.reserveCapacity(records.count)
        var placeholder = 0
        for record in records {
            let encoder = ColumnEncoder()
            try record.encode(to: encoder)
            var slots: [String] = []
            slots.reserveCapacity(columns.count)
            for column in columns {
                guard let index = encoder.storage.names.firstIndex(of: column) else {
                    slots.append("NULL")
                    continue
                }
                switch encoder.storage.values[index] {
                case .null: slots.append("NULL"); continue
                case .text(let text): bindings.append(text)
                case .integer(let number): bindings.append(number)
                case .double(let number): bindings.append(number)
                case .bool(let flag): bindings.append(flag)
                }
                placeholder += 1
                slots.append("$\(placeholder)")
            }
            tuples.append("(" + slots.joined(separator: ", ") + ")")
        }
        return (tuples.joined(separator: ", "), bindings)
    }

    static func decode<Record: Decodable>(_ type: Record.Type, from row: PostgresRow) throws -> Record {
        try Record(from: ColumnDecoder(row: row.makeRandomAccess()))
    }
}

private enum ColumnValue {
    case null, text(String), integer(Int64), double(Double), bool(Bool)
}

private final class ColumnStorage {
    var names: [String] = []
    var values: [ColumnValue] = []

    func set(_ name: String, _ value: ColumnValue) {
        if let index = names.firstIndex(of: name) {
            values[index] = value
        } else {
            names.append(name)
            values.append(value)
        }
    }
}

private struct RecordShapeError: Error, CustomStringConvertible {
    let description: String
}

/// Flat records only: every member is a column of a scalar type.
private struct ColumnEncoder: Encoder {
    let storage = ColumnStorage()
    var codingPath: [any CodingKey] = []
    var userInfo: [CodingUserInfoKey: Any] = [:]

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        KeyedEncodingContainer(Container<Key>(storage: storage))
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer { Unsupported(codingPath: codingPath) }
    func singleValueContainer() -> any SingleValueEncodingContainer { Unsupported(codingPath: codingPath) }

    struct Container<Key: CodingKey>: KeyedEncodingContainerProtocol {
        let storage: ColumnStorage
        var codingPath: [any CodingKey] = []

        mutating func encodeNil(forKey key: Key) throws { storage.set(key.stringValue, .null) }
        mutating func encode(_ value: Bool, forKey key: Key) throws { storage.set(key.stringValue, .bool(value)) }
        mutating func encode(_ value: String, forKey key: Key) throws { storage.set(key.stringValue, .text(value)) }
        mutating func encode(_ value: Double, forKey key: Key) throws { storage.set(key.stringValue, .double(value)) }
        mutating func encode(_ value: Float, forKey key: Key) throws { storage.set(key.stringValue, .double(Double(value))) }
        mutating func encode(_ value: Int, forKey key: Key) throws { storage.set(key.stringValue, .integer(Int64(value))) }
        mutating func encode(_ value: Int64, forKey key: Key) throws { storage.set(key.stringValue, .integer(value)) }
        mutating func encode(_ value: Int32, forKey key: Key) throws { storage.set(key.stringValue, .integer(Int64(value))) }
        mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
            if let date = value as? Date {
                storage.set(key.stringValue, .double(date.timeIntervalSince1970))
            } else {
                // A value that encodes as one scalar (a String-backed enum): that scalar is the column.
                let single = SingleValueCapture(column: key.stringValue)
                try value.encode(to: single)
                storage.set(key.stringValue, single.value ?? .null)
            }
        }

        mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type, forKey key: Key) -> KeyedEncodingContainer<NestedKey> {
            KeyedEncodingContainer(Container<NestedKey>(storage: storage))
        }
        mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer { Unsupported(codingPath: codingPath) }
        mutating func superEncoder() -> any Encoder { ColumnEncoderReusing(storage: storage) }
        mutating func superEncoder(forKey key: Key) -> any Encoder { ColumnEncoderReusing(storage: storage) }
    }
}

/// A `superEncoder` writing into the same columns.
private struct ColumnEncoderReusing: Encoder {
    let storage: ColumnStorage
    var codingPath: [any CodingKey] = []
    var userInfo: [CodingUserInfoKey: Any] = [:]
    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        KeyedEncodingContainer(ColumnEncoder.Container<Key>(storage: storage))
    }
    func unkeyedContainer() -> any UnkeyedEncodingContainer { Unsupported(codingPath: codingPath) }
    func singleValueContainer() -> any SingleValueEncodingContainer { Unsupported(codingPath: codingPath) }
}

/// Fails any nested or single-value use: a stored record is a flat row.
private struct Unsupported: UnkeyedEncodingContainer, SingleValueEncodingContainer {
    var codingPath: [any CodingKey]
    var count: Int { 0 }
    private func fail() throws -> Never { throw RecordShapeError(description: "records are flat rows") }
    mutating func encodeNil() throws { try fail() }
    mutating func encode<T: Encodable>(_ value: T) throws { try fail() }
    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
        KeyedEncodingContainer(ColumnEncoder.Container<NestedKey>(storage: ColumnStorage()))
    }
    mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer { self }
    mutating func superEncoder() -> any Encoder { ColumnEncoder() }
}

/// Reads a row by column name; a column the row lacks reads as absent (decodeIfPresent gives nil).
private struct ColumnDecoder: Decoder {
    let row: PostgresRandomAccessRow
    var codingPath: [any CodingKey] = []
    var userInfo: [CodingUserInfoKey: Any] = [:]

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedDecodingContainer<Key> {
        KeyedDecodingContainer(Container<Key>(row: row))
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer { throw RecordShapeError(description: "records are flat rows") }
    func singleValueContainer() throws -> any SingleValueDecodingContainer { throw RecordShapeError(description: "records are flat rows") }

    struct Container<Key: CodingKey>: KeyedDecodingContainerProtocol {
        let row: PostgresRandomAccessRow
        var codingPath: [any CodingKey] = []
        var allKeys: [Key] { [] }

        func contains(_ key: Key) -> Bool { row.contains(key.stringValue) }

        func decodeNil(forKey key: Key) throws -> Bool {
            !row.contains(key.stringValue) || row[key.stringValue].bytes == nil
        }

        private func cell<T: PostgresDecodable>(_ type: T.Type, _ key: Key) throws -> T {
            guard row.contains(key.stringValue) else {
                throw DecodingError.keyNotFound(key, .init(codingPath: codingPath, debugDescription: "no column \(key.stringValue)"))
            }
            return try row[key.stringValue].decode(T.self)
        }

        func decode(_ type: Bool.Type, forKey key: Key) throws -> Bool { try cell(Bool.self, key) }
        func decode(_ type: String.Type, forKey key: Key) throws -> String { try cell(String.self, key) }
        func decode(_ type: Double.Type, forKey key: Key) throws -> Double { try cell(Double.self, key) }
        func decode(_ type: Float.Type, forKey key: Key) throws -> Float { Float(try cell(Double.self, key)) }
        func decode(_ type: Int.Type, forKey key: Key) throws -> Int { try cell(Int.self, key) }
        func decode(_ type: Int64.Type, forKey key: Key) throws -> Int64 { try cell(Int64.self, key) }
        func decode(_ type: Int32.Type, forKey key: Key) throws -> Int32 { try cell(Int32.self, key) }
        func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
            if T.self == Date.self, let date = Date(timeIntervalSince1970: try cell(Double.self, key)) as? T { return date }
            // A value that decodes from one scalar (a String-backed enum).
            guard row.contains(key.stringValue) else {
                throw DecodingError.keyNotFound(key, .init(codingPath: codingPath, debugDescription: "no column \(key.stringValue)"))
            }
            return try T(from: SingleCellDecoder(cell: row[key.stringValue]))
        }

        func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) throws -> KeyedDecodingContainer<NestedKey> {
            KeyedDecodingContainer(Container<NestedKey>(row: row))
        }
        func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
            throw RecordShapeError(description: "records are flat rows")
        }
        func superDecoder() throws -> any Decoder { ColumnDecoder(row: row) }
        func superDecoder(forKey key: Key) throws -> any Decoder { ColumnDecoder(row: row) }
    }
}

/// Catches the one scalar a value encodes as.
private final class SingleValueCapture: Encoder, SingleValueEncodingContainer {
    let column: String
    var value: ColumnValue?
    var codingPath: [any CodingKey] = []
    var userInfo: [CodingUserInfoKey: Any] = [:]

    init(column: String) { self.column = column }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        KeyedEncodingContainer(ColumnEncoder.Container<Key>(storage: ColumnStorage()))
    }
    func unkeyedContainer() -> any UnkeyedEncodingContainer { Unsupported(codingPath: codingPath) }
    func singleValueContainer() -> any SingleValueEncodingContainer { self }

    func encodeNil() throws { value = .null }
    func encode(_ value: Bool) throws { self.value = .bool(value) }
    func encode(_ value: String) throws { self.value = .text(value) }
    func encode(_ value: Double) throws { self.value = .double(value) }
    func encode(_ value: Int) throws { self.value = .integer(Int64(value)) }
    func encode(_ value: Int64) throws { self.value = .integer(value) }
    func encode<T: Encodable>(_ value: T) throws {
        throw RecordShapeError(description: "column \(column): \(T.self) is not a column type")
    }
}

/// Decodes a value from one cell through its single-value container.
private struct SingleCellDecoder: Decoder, SingleValueDecodingContainer {
    let cell: PostgresCell
    var codingPath: [any CodingKey] = []
    var userInfo: [CodingUserInfoKey: Any] = [:]

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        throw RecordShapeError(description: "column \(cell.columnName) holds a scalar")
    }
    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        throw RecordShapeError(description: "column \(cell.columnName) holds a scalar")
    }
    func singleValueContainer() throws -> any SingleValueDecodingContainer { self }

    func decodeNil() -> Bool { cell.bytes == nil }
    func decode(_ type: Bool.Type) throws -> Bool { try cell.decode(Bool.self) }
    func decode(_ type: String.Type) throws -> String { try cell.decode(String.self) }
    func decode(_ type: Double.Type) throws -> Double { try cell.decode(Double.self) }
    func decode(_ type: Int.Type) throws -> Int { try cell.decode(Int.self) }
    func decode(_ type: Int64.Type) throws -> Int64 { try cell.decode(Int64.self) }
    func decode<T: Decodable>(_ type: T.Type) throws -> T {
        throw RecordShapeError(description: "column \(cell.columnName): \(T.self) is not a column type")
    }
}
