/// SQL's LIKE as MLflow uses it: `%` matches any run of characters, `_` exactly one.
public enum MLflowLike {
    /// Row by row over the pattern, no recursion, so no pattern is deep enough to exhaust a
    /// stack; the cost is the pattern's length times the text's.
    public static func matches(_ text: String, pattern: String, caseInsensitive: Bool) -> Bool {
        let text = Array(caseInsensitive ? text.lowercased() : text)
        let pattern = Array(caseInsensitive ? pattern.lowercased() : pattern)
        // matched[t]: the pattern so far matches the first t characters of the text.
        var matched = [Bool](repeating: false, count: text.count + 1)
        matched[0] = true
        for symbol in pattern {
            var next = [Bool](repeating: false, count: text.count + 1)
            if symbol == "%" {
                var seen = false
                for t in 0...text.count {
                    seen = seen || matched[t]
                    next[t] = seen
                }
            } else {
                for t in 0..<text.count where matched[t] && (symbol == "_" || symbol == text[t]) {
                    next[t + 1] = true
                }
            }
            matched = next
        }
        return matched[text.count]
    }
}
