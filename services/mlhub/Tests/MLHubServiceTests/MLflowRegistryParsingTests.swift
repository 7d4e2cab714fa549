import Foundation
import Platform
import Testing

@testable import MLHubService

/// What the MLflow registry reads from its client: search filters, model sources, tags.
@Suite("mlhub MLflow registry parsing")
struct MLflowRegistryParsingTests {
    static let run = "01900000-0000-7000-8000-000000000001"

    func matches(_ filter: String, name: String, tags: [String: String] = [:], runID: String = run) throws -> Bool {
        try MLflowRegistryFilter(filter, fields: ["name", "run_id", "version_number"]).matches { attribute in
            switch attribute {
            case .field("name"): .string(name)
            case .field("run_id"): .string(runID)
            case .field("version_number"): .number(12)
            case .field: nil
            case .tag(let key): tags[key].map { .string($0) }
            }
        }
    }

    @Test("filters: =, !=, LIKE, ILIKE, IN, numbers, tags with dotted or quoted keys, AND")
    func filters() throws {
        #expect(try matches("", name: "a"))
        #expect(try matches("name = 'churn'", name: "churn"))
        #expect(try !matches("name = 'churn'", name: "Churn"))
        #expect(try matches("name LIKE 'ch_rn%'", name: "churn-v2"))
        #expect(try !matches("name LIKE 'ch%'", name: "CHURN"))
        #expect(try matches("name ilike '%URN'", name: "churn"))
        #expect(try matches("name != \"x\" and tags.team = 'growth'", name: "a", tags: ["team": "growth"]))
        #expect(try !matches("tags.team = 'growth'", name: "a"))
        #expect(try matches("tags.mlflow.user = 'ada'", name: "a", tags: ["mlflow.user": "ada"]))
        #expect(try matches("tags.`my key` = 'it''s'", name: "a", tags: ["my key": "it's"]))
        #expect(try matches("run_id IN ('x', '\(Self.run)')", name: "a"))
        #expect(try matches("version_number >= 9 AND version_number < 100", name: "a"))
        // What MLflow's client adds to every registry search: a model without the tag is no prompt.
        #expect(try matches("name = 'a' AND tag.`mlflow.prompt.is_prompt` != 'true'", name: "a"))
        #expect(try !matches("tags.`mlflow.prompt.is_prompt` = 'true'", name: "a"))
        #expect(
            try !matches(
                "tags.`mlflow.prompt.is_prompt` != 'true'", name: "a", tags: ["mlflow.prompt.is_prompt": "true"]))
        #expect(try !matches("tags.other != 'x'", name: "a"))
    }

    @Test("a bad filter is 400 naming filter with the column at fault")
    func badFilters() {
        for (filter, column) in [
            ("name LIKE", 10), ("owner = 'x'", 1), ("name = 'open", 8), ("name = 'a' OR name = 'b'", 12),
            ("name ~ 'a'", 6), ("run_id IN 'a'", 11),
        ] {
            #expect(throws: APIError.self, "\(filter)") {
                try MLflowRegistryFilter(filter, fields: ["name", "run_id"])
            }
            do {
                _ = try MLflowRegistryFilter(filter, fields: ["name", "run_id"])
            } catch let error as APIError {
                #expect(
                    error.status == .badRequest && error.field == "filter" && error.position == column,
                    "\(filter): \(error)")
            } catch {
                Issue.record("\(error)")
            }
        }
    }

    @Test("model sources: runs:/, mlflow-artifacts:/ with or without a host; others are not a run's files")
    func sources() {
        let run = Self.run
        #expect(MLflowModelSource.parse("runs:/\(run)/model") == MLflowModelSource(runID: run, path: "model"))
        #expect(MLflowModelSource.parse("runs:/\(run)") == MLflowModelSource(runID: run, path: ""))
        #expect(
            MLflowModelSource.parse("mlflow-artifacts:/exp/\(run)/artifacts/models/m-1")
                == MLflowModelSource(runID: run, path: "models/m-1"))
        #expect(
            MLflowModelSource.parse("mlflow-artifacts://host:8000/exp/\(run)/artifacts/model")
                == MLflowModelSource(runID: run, path: "model"))
        #expect(MLflowModelSource(runID: run, path: "model").prefix == "model/")
        for other in ["s3://b/model", "runs:/nope/model", "mlflow-artifacts:/exp/\(run)/other/model", "models:/m-1"] {
            #expect(MLflowModelSource.parse(other) == nil, "\(other)")
        }
    }

    @Test("MLflow tags are kept as a list of {key, value}, so dotted keys never become field names")
    func tagsAsList() throws {
        let tags = KeyValueTags(["mlflow.user": "ada", "b": "2"])
        #expect(
            try JSONValue(encoding: tags) == [["key": "b", "value": "2"], ["key": "mlflow.user", "value": "ada"]])
        #expect(try JSONValue(encoding: tags).decoded(as: KeyValueTags.self) == tags)
    }
}
