import Foundation
import Platform

/// Param, metric and tag keys as users write them (`train/loss`, `val.acc`, `lr schedule`)
/// against document field names, which may hold only `[A-Za-z0-9_-]` (a dot would nest, and the
/// store's field paths refuse the rest). Letters, digits and `_` stay as they are; every other
/// byte becomes `-XX` (its hex), so the mapping is one-to-one and a stored name reads back.
enum FieldKey {
    /// MLflow's rule, which users bring with them: letters, digits, `_ - . / :` and spaces.
    static let maxLength = 250

    static func validate(_ key: String, field: String) throws {
        guard !key.isEmpty, key.count <= maxLength else {
            throw APIError.invalidField(field, "a key has 1–\(maxLength) characters")
        }
        let allowed = key.unicodeScalars.allSatisfy { scalar in
            scalar.properties.isAlphabetic || ("0"..."9").contains(scalar) || "_-./: ".unicodeScalars.contains(scalar)
        }
        guard allowed, key.trimmingCharacters(in: .whitespaces) == key else {
            throw APIError.invalidField(
                field, "a key holds letters, digits, spaces and _ - . / : (no leading or trailing space)")
        }
        // Keys are stored by their bytes but compared as Swift strings, which are equal when
        // canonically equivalent (the Kelvin sign and K): only the composed (NFC) spelling is
        // taken, so two stored keys never read back as one.
        guard key.unicodeScalars.elementsEqual(key.precomposedStringWithCanonicalMapping.unicodeScalars) else {
            throw APIError.invalidField(
                field,
                "a key is written in composed Unicode (NFC); \"\(key.precomposedStringWithCanonicalMapping)\" is the same key"
            )
        }
    }

    static func encode(_ key: String) -> String {
        var encoded = ""
        encoded.reserveCapacity(key.utf8.count)
        for byte in key.utf8 {
            if (byte >= 97 && byte <= 122) || (byte >= 65 && byte <= 90) || (byte >= 48 && byte <= 57) || byte == 95 {
                encoded.unicodeScalars.append(Unicode.Scalar(byte))
            } else {
                encoded +=
                    "-" + String(byte >> 4, radix: 16, uppercase: true) + String(byte & 15, radix: 16, uppercase: true)
            }
        }
        return encoded
    }

    static func decode(_ encoded: String) -> String {
        // Most keys are letters, digits and `_` only, which encode as themselves.
        guard needsDecoding(encoded) else { return encoded }
        var bytes: [UInt8] = []
        var utf8 = encoded.utf8.makeIterator()
        while let byte = utf8.next() {
            if byte == UInt8(ascii: "-"), let high = utf8.next(), let low = utf8.next(),
                let value = UInt8(String(decoding: [high, low], as: UTF8.self), radix: 16)
            {
                bytes.append(value)
            } else {
                bytes.append(byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// An object whose member names are stored keys, with the names users wrote. Keys stored
    /// before NFC was required may read back as one name: one of them is shown, never a trap.
    static func decodeMembers(_ value: JSONValue?) -> JSONValue {
        guard let members = value?.objectValue else { return [:] }
        // The usual object (keys of letters, digits and `_`) reads as it is stored.
        guard members.keys.contains(where: needsDecoding) else { return .object(members) }
        return .object(Dictionary(members.map { (decode($0.key), $0.value) }, uniquingKeysWith: { kept, _ in kept }))
    }

    private static func needsDecoding(_ encoded: String) -> Bool {
        encoded.utf8.contains(UInt8(ascii: "-"))
    }
}
