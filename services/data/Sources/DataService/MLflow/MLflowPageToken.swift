import Auth
import Foundation
import Platform

/// Page tokens of the searches answered by offset: opaque to the client.
enum MLflowPageToken {
    static func token(offset: Int) -> String {
        Base64URL.encode(Data("offset:\(offset)".utf8))
    }

    static func offset(_ token: String) throws -> Int {
        guard let data = Base64URL.decode(token), case let text = String(decoding: data, as: UTF8.self),
            text.hasPrefix("offset:"), let offset = Int(text.dropFirst("offset:".count)), offset >= 0
        else { throw APIError.invalidField("page_token", "page_token is the next_page_token of a previous page") }
        return offset
    }
}
