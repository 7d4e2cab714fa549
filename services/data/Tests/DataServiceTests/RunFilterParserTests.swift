import Testing

@testable import DataService

// MARK: - Cases (tables, so every case shows up by itself in the test report)

struct RunFilterParsedCase: Sendable, CustomTestStringConvertible {
    let text: String
    let expected: RunFilterExpression
    var testDescription: String { abbreviated(text) }
}

struct RunFilterRejectedCase: Sendable, CustomTestStringConvertible {
    let text: String
    let position: Int
    let fragment: String
    var testDescription: String { abbreviated(text) }
}

private func abbreviated(_ text: String) -> String {
    text.count <= 60 ? text : "\(text.prefix(40))… (\(text.count) characters)"
}

private func field(_ kind: RunFilterField.Kind, _ key: String, at position: Int) -> RunFilterField {
    RunFilterField(kind: kind, key: key, position: position)
}

private func compare(
    _ kind: RunFilterField.Kind, _ key: String, at position: Int, _ op: RunFilterOperator, _ value: RunFilterValue
) -> RunFilterExpression {
    .compare(field(kind, key, at: position), op, value)
}

private func compare(
    _ kind: RunFilterField.Kind, _ key: String, at position: Int, _ value: RunFilterValue
) -> RunFilterExpression {
    compare(kind, key, at: position, .equal, value)
}

/// `id = 'x'` at a column: the small building block of the precedence cases.
private func id(_ value: String, at position: Int) -> RunFilterExpression {
    compare(.attribute, "id", at: position, .string(value))
}

private func nested(_ depth: Int) -> String {
    String(repeating: "(", count: depth) + "status = 'x'" + String(repeating: ")", count: depth)
}

private func negated(_ depth: Int) -> String {
    String(repeating: "not ", count: depth) + "status = 'x'"
}

private func inList(_ count: Int) -> String {
    "status in (" + Array(repeating: "0", count: count).joined(separator: ", ") + ")"
}

/// `status = 'xxx…'` exactly `length` characters long.
private func ofLength(_ length: Int) -> String {
    "status = '" + String(repeating: "x", count: length - 11) + "'"
}

enum RunFilterParserCases {
    static let parsed: [RunFilterParsedCase] = [
        // The everyday MLflow shapes.
        RunFilterParsedCase(text: "params.lr = 0.01", expected: compare(.param, "lr", at: 1, .number(0.01))),
        RunFilterParsedCase(
            text: "metrics.acc >= 0.9", expected: compare(.metric, "acc", at: 1, .greaterOrEqual, .number(0.9))),
        RunFilterParsedCase(
            text: #"status in ('running', "finished")"#,
            expected: .among(
                field(.attribute, "status", at: 1), [.string("running"), .string("finished")], negated: false)),
        RunFilterParsedCase(
            text: "tags.team != 'vision'", expected: compare(.tag, "team", at: 1, .notEqual, .string("vision"))),
        RunFilterParsedCase(
            text: "status not in ('failed')",
            expected: .among(field(.attribute, "status", at: 1), [.string("failed")], negated: true)),

        // Precedence: NOT over AND over OR; parentheses group.
        RunFilterParsedCase(
            text: "id = 'a' or id = 'b' and id = 'c'",
            expected: .or([id("a", at: 1), .and([id("b", at: 13), id("c", at: 26)])])),
        RunFilterParsedCase(
            text: "not id = 'a' and id = 'b'",
            expected: .and([.not(id("a", at: 5)), id("b", at: 18)])),
        RunFilterParsedCase(
            text: "not (id = 'a' or id = 'b')",
            expected: .not(.or([id("a", at: 6), id("b", at: 18)]))),
        RunFilterParsedCase(
            text: "(id = 'a' or id = 'b') and id = 'c'",
            expected: .and([.or([id("a", at: 2), id("b", at: 14)]), id("c", at: 28)])),
        RunFilterParsedCase(text: "not not id = 'a'", expected: .not(.not(id("a", at: 9)))),
        RunFilterParsedCase(text: "((id = 'a'))", expected: id("a", at: 3)),

        // Chains flatten; parenthesised groups stay nested.
        RunFilterParsedCase(
            text: "id = 'a' and id = 'b' and id = 'c' and id = 'd'",
            expected: .and([id("a", at: 1), id("b", at: 14), id("c", at: 27), id("d", at: 40)])),
        RunFilterParsedCase(
            text: "id = 'a' or id = 'b' or id = 'c'",
            expected: .or([id("a", at: 1), id("b", at: 13), id("c", at: 25)])),
        RunFilterParsedCase(
            text: "(id = 'a' and id = 'b') and id = 'c'",
            expected: .and([.and([id("a", at: 2), id("b", at: 15)]), id("c", at: 29)])),

        // BETWEEN owns the AND between its bounds; the next AND is a conjunction.
        RunFilterParsedCase(
            text: "metrics.x between 1 and 2 and params.y = 'a'",
            expected: .and([
                .between(field(.metric, "x", at: 1), .integer(1), .integer(2)),
                compare(.param, "y", at: 31, .string("a")),
            ])),
        RunFilterParsedCase(
            text: "metrics.x between -0.5 and 1e3",
            expected: .between(field(.metric, "x", at: 1), .number(-0.5), .number(1000))),

        // Keywords in any case.
        RunFilterParsedCase(
            text: "NOT status In ('a') AnD metrics.x BETWEEN 1 aNd 2 Or tags.t = TRUE",
            expected: .or([
                .and([
                    .not(.among(field(.attribute, "status", at: 5), [.string("a")], negated: false)),
                    .between(field(.metric, "x", at: 25), .integer(1), .integer(2)),
                ]),
                compare(.tag, "t", at: 54, .bool(true)),
            ])),
        RunFilterParsedCase(
            text: "status NOT IN ('a', 'b')",
            expected: .among(field(.attribute, "status", at: 1), [.string("a"), .string("b")], negated: true)),

        // Prefix aliases and keys.
        RunFilterParsedCase(text: "param.lr = 1", expected: compare(.param, "lr", at: 1, .integer(1))),
        RunFilterParsedCase(text: "metric.acc = 1", expected: compare(.metric, "acc", at: 1, .integer(1))),
        RunFilterParsedCase(text: "tag.team = 1", expected: compare(.tag, "team", at: 1, .integer(1))),
        RunFilterParsedCase(text: "PARAMS.lr = 1", expected: compare(.param, "lr", at: 1, .integer(1))),
        RunFilterParsedCase(
            text: "metrics.val.loss < 1", expected: compare(.metric, "val.loss", at: 1, .less, .integer(1))),
        RunFilterParsedCase(
            text: "metrics.train/loss < 1", expected: compare(.metric, "train/loss", at: 1, .less, .integer(1))),
        RunFilterParsedCase(text: "params.a-b:c_d.1 = 1", expected: compare(.param, "a-b:c_d.1", at: 1, .integer(1))),
        RunFilterParsedCase(
            text: "metrics.`my metric` > 1", expected: compare(.metric, "my metric", at: 1, .greater, .integer(1))),
        RunFilterParsedCase(text: #"params."a b" = 1"#, expected: compare(.param, "a b", at: 1, .integer(1))),
        RunFilterParsedCase(text: #"tags.'it\'s' = 1"#, expected: compare(.tag, "it's", at: 1, .integer(1))),
        RunFilterParsedCase(text: #"metrics.`a\`b` = 1"#, expected: compare(.metric, "a`b", at: 1, .integer(1))),
        RunFilterParsedCase(
            text: "attributes.`run_name` = 'a'", expected: compare(.attribute, "name", at: 1, .string("a"))),

        // Operators, with and without spaces.
        RunFilterParsedCase(
            text: "status == 'a'", expected: compare(.attribute, "status", at: 1, .equal, .string("a"))),
        RunFilterParsedCase(
            text: "status<>'a'", expected: compare(.attribute, "status", at: 1, .notEqual, .string("a"))),
        RunFilterParsedCase(
            text: "status!='a'", expected: compare(.attribute, "status", at: 1, .notEqual, .string("a"))),
        RunFilterParsedCase(text: "metrics.x<1", expected: compare(.metric, "x", at: 1, .less, .integer(1))),
        RunFilterParsedCase(text: "metrics.x<=1", expected: compare(.metric, "x", at: 1, .lessOrEqual, .integer(1))),
        RunFilterParsedCase(text: "metrics.x>-1", expected: compare(.metric, "x", at: 1, .greater, .integer(-1))),

        // Values.
        RunFilterParsedCase(text: "metrics.x = -1e-3", expected: compare(.metric, "x", at: 1, .number(-0.001))),
        RunFilterParsedCase(text: "metrics.x = 1E+3", expected: compare(.metric, "x", at: 1, .number(1000))),
        RunFilterParsedCase(text: "metrics.x = 2.5e2", expected: compare(.metric, "x", at: 1, .number(250))),
        RunFilterParsedCase(text: "metrics.x = -42", expected: compare(.metric, "x", at: 1, .integer(-42))),
        RunFilterParsedCase(text: "metrics.x = 0", expected: compare(.metric, "x", at: 1, .integer(0))),
        RunFilterParsedCase(
            text: "metrics.x = -9223372036854775808", expected: compare(.metric, "x", at: 1, .integer(.min))),
        RunFilterParsedCase(
            text: "metrics.x = 9223372036854775807", expected: compare(.metric, "x", at: 1, .integer(.max))),
        RunFilterParsedCase(text: "tags.x = false", expected: compare(.tag, "x", at: 1, .bool(false))),
        RunFilterParsedCase(text: "tags.x = True", expected: compare(.tag, "x", at: 1, .bool(true))),
        RunFilterParsedCase(text: #"name = 'it\'s'"#, expected: compare(.attribute, "name", at: 1, .string("it's"))),
        RunFilterParsedCase(
            text: #"name = "a\"b\\c\n\t""#, expected: compare(.attribute, "name", at: 1, .string("a\"b\\c\n\t"))),
        RunFilterParsedCase(text: #"name = "it's""#, expected: compare(.attribute, "name", at: 1, .string("it's"))),
        RunFilterParsedCase(text: "name = ''", expected: compare(.attribute, "name", at: 1, .string(""))),

        // Columns count Characters; whitespace of any kind separates.
        RunFilterParsedCase(
            text: "tags.note = 'café' and status = 'x'",
            expected: .and([
                compare(.tag, "note", at: 1, .string("café")), compare(.attribute, "status", at: 24, .string("x")),
            ])),
        RunFilterParsedCase(text: "  \tstatus = 'a'\n", expected: compare(.attribute, "status", at: 4, .string("a"))),

        // Limits, just inside.
        RunFilterParsedCase(text: nested(64), expected: compare(.attribute, "status", at: 65, .string("x"))),
        RunFilterParsedCase(
            text: negated(64),
            expected: (0..<64).reduce(compare(.attribute, "status", at: 257, .string("x"))) { inner, _ in .not(inner) }),
        RunFilterParsedCase(
            text: inList(1000),
            expected: .among(
                field(.attribute, "status", at: 1), Array(repeating: .integer(0), count: 1000), negated: false)),
        RunFilterParsedCase(
            text: ofLength(10_000),
            expected: compare(.attribute, "status", at: 1, .string(String(repeating: "x", count: 9_989)))),
    ]

    /// Every accepted spelling of each attribute, bare and prefixed.
    static let attributeAliases: [(String, String)] = [
        ("status", "status"), ("Status", "status"), ("attributes.status", "status"), ("attr.STATUS", "status"),
        ("name", "name"), ("run_name", "name"), ("runName", "name"), ("RUNNAME", "name"),
        ("startTime", "startTime"), ("start_time", "startTime"), ("attribute.start_time", "startTime"),
        ("endTime", "endTime"), ("end_time", "endTime"), ("attributes.endtime", "endTime"),
        ("user", "user"), ("user_id", "user"), ("userId", "user"), ("createdBy", "user"),
        ("experimentId", "experimentId"), ("experiment_id", "experimentId"),
        ("Attributes.EXPERIMENT_ID", "experimentId"),
        ("id", "id"), ("run_id", "id"), ("runId", "id"), ("attr.run_id", "id"),
    ]

    static let rejected: [RunFilterRejectedCase] = [
        // Missing pieces.
        RunFilterRejectedCase(text: "metrics.acc >", position: 14, fragment: "expected a value after '>'"),
        RunFilterRejectedCase(text: "status = ", position: 10, fragment: "expected a value after '='"),
        RunFilterRejectedCase(text: "status", position: 7, fragment: "expected an operator after 'status'"),
        RunFilterRejectedCase(
            text: "status 'x'", position: 8, fragment: "expected an operator after 'status', found 'x'"),
        RunFilterRejectedCase(text: "status = running", position: 10, fragment: "strings need quotes"),
        RunFilterRejectedCase(text: "not", position: 4, fragment: "expected a condition after 'not'"),
        RunFilterRejectedCase(text: "metrics.x between 1 2", position: 21, fragment: "expected 'and' after '1'"),
        RunFilterRejectedCase(text: "status not 'x'", position: 12, fragment: "expected 'in' after 'not'"),

        // Parentheses.
        RunFilterRejectedCase(
            text: "(status = 'x'", position: 14, fragment: "expected ')' to close the '(' at column 1"),
        RunFilterRejectedCase(
            text: "(((status = 'a')", position: 17, fragment: "expected ')' to close the '(' at column 2"),
        RunFilterRejectedCase(text: "status = 'x')", position: 13, fragment: "unmatched ')'"),
        RunFilterRejectedCase(text: "()", position: 2, fragment: "empty parentheses"),
        RunFilterRejectedCase(text: "status = 'a' and ( )", position: 20, fragment: "empty parentheses"),

        // Fields.
        RunFilterRejectedCase(
            text: "stat = 'x'", position: 1,
            fragment: "unknown attribute 'stat'; known: status, name, startTime, endTime, user, experimentId, id"),
        RunFilterRejectedCase(text: "attributes.stat = 1", position: 1, fragment: "unknown attribute 'stat'"),
        RunFilterRejectedCase(text: "foo.bar = 1", position: 1, fragment: "unknown field prefix 'foo'"),
        RunFilterRejectedCase(text: "params. = 1", position: 8, fragment: "expected a key after 'params.'"),
        RunFilterRejectedCase(
            text: "status = 'a' and metrics.", position: 26, fragment: "expected a key after 'metrics.'"),
        RunFilterRejectedCase(text: "params.'' = 1", position: 8, fragment: "expected a key after 'params.'"),
        RunFilterRejectedCase(text: "metrics.`my metric > 1", position: 9, fragment: "unterminated string"),

        // AND / OR with a side missing, and trailing tokens.
        RunFilterRejectedCase(text: "and status = 'x'", position: 1, fragment: "expected a condition, found 'and'"),
        RunFilterRejectedCase(text: "status = 'x' or", position: 16, fragment: "expected a condition after 'or'"),
        RunFilterRejectedCase(
            text: "status = 'x' and and name = 'y'", position: 18,
            fragment: "expected a condition after 'and', found 'and'"),
        RunFilterRejectedCase(text: "1 = 1", position: 1, fragment: "expected a condition, found '1'"),
        RunFilterRejectedCase(text: "true", position: 1, fragment: "expected a condition, found 'true'"),
        RunFilterRejectedCase(
            text: "metrics.acc > 0.9 params.x = 1", position: 19,
            fragment: "unexpected 'params.x' after the end of the filter"),
        RunFilterRejectedCase(
            text: "status = 'a' not name = 'b'", position: 14, fragment: "unexpected 'not' after the end of the filter"),

        // IN lists.
        RunFilterRejectedCase(text: "status in 'x'", position: 11, fragment: "expected '(' after 'in'"),
        RunFilterRejectedCase(text: "status in ()", position: 12, fragment: "'in' needs at least one value"),
        RunFilterRejectedCase(text: "status in ('a',)", position: 16, fragment: "expected a value after ','"),
        RunFilterRejectedCase(
            text: "status in ('a' 'b')", position: 16, fragment: "expected ',' or ')' after 'a', found 'b'"),
        RunFilterRejectedCase(text: "status in ('a'", position: 15, fragment: "expected ',' or ')'"),
        RunFilterRejectedCase(text: inList(1001), position: 3012, fragment: "'in' takes at most 1000 values"),

        // Characters, strings and numbers.
        RunFilterRejectedCase(text: "metrics.acc ! 3", position: 13, fragment: "unexpected character '!'"),
        RunFilterRejectedCase(text: "status !< 1", position: 8, fragment: "unexpected character '!'"),
        RunFilterRejectedCase(text: "tags.note = 'café' #", position: 20, fragment: "unexpected character '#'"),
        RunFilterRejectedCase(text: "é = 1", position: 1, fragment: "unexpected character 'é'"),
        RunFilterRejectedCase(text: "'unterminated", position: 1, fragment: "unterminated string"),
        RunFilterRejectedCase(text: #"status = 'a\"#, position: 10, fragment: "unterminated string"),
        RunFilterRejectedCase(text: #"status = 'a\q'"#, position: 12, fragment: #"unknown escape '\q'"#),
        RunFilterRejectedCase(
            text: "metrics.x > 9223372036854775808", position: 13,
            fragment: "integer 9223372036854775808 does not fit in 64 bits"),
        RunFilterRejectedCase(text: "metrics.x = 1e999", position: 13, fragment: "number 1e999 is out of range"),
        RunFilterRejectedCase(text: "metrics.x = .5", position: 13, fragment: "unexpected character '.'"),
        RunFilterRejectedCase(text: "metrics.x = 1.", position: 15, fragment: "expected a digit after '.'"),
        RunFilterRejectedCase(text: "metrics.x = 1e", position: 15, fragment: "expected a digit after 'e'"),
        RunFilterRejectedCase(text: "metrics.x = -", position: 14, fragment: "expected a digit after '-'"),
        RunFilterRejectedCase(text: "metrics.x = 1.2.3", position: 16, fragment: "unexpected character '.'"),
        RunFilterRejectedCase(
            text: "metrics.x >= 1and status = 'a'", position: 15, fragment: "unexpected character 'a'"),

        // Limits, just outside.
        RunFilterRejectedCase(text: nested(65), position: 65, fragment: "nests deeper than 64 levels"),
        RunFilterRejectedCase(text: negated(65), position: 257, fragment: "nests deeper than 64 levels"),
        RunFilterRejectedCase(text: ofLength(10_001), position: 10_001, fragment: "longer than 10000 characters"),
    ]

    static let blank = ["", " ", "\t\n  \r\n"]
}

/// The parser's error, or nil when it accepts `text`.
func runFilterSyntaxError(_ text: String) -> RunFilterSyntaxError? {
    do throws(RunFilterSyntaxError) {
        _ = try RunFilterParser.parse(text)
        return nil
    } catch {
        return error
    }
}

// MARK: - Tests

@Suite("run filter parser")
struct RunFilterParserTests {
    @Test("parses to the expected tree", arguments: RunFilterParserCases.parsed)
    func parses(_ testCase: RunFilterParsedCase) throws {
        #expect(try RunFilterParser.parse(testCase.text) == testCase.expected)
    }

    @Test("attribute aliases resolve to canonical names", arguments: RunFilterParserCases.attributeAliases)
    func attributeAlias(_ spelling: String, _ canonical: String) throws {
        let expected = RunFilterExpression.compare(
            RunFilterField(kind: .attribute, key: canonical, position: 1), .equal, .integer(1))
        #expect(try RunFilterParser.parse("\(spelling) = 1") == expected)
    }

    @Test("rejects bad input at the offending column", arguments: RunFilterParserCases.rejected)
    func rejects(_ testCase: RunFilterRejectedCase) throws {
        let error = try #require(runFilterSyntaxError(testCase.text))
        #expect(error.position == testCase.position, "\(error)")
        #expect(error.message.contains(testCase.fragment), "\(error)")
    }

    @Test("empty or whitespace text is no filter", arguments: RunFilterParserCases.blank)
    func blank(_ text: String) throws {
        #expect(try RunFilterParser.parse(text) == nil)
    }

    @Test("errors describe themselves with their column")
    func description() {
        #expect(runFilterSyntaxError("stat = 1")?.description.hasPrefix("column 1: unknown attribute 'stat'") == true)
    }
}
