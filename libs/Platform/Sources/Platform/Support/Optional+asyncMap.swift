extension Optional {
    /// `map` for an async transform: what an optional id becomes after a lookup, say.
    public func asyncMap<Mapped>(_ transform: (Wrapped) async throws -> Mapped) async rethrows -> Mapped? {
        guard let value = self else { return nil }
        return try await transform(value)
    }
}
