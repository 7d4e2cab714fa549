import MLflowFilter
import Testing

@Suite("MLflow filter grammar")
struct MLflowFilterTests {
    func clauses(_ text: String) throws -> [MLflowFilterClause] { try MLflowFilterParser.clauses(text) }

    @Test("clauses: entities, quoted keys, operators, strings, numbers, lists, AND in any case")
    func parses() throws {
        #expect(try clauses("").isEmpty)
        #expect(try clauses("   ").isEmpty)
        let parsed = try clauses(
            #"name LIKE 'cat%' and tags.`my key` = 'it''s' AND attr.Creation_Time >= -1.5e3 "#
                + #"AND run_id IN ('a', 2) AND params.lr <> '0.5' AND metrics.acc == 1 AND tags.mlflow.user != 'ada'"#)
        #expect(parsed.map(\.field.entity) == [.attribute, .tag, .attribute, .attribute, .param, .metric, .tag])
        #expect(parsed.map(\.field.key) == ["name", "my key", "creation_time", "run_id", "lr", "acc", "mlflow.user"])
        #expect(parsed.map(\.op) == [.like, .equal, .greaterOrEqual, .in, .notEqual, .equal, .notEqual])
        #expect(
            parsed.map(\.value) == [
                .string("cat%"), .string("it's"), .number(-1500), .list([.string("a"), .number(2)]), .string("0.5"),
                .number(1), .string("ada"),
            ])
        #expect(parsed[1].field.text == "tags.`my key`" && parsed[1].field.position == 22)
        #expect(parsed[0].valuePosition == 11)
        #expect(try clauses(#"tags."a b" = 'x\'y'"#).map(\.value) == [.string("x'y")])
        #expect(try clauses(#"tags."a b" = 'x'"#).first?.field.key == "a b")
        #expect(
            try clauses("foo.bar = 1").first?.field
                == MLflowFilterField(
                    entity: .attribute, key: "foo.bar", text: "foo.bar", position: 1))
    }

    @Test("a bad filter names the 1-based column at fault")
    func errors() throws {
        for (filter, column) in [
            ("name LIKE", 10), ("name = 'open", 8), ("name = 'a' OR name = 'b'", 12), ("name ~ 'a'", 6),
            ("run_id IN 'a'", 11), ("run_id IN ('a' 'b')", 16), ("name LIKE 5", 11), ("name = ", 8),
            ("name = 'a' AND", 15), ("tags. = 'x'", 6), ("x = 1e", 5), ("= 'a'", 1), ("x = abc", 5),
        ] {
            let error = #expect(throws: MLflowFilterError.self, "\(filter)") {
                try MLflowFilterParser.clauses(filter)
            }
            #expect(error?.position == column, "\(filter): \(String(describing: error))")
        }
        #expect(throws: MLflowFilterError.self) { try MLflowFilterParser.field("name DESC") }
        #expect(try MLflowFilterParser.field(" tags.`a b` ").key == "a b")
    }

    @Test("LIKE: % any run, _ one character, ILIKE ignores case; long runs of % stay cheap")
    func like() {
        #expect(MLflowLike.matches("churn-v2", pattern: "ch_rn%", caseInsensitive: false))
        #expect(!MLflowLike.matches("CHURN", pattern: "ch%", caseInsensitive: false))
        #expect(MLflowLike.matches("CHURN", pattern: "ch%", caseInsensitive: true))
        #expect(MLflowLike.matches("", pattern: "%", caseInsensitive: false))
        #expect(!MLflowLike.matches("", pattern: "_", caseInsensitive: false))
        #expect(MLflowLike.matches("abc", pattern: "%b%", caseInsensitive: false))
        #expect(!MLflowLike.matches("abc", pattern: "%d%", caseInsensitive: false))
        let long = String(repeating: "a", count: 2000)
        #expect(!MLflowLike.matches(long, pattern: String(repeating: "%a", count: 300) + "b", caseInsensitive: false))
    }

    @Test("matching: text as text, numbers as numbers, text spelling a number as that number; absent matches nothing")
    func matching() throws {
        func holds(_ filter: String, _ actual: MLflowFilterValue?) throws -> Bool {
            let clause = try #require(try clauses(filter).first)
            return clause.holds(actual)
        }
        #expect(try holds("name = 'a'", .string("a")))
        #expect(try !holds("name = 'a'", .string("A")))
        #expect(try holds("name < 'b'", .string("a")))
        #expect(try holds("v >= 9", .number(12)))
        #expect(try holds("v > 9", .string("12")))
        #expect(try holds("v = '0.5'", .number(0.5)))
        #expect(try !holds("v = 5", .string("five")))
        #expect(try holds("v IN (1, 'x')", .string("x")))
        #expect(try holds("v IN (1, 'x')", .number(1)))
        #expect(try !holds("v IN (1, 'x')", .string("y")))
        #expect(try holds("v LIKE '1%'", .number(12)))
        #expect(try holds("v ILIKE 'A%'", .string("abc")))
        #expect(try !holds("v != 'a'", nil))
        #expect(try holds("v != 'a'", .string("b")))
        #expect(MLflowFilterValue.order(.string("a"), .list([])) == nil)
    }
}
