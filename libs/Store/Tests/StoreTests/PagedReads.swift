import Foundation
import Platform
import Store

/// The ids of every page of a sorted find, `limit` at a time, each page continuing after the
/// last document of the one before (keyset paging, as page tokens do), in the order read.
func idsThroughPages(
    _ store: any DocumentStore, _ collection: String, filter: JSONValue, sort: [SortKey], limit: Int, expected: Int
) async throws -> [String] {
    var seen: [String] = []
    var after: JSONValue?
    for _ in 0...(expected / limit + 1) {
        let page = try await store.find(collection, Query(filter: filter, sort: sort, limit: limit, after: after))
        seen += page.compactMap { $0["id"]?.stringValue }
        guard page.count == limit else { break }
        after = page.last
    }
    return seen
}

/// Inserts `document(0) ..< document(count)` into `collection`, 300 to a batch.
func insertNumbered(
    _ count: Int, into collection: String, of store: any DocumentStore, _ document: (Int) -> JSONValue
) async throws {
    for start in stride(from: 0, to: count, by: 300) {
        try await store.batch((start..<min(start + 300, count)).map { .insert(document($0), into: collection) })
    }
}
