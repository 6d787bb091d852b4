import Foundation
import NIOSSL
import PostgresNIO

/// `database: postgres://user:password@host:5432/chorus?sslmode=prefer&pool_size=20`, read once at start.
/// `redacted` is what messages and logs show: the URL without its password.
struct PostgresLocation: Sendable, CustomStringConvertible {
    var host: String
    var port: Int
    var username: String
    var password: String?
    var database: String?
    var tls: TLSMode
    var poolSize: Int
    /// `schema`: the tables live in this schema (created if missing) instead of `public`, so several gateways
    /// (or test runs) can share one database.
    var schema: String?
    /// `lease_timeout` (seconds): how long a storage operation waits for a pooled connection before the request
    /// gets a 503 (`PostgresLeases`).
    var leaseTimeout: Duration = .seconds(5)
    /// `statement_timeout` (seconds): a leased connection whose work has not finished after this long is closed,
    /// which fails its statement (`PostgresLeases`): a connection cut by a server restart has been seen never to
    /// answer, holding its caller — and the usage writer — for good.
    var statementTimeout: Duration = .seconds(60)

    enum TLSMode: String, Sendable {
        /// No TLS (loopback, a private network).
        case disable
        /// TLS when the server offers it.
        case prefer
        /// TLS or no connection.
        case require
    }

    static func isPostgres(_ database: String) -> Bool {
        database.hasPrefix("postgres://") || database.hasPrefix("postgresql://")
    }

    init(url: String) throws(StorageError) {
        guard let components = URLComponents(string: url), let host = components.host, !host.isEmpty else {
            throw .badDatabaseURL(Self.redact(url), "expected postgres://user:password@host:port/database")
        }
        self.host = host
        port = components.port ?? 5432
        username = components.percentEncodedUser?.removingPercentEncoding ?? "postgres"
        password = components.percentEncodedPassword?.removingPercentEncoding
        let path = components.path.hasPrefix("/") ? String(components.path.dropFirst()) : components.path
        database = path.isEmpty ? nil : path
        tls = .prefer
        poolSize = 20
        for item in components.queryItems ?? [] {
            switch item.name {
            case "sslmode":
                guard let mode = item.value.flatMap(TLSMode.init(rawValue:)) else {
                    throw .badDatabaseURL(Self.redact(url), "sslmode must be disable, prefer or require")
                }
                tls = mode
            case "pool_size":
                guard let size = item.value.flatMap(Int.init), (1...1000).contains(size) else {
                    throw .badDatabaseURL(Self.redact(url), "pool_size must be from 1 to 1000")
                }
                poolSize = size
            case "lease_timeout":
                guard let seconds = item.value.flatMap(Double.init), seconds >= 0.1, seconds <= 300 else {
                    throw .badDatabaseURL(Self.redact(url), "lease_timeout must be from 0.1 to 300 seconds")
                }
                leaseTimeout = .milliseconds(Int64(seconds * 1000))
            case "statement_timeout":
                guard let seconds = item.value.flatMap(Double.init), seconds >= 1, seconds <= 3600 else {
                    throw .badDatabaseURL(Self.redact(url), "statement_timeout must be from 1 to 3600 seconds")
                }
                statementTimeout = .milliseconds(Int64(seconds * 1000))
            case "schema":
                guard let name = item.value, !name.isEmpty, name.count <= 63,
                      name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }) else {
                    throw .badDatabaseURL(Self.redact(url), "schema must be 1–63 letters, digits or _")
                }
                schema = name.lowercased()
            default:
                throw .badDatabaseURL(Self.redact(url), "unknown parameter '\(item.name)' (known: sslmode, pool_size, lease_timeout, statement_timeout, schema)")
            }
        }
    }

    var description: String {
        "postgres://\(username)@\(host):\(port)/\(database ?? "")"
    }

    /// A URL as messages may show it: any password replaced by `***`.
    static func redact(_ url: String) -> String {
        guard var components = URLComponents(string: url), components.password != nil else { return url }
        components.password = "***"
        return components.string ?? "postgres://***"
    }

    var clientConfiguration: PostgresClient.Configuration {
        let mode: PostgresClient.Configuration.TLS = switch tls {
        case .disable: .disable
        case .prefer: .prefer(.makeClientConfiguration())
        case .require: .require(.makeClientConfiguration())
        }
        var configuration = PostgresClient.Configuration(host: host, port: port, username: username, password: password,
                                                         database: database, tls: mode)
        configuration.options.maximumConnections = poolSize
        configuration.options.connectTimeout = .seconds(10)
        if let schema { configuration.options.additionalStartupParameters = [("search_path", schema)] }
        return configuration
    }

    /// One connection, for the start-up probe: it fails at once with the server's reason (refused, bad
    /// password, no such database) where the pool would retry quietly.
    func connectionConfiguration() throws -> PostgresConnection.Configuration {
        let mode: PostgresConnection.Configuration.TLS = switch tls {
        case .disable: .disable
        case .prefer: .prefer(try NIOSSLContext(configuration: .makeClientConfiguration()))
        case .require: .require(try NIOSSLContext(configuration: .makeClientConfiguration()))
        }
        var configuration = PostgresConnection.Configuration(host: host, port: port, username: username, password: password,
                                                             database: database, tls: mode)
        configuration.options.connectTimeout = .seconds(10)
        return configuration
    }
}
