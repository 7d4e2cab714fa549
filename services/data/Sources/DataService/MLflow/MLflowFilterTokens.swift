import Platform

/// The tokens of MLflow's filter strings.
enum MLflowFilterTokens {
    enum Token: Equatable {
        /// A field or keyword; a backquoted part (`tags.`my key``) stays quoted for the field parser.
        case word(String)
        case string(String)
        case number(Int64)
        case symbol(String)
    }

    static func tokens(_ text: String) throws -> [Token] {
        let chars = Array(text)
        var index = 0
        var tokens: [Token] = []
        func fail(_ message: String) -> APIError {
            APIError.invalidField("filter", "invalid filter '\(text)': \(message)")
        }
        while index < chars.count {
            let c = chars[index]
            if c.isWhitespace {
                index += 1
            } else if c == "'" || c == "\"" {
                var value = ""
                index += 1
                while index < chars.count, chars[index] != c {
                    if chars[index] == "\\", index + 1 < chars.count { index += 1 }
                    value.append(chars[index])
                    index += 1
                }
                guard index < chars.count else { throw fail("unterminated string") }
                index += 1
                tokens.append(.string(value))
            } else if "=!<>".contains(c) {
                var symbol = String(c)
                index += 1
                if index < chars.count, "=>".contains(chars[index]) {
                    symbol.append(chars[index])
                    index += 1
                }
                guard ["=", "==", "!=", "<", "<=", ">", ">=", "<>"].contains(symbol) else {
                    throw fail("unknown operator \(symbol)")
                }
                tokens.append(.symbol(symbol == "<>" ? "!=" : symbol))
            } else if c == "-" || c.isNumber {
                var digits = String(c)
                index += 1
                while index < chars.count, chars[index].isNumber {
                    digits.append(chars[index])
                    index += 1
                }
                guard let number = Int64(digits) else { throw fail("\(digits) is not an integer") }
                tokens.append(.number(number))
            } else if c.isLetter || c == "_" || c == "`" {
                var word = ""
                while index < chars.count {
                    let next = chars[index]
                    if next == "`" {
                        guard let close = chars[(index + 1)...].firstIndex(of: "`") else {
                            throw fail("unterminated backquote")
                        }
                        word += String(chars[index...close])
                        index = close + 1
                    } else if next.isLetter || next.isNumber || "_.-:/".contains(next) {
                        word.append(next)
                        index += 1
                    } else {
                        break
                    }
                }
                tokens.append(.word(word))
            } else {
                throw fail("unexpected character '\(c)'")
            }
        }
        return tokens
    }
}

/// SQL's LIKE as MLflow uses it: `%` matches any run of characters, `_` exactly one.
enum MLflowLike {
    static func matches(_ text: String, pattern: String, caseInsensitive: Bool) -> Bool {
        let text = Array(caseInsensitive ? text.lowercased() : text)
        let pattern = Array(caseInsensitive ? pattern.lowercased() : pattern)
        // matched[j]: the text so far matches pattern[..<j].
        var matched = [Bool](repeating: false, count: pattern.count + 1)
        matched[0] = true
        for j in pattern.indices where pattern[j] == "%" { matched[j + 1] = matched[j] }
        for character in text {
            var next = [Bool](repeating: false, count: pattern.count + 1)
            for j in pattern.indices {
                switch pattern[j] {
                case "%": next[j + 1] = next[j] || matched[j + 1]
                case "_": next[j + 1] = matched[j]
                default: next[j + 1] = matched[j] && pattern[j] == character
                }
            }
            matched = next
        }
        return matched[pattern.count]
    }

    /// A key written in backquotes or quotes, without them.
    static func unquoted(_ key: String) -> String {
        guard key.count >= 2, let first = key.first, first == key.last, "`'\"".contains(first) else { return key }
        return String(key.dropFirst().dropLast())
    }
}
