extension Optional {
    /// `map` with an async transform (opening an optional sealed value, say).
    public func asyncMap<T>(_ transform: (Wrapped) async throws -> T) async rethrows -> T? {
        guard let self else { return nil }
        return try await transform(self)
    }
}
