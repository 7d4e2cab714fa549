import CMongoC

/// An error from libmongoc or the server, with the server's code (11000: duplicate key).
public struct MongoError: Error, CustomStringConvertible, Sendable {
    public static let duplicateKey: UInt32 = 11000
    /// Not a server code: a `MongoWrite.updateOrFail` matched nothing (outside the server's range).
    public static let unmatchedUpdate: UInt32 = 0x4D4C_0001

    public let domain: UInt32
    public let code: UInt32
    public let message: String

    init(code: UInt32, message: String, domain: UInt32 = 0) {
        self.domain = domain
        self.code = code
        self.message = message
    }

    init(_ error: bson_error_t) {
        var copy = error
        let message = withUnsafeBytes(of: &copy.message) { buffer in
            String(decoding: buffer.prefix { $0 != 0 }, as: UTF8.self)
        }
        self.init(code: error.code, message: message, domain: error.domain)
    }

    public var isDuplicateKey: Bool { code == Self.duplicateKey }
    /// The server cannot run multi-document transactions (a standalone mongod answers 20,
    /// IllegalOperation: "Transaction numbers are only allowed on a replica set member or mongos").
    public var isTransactionsUnsupported: Bool {
        code == 20 || message.contains("Transaction numbers are only allowed")
    }

    public var description: String { "MongoDB error \(code): \(message)" }
}
