/// The parameters of one statement, already encoded in binary form.
public struct PostgresBindings: Sendable {
    /// Parameter type OIDs, in order.
    private(set) var types: [UInt32] = []
    /// Every non-NULL parameter's bytes, back to back.
    private(set) var storage: [UInt8] = []
    /// Start of each parameter in `storage`.
    private(set) var offsets: [Int] = []
    /// Length of each parameter, or -1 for NULL.
    private(set) var lengths: [Int32] = []

    /// An empty list.
    public init() {}

    /// The number of parameters.
    public var count: Int { types.count }

    /// Appends one parameter.
    public mutating func append<Value: PostgresEncodable>(_ value: Value) {
        types.append(Value.postgresType.oid)
        offsets.append(storage.count)
        if value.encodesAsNull {
            lengths.append(-1)
        } else {
            let start = storage.count
            value.encode(into: &storage)
            lengths.append(Int32(storage.count - start))
        }
    }

    /// Appends one parameter whose static type is erased.
    public mutating func append(any value: any PostgresEncodable) {
        append(value)
    }

    /// Calls `body` with the C arrays `PQexecParams` and friends expect. Every parameter is sent in
    /// binary format; NULLs are null pointers; empty values get a valid non-null pointer.
    func withCArrays<R>(
        _ body: (
            _ count: Int32,
            _ types: UnsafePointer<UInt32>?,
            _ values: UnsafePointer<UnsafePointer<CChar>?>?,
            _ lengths: UnsafePointer<Int32>?,
            _ formats: UnsafePointer<Int32>?
        ) throws -> R
    ) rethrows -> R {
        if types.isEmpty { return try body(0, nil, nil, nil, nil) }
        // One spare byte so the base address is never nil, even when every value is empty.
        var bytes = storage
        bytes.append(0)
        let formats = [Int32](repeating: 1, count: types.count)
        return try bytes.withUnsafeBytes { raw in
            let base = raw.baseAddress!.assumingMemoryBound(to: CChar.self)
            var pointers: [UnsafePointer<CChar>?] = []
            pointers.reserveCapacity(types.count)
            for index in 0..<types.count {
                pointers.append(lengths[index] < 0 ? nil : base + offsets[index])
            }
            return try body(Int32(types.count), types, pointers, lengths, formats)
        }
    }
}
