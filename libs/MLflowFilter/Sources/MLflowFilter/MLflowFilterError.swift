/// A filter that does not parse, or names what the caller does not know: the caller answers
/// 400 naming `filter`, with `position`.
public struct MLflowFilterError: Error, Sendable, Equatable, CustomStringConvertible {
    public let message: String
    /// 1-based column (in Characters) where the filter went wrong.
    public let position: Int

    public init(_ message: String, at position: Int) {
        self.message = message
        self.position = position
    }

    public var description: String { "invalid filter at column \(position): \(message)" }
}
