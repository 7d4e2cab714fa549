import CSQLite

/// A failed SQLite call. Callers test `code` against the static constants and never import
/// the C module; `description` carries SQLite's own message.
public struct SQLiteError: Error, Hashable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        /// SQLite's primary result code (extended codes are folded to it).
        public let rawValue: Int32

        public static let constraint = Code(rawValue: SQLITE_CONSTRAINT)
        public static let busy = Code(rawValue: SQLITE_BUSY)
        public static let locked = Code(rawValue: SQLITE_LOCKED)
        public static let readOnly = Code(rawValue: SQLITE_READONLY)
        public static let corrupt = Code(rawValue: SQLITE_CORRUPT)
        public static let full = Code(rawValue: SQLITE_FULL)
        public static let cannotOpen = Code(rawValue: SQLITE_CANTOPEN)
        public static let error = Code(rawValue: SQLITE_ERROR)
        public static let tooBig = Code(rawValue: SQLITE_TOOBIG)

        public var description: String { String(cString: sqlite3_errstr(rawValue)) }
    }

    public let code: Code
    /// The extended result code, e.g. SQLITE_CONSTRAINT_UNIQUE, for finer decisions.
    public let extendedCode: Int32
    public let message: String

    init(extendedCode: Int32, message: String) {
        self.code = Code(rawValue: extendedCode & 0xFF)
        self.extendedCode = extendedCode
        self.message = message
    }

    /// A unique index or primary key refused the write.
    public var isUniqueViolation: Bool {
        extendedCode == Self.constraintUnique || extendedCode == Self.constraintPrimaryKey
    }

    public var description: String { "SQLite \(code): \(message)" }

    // SQLITE_CONSTRAINT_UNIQUE and _PRIMARYKEY are macros Swift cannot import.
    static let constraintUnique = SQLITE_CONSTRAINT | (8 << 8)
    static let constraintPrimaryKey = SQLITE_CONSTRAINT | (6 << 8)
}
