import Platform

/// The checks compute's request bodies share. A failed one is a 400 naming the field (dotted
/// into nested ones: `env.PATH`, `resources.cpus`), so a client can point at what to fix.
enum FieldRules {
    static func check(_ condition: Bool, _ field: String, _ message: String) throws {
        if !condition { throw APIError.invalidField(field, message) }
    }

    /// The rules of every environment a job gets (its own, a template's): 400 naming `<field>.<name>`.
    static func checkEnvironment(_ env: [String: String], field: String) throws {
        for (key, value) in env {
            try check(
                isEnvironmentName(key), "\(field).\(key)",
                "environment names are letters, digits and _, not starting with a digit")
            try check(!key.hasPrefix("MLEX_"), "\(field).\(key)", "MLEX_ names are set by the platform")
            try check(
                !value.contains("\0") && value.utf8.count <= 65536, "\(field).\(key)",
                "a value has no NUL and at most 64 KiB")
        }
        try check(env.count <= 256, field, "at most 256 variables")
    }

    static func isEnvironmentName(_ name: String) -> Bool {
        guard let first = name.utf8.first, !(UInt8(ascii: "0")...UInt8(ascii: "9")).contains(first),
            name.utf8.count <= 256
        else { return false }
        return name.utf8.allSatisfy {
            $0 == UInt8(ascii: "_") || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains($0)
                || (UInt8(ascii: "a")...UInt8(ascii: "z")).contains($0)
                || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0)
        }
    }
}
