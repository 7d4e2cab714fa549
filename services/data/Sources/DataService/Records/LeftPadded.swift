extension String {
    /// Zero-padded, so ids ending in a number (metric chunks, upload parts) sort as the number does.
    func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
