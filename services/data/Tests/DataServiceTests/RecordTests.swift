import Auth
import Foundation
import Hummingbird
import HummingbirdTesting
import Platform
import PlatformTesting
import Store
import Testing

@testable import DataService

/// The records of `Records/`: the hot ones convert by hand, and must read and write exactly what
/// their `Codable` conformance does; absent, null and set stay apart.
@Suite("data: records and their stored documents")
struct RecordTests {
    static let now = "2026-11-23T10:00:00.000Z"

    static let run = Run(
        id: ID.make(), projectId: ID.make(), experimentId: ID.make(), name: "lr sweep", status: .finished,
        startTime: now, endTime: now,
        createdBy: ID.make(), parentRunId: .null, source: RunSource(gitCommit: "abc123", jobId: "j-1"),
        params: RunFields(named: ["lr": 0.01, "train/batch size": 32, "optimizer": "adam"]),
        tags: RunFields(named: ["team": "vision"]),
        metrics: RunFields(named: ["val.acc": 0.75]),
        metricSummaries: RunFields(named: [
            "val.acc": ["min": 0.25, "max": 0.75, "step": 3, "timestamp": 17, "count": 4]
        ]),
        lifecycle: .trashed, createdAt: now, updatedAt: now, trashedAt: .present(now), exitCode: 137
    )

    /// `record` by hand and by `Codable`, both ways.
    func expectConversionsAgree<Record: StoredRecord & Equatable>(
        _ record: Record, sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        let byHand = try record.document()
        #expect(
            try Record(document: try JSONValue(encoding: record)) == record, "Codable document read by hand",
            sourceLocation: sourceLocation)
        #expect(
            try byHand.decoded(as: Record.self) == record, "hand document read by Codable",
            sourceLocation: sourceLocation)
        #expect(try Record(document: byHand) == record, "round trip by hand", sourceLocation: sourceLocation)
    }

    @Test("hand conversions agree with Codable")
    func handConversions() throws {
        try expectConversionsAgree(Self.run)
        var plain = Self.run
        (plain.parentRunId, plain.source, plain.trashedAt, plain.exitCode, plain.endTime, plain.createdAt) = (
            .present(ID.make()), nil, .null, nil, nil, nil
        )
        try expectConversionsAgree(plain)
        let entry = LogEntry(
            id: ID.make(), runId: Self.run.id, experimentId: Self.run.experimentId, projectId: Self.run.projectId,
            time: Self.now, level: .warning, message: "line")
        try expectConversionsAgree(entry)

        var points = MetricBatch.Series(key: "train/loss")
        (points.values, points.steps, points.timestamps) = ([0.5, 0.25, 0.125], [1, 3, 2], [10, 11, 12])
        let series = try #require(MetricSeries.appending(points, to: nil, of: Self.run))
        try expectConversionsAgree(series)
        try expectConversionsAgree(MetricChunk(series: series.id, of: Self.run, start: 3, points: points))
        let buckets = MetricTiers.append(values: points.values, steps: points.steps, first: 0, level: 1, existing: [])
        let tier = MetricTier(series: series.id, of: Self.run, level: 1, chunk: 0, buckets: buckets.flatMap(\.buckets))
        try expectConversionsAgree(tier)
    }

    @Test("a NaN metric value is null in every record holding one, by hand as by Codable")
    func nanValues() throws {
        func expectDocumentsAgree<Record: StoredRecord>(
            _ record: Record, sourceLocation: SourceLocation = #_sourceLocation
        ) throws {
            // Compared as documents: a record holding NaN is never == itself.
            let byHand = try record.document()
            #expect(
                try Record(document: try JSONValue(encoding: record)).document() == byHand,
                sourceLocation: sourceLocation)
            #expect(try byHand.decoded(as: Record.self).document() == byHand, sourceLocation: sourceLocation)
            #expect(try Record(document: byHand).document() == byHand, sourceLocation: sourceLocation)
        }
        var points = MetricBatch.Series(key: "loss")
        (points.values, points.steps, points.timestamps) = ([.nan, .nan], [1, 2], [10, 11])
        let allNaN = try #require(MetricSeries.appending(points, to: nil, of: Self.run))
        #expect(allNaN.min.isNaN && allNaN.max.isNaN && allNaN.last.value.isNaN)
        #expect(allNaN.document()["min"] == .null)
        #expect(allNaN.document()["last"]?["value"] == .null)
        try expectDocumentsAgree(allNaN)
        let chunk = MetricChunk(series: allNaN.id, of: Self.run, start: 0, points: points)
        #expect(chunk.document()["values"] == [nil, nil])
        try expectDocumentsAgree(chunk)

        var more = MetricBatch.Series(key: "loss")
        (more.values, more.steps, more.timestamps) = ([1.5, -2, .nan], [3, 4, 5], [12, 13, 14])
        let mixed = try #require(MetricSeries.appending(more, to: allNaN, of: Self.run))
        #expect((mixed.count, mixed.min, mixed.max, mixed.last.value.isNaN) == (5, -2, 1.5, true))
        let buckets = MetricTiers.append(
            values: points.values + more.values, steps: points.steps + more.steps, first: 0, level: 1, existing: []
        ).flatMap(\.buckets)
        #expect(buckets.count == 1)
        #expect((buckets[0].min, buckets[0].max, buckets[0].last.isNaN) == (-2, 1.5, true))
        let tier = MetricTier(series: mixed.id, of: Self.run, level: 1, chunk: 0, buckets: buckets)
        #expect(tier.document()["last"] == [nil])
        try expectDocumentsAgree(tier)
        let nanTier = MetricTier(
            series: mixed.id, of: Self.run, level: 1, chunk: 0,
            buckets: MetricTiers.append(values: points.values, steps: points.steps, first: 0, level: 1, existing: [])
                .flatMap(\.buckets))
        #expect(nanTier.document()["min"] == [nil])
        try expectDocumentsAgree(nanTier)
    }

    @Test("a run is stored with its keys encoded, and seen with them as written")
    func runDocument() throws {
        let document = Self.run.document()
        #expect(document["params"]?["train-2Fbatch-20size"] == 32)
        #expect(document["parentRunId"] == .null)
        #expect(Self.run.view()["params"]?["train/batch size"] == 32)
        #expect(Self.run.view()["metricSummaries"]?["val.acc"]?["max"] == 0.75)
        var fresh = Self.run
        fresh.trashedAt = .absent
        #expect(fresh.document()["trashedAt"] == nil, "absent stays absent")
    }

    @Test("a latest point is the greatest step, then timestamp, then the last to arrive")
    func seriesSummary() throws {
        var points = MetricBatch.Series(key: "acc")
        (points.values, points.steps, points.timestamps) = ([0.9, 0.5, 0.7], [5, 2, 5], [1, 1, 1])
        let series = try #require(MetricSeries.appending(points, to: nil, of: Self.run))
        #expect((series.count, series.min, series.max, series.last.value) == (3, 0.5, 0.9, 0.7))
        var more = MetricBatch.Series(key: "acc")
        (more.values, more.steps, more.timestamps) = ([0.1], [4], [2])
        let next = try #require(MetricSeries.appending(more, to: series, of: Self.run))
        #expect((next.count, next.min, next.last.value) == (4, 0.1, 0.7))
    }

    @Test("Presence keeps absent, null and set apart through Codable")
    func presence() throws {
        struct Holder: Codable, Equatable {
            var trashedAt: Presence<String>
        }
        for (holder, text) in [
            (Holder(trashedAt: .absent), "{}"), (Holder(trashedAt: .null), #"{"trashedAt":null}"#),
            (Holder(trashedAt: .present("x")), #"{"trashedAt":"x"}"#),
        ] {
            let document = try JSONValue(encoding: holder)
            #expect(document.jsonText == text)
            #expect(try document.decoded(as: Holder.self) == holder)
        }
    }

    @Test("a stored document that is not its record is a StoredDocumentError naming the member")
    func unreadable() throws {
        var document = Self.run.document()
        document["status"] = "flying"
        let error = #expect(throws: StoredDocumentError.self) { try Run(document: document) }
        #expect(error?.field == "status")
        var chunk = MetricChunk(
            series: "s", of: Self.run, start: 0,
            points: MetricBatch.Series(key: "k", values: [1], steps: [1], timestamps: [1])
        ).document()
        chunk["steps"] = []
        #expect(throws: StoredDocumentError.self) { try MetricChunk(document: chunk) }
        let project = try JSONValue.parse(#"{"id": "x", "name": 3}"#)
        #expect(throws: StoredDocumentError.self) { try Experiment(document: project) }
    }

    @Test("a metric batch reads every point before checking any, and groups points by key")
    func metricBatch() throws {
        let mistakes = try JSONValue.parse(
            #"{"points": [{"key": "bad$key", "value": 1}, {"key": "b", "value": "high"}]}"#)
        let typeFirst = #expect(throws: APIError.self) { try MetricBatch(body: mistakes) }
        #expect(typeFirst?.field == "points.1.value")
        #expect(typeFirst?.code == "invalid_type")
        let badKey = #expect(throws: APIError.self) {
            try MetricBatch(
                body: try JSONValue.parse(#"{"points": [{"key": "a", "value": 1}, {"key": "bad$key", "value": 1}]}"#))
        }
        #expect(badKey?.field == "points.1.key")
        let word = #expect(throws: APIError.self) {
            try MetricBatch(body: try JSONValue.parse(#"{"points": [{"key": "a", "value": "abc"}]}"#))
        }
        #expect(word?.field == "points.0.value")
        let special = try MetricBatch(
            body: try JSONValue.parse(
                #"{"points": [{"key": "a", "value": null}, {"key": "a", "value": "NaN"}, {"key": "a", "value": "Infinity"}, {"key": "a", "value": "-Infinity"}]}"#
            ))
        #expect(
            special.series.first?.values.map { "\($0)" } == [
                "nan", "nan", "\(Double.greatestFiniteMagnitude)", "\(-Double.greatestFiniteMagnitude)",
            ])
        let badStep = #expect(throws: APIError.self) {
            try MetricBatch(body: try JSONValue.parse(#"{"points": [{"key": "a", "value": 1, "step": 1.5}]}"#))
        }
        #expect(badStep?.message == "step is an integer")

        let batch = try MetricBatch(
            body: try JSONValue.parse(
                #"{"points": [{"key": "b", "value": 1}, {"key": "a", "value": 2, "step": 7}, {"key": "b", "value": 3, "timestamp": 9}]}"#
            ), now: 5)
        #expect(batch.count == 3)
        #expect(batch.series.map(\.key) == ["b", "a"])
        #expect(batch.series.first?.values == [1, 3])
        #expect(batch.series.first?.steps == [0, 0])
        #expect(batch.series.first?.timestamps == [5, 9])
    }

    @Test("over HTTP: trashedAt is absent until the trash, null after a restore; a run without a parent says null")
    func wireShapes() async throws {
        let owner = try await newUser()
        try await dataApp().test(.router) { client in
            let (project, experiment) = try await client.projectAndExperiment(owner.token)
            let run = try await client.newRun(owner.token, experiment: experiment)
            let created = try await client.call(.get, "/v1/runs/\(run)", token: owner.token).body
            #expect(created["trashedAt"] == nil)
            #expect(created["parentRunId"] == .null)
            #expect(created["source"] == [:])
            _ = try await client.call(.delete, "/v1/projects/\(project)", token: owner.token)
            let restored = try await client.call(.post, "/v1/projects/\(project)/restore", token: owner.token).body
            #expect(restored["trashedAt"] == .null)
            #expect(restored["lifecycle"] == "active")
            #expect(restored["projectId"]?.text == project)

            _ = try await client.call(
                .post, "/v1/runs/\(run)/metrics", token: owner.token,
                json: #"{"points": [{"key": "acc", "value": 1.0}]}"#)
            let text = try await client.execute(
                uri: "/v1/runs/\(run)/metrics", method: .get, headers: [.authorization: "Bearer \(owner.token)"]
            ) { String(buffer: $0.body) }
            #expect(text.contains(#""min":1.0"#), "a double stays a double: \(text)")
        }
    }
}
