import Hummingbird

/// One page of a list: at most `limit` entries (query, 1–200, default 50) after the entry `cursor`
/// names, and the cursor for the next page.
///
/// A cursor is the id of the last entry seen, never clinical text, so URLs and access logs hold no
/// PHI. Entries added later land on later pages in their place; a cursor naming an entry that has
/// since left the list is refused (400 `bad-cursor`) rather than silently skipping or repeating.
struct Page<Item: Encodable>: Encodable {
    var items: [Item]
    /// Pass as `cursor` for the next page; absent on the last page.
    var nextCursor: String?

    init(items: [Item], nextCursor: String?) {
        self.items = items
        self.nextCursor = nextCursor
    }

    /// The page of `all` (in the service's order) that `request` asks for.
    init<Source>(
        _ all: [Source],
        request: Request,
        key: (Source) -> String,
        line: (Source) throws -> Item
    ) throws {
        let limit = try Self.limit(request)
        var remaining = all[...]
        if let cursor = request.uri.queryParameters.get("cursor").map({ String($0) }), !cursor.isEmpty {
            guard let index = all.firstIndex(where: { key($0) == cursor }) else {
                throw APIError(
                    status: .badRequest,
                    kind: "bad-cursor",
                    detail:
                        "cursor names no entry of this list (a nextCursor value, or the entry is gone); start again",
                    field: "cursor"
                )
            }
            remaining = all[(index + 1)...]
        }
        let page = remaining.prefix(limit)
        items = try page.map(line)
        nextCursor = remaining.count > limit ? page.last.map(key) : nil
    }

    /// The `limit` query parameter: 1 to 200, default 50.
    static func limit(_ request: Request) throws -> Int {
        guard let text = request.uri.queryParameters.get("limit") else { return 50 }
        guard let limit = Int(String(text)), (1...200).contains(limit) else {
            throw APIError(status: .badRequest, kind: "bad-parameter", detail: "limit is 1 to 200", field: "limit")
        }
        return limit
    }
}
