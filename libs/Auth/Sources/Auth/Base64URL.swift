import Crypto
import Foundation

/// Base64 with the URL alphabet and no padding (RFC 4648 §5), as JOSE writes bytes and as
/// opaque tokens are spelled (they travel in headers and URLs).
public enum Base64URL {
    public static func encode(_ data: Data) -> String {
        data.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    public static func decode(_ text: some StringProtocol) -> Data? {
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
        return Data(base64Encoded: base64)
    }

    /// 256 random bits from the system's CSPRNG, encoded: refresh and API tokens, credentials.
    public static func randomToken() -> String {
        encode(SymmetricKey(size: .bits256).withUnsafeBytes { Data($0) })
    }
}
