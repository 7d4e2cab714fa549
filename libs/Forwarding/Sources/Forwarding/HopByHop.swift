import HTTPTypes
import NIOHTTP1

/// Header rules of a forwarding proxy (RFC 9110 §7.6.1): hop-by-hop fields stay on their hop.
public enum HopByHop {
    public static let names: Set<String> = [
        "connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "proxy-connection",
        "te", "trailer", "transfer-encoding", "upgrade", "host",
    ]

    /// Whether `name` is hop-by-hop in a request or answer of `fields`: one of `names`, or a
    /// field its `Connection` lists.
    public static func contains(_ name: HTTPField.Name, in fields: HTTPFields) -> Bool {
        let lower = name.canonicalName
        if names.contains(lower) { return true }
        return fields[values: .connection].contains {
            $0.split(separator: ",").contains { $0.trimmingCharacters(in: .whitespaces).lowercased() == lower }
        }
    }

    /// A client's request fields for the upstream: its end-to-end ones but `dropping` (a
    /// token or cookie meant for this hop's server, never for what is behind it).
    public static func upstream(_ fields: HTTPFields, dropping: Set<HTTPField.Name> = []) -> HTTPHeaders {
        var headers = HTTPHeaders()
        for field in fields where !contains(field.name, in: fields) && !dropping.contains(field.name) {
            headers.add(name: field.name.rawName, value: field.value)
        }
        return headers
    }

    /// An upstream's answer fields for the client: its end-to-end ones.
    public static func downstream(_ headers: HTTPHeaders) -> HTTPFields {
        var fields = HTTPFields()
        let connectionListed = Set(headers[canonicalForm: "connection"].map { $0.lowercased() })
        for (name, value) in headers {
            let lower = name.lowercased()
            if names.contains(lower) || connectionListed.contains(lower) { continue }
            if let fieldName = HTTPField.Name(name) { fields.append(HTTPField(name: fieldName, value: value)) }
        }
        return fields
    }
}
