import Foundation
import HTTPTypes
import Hummingbird

/// JSON in and out: sorted keys and ISO 8601 instants, so responses are stable.
enum APIJSON {
    static var encoder: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        return encoder
    }

    static var decoder: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }

    /// A JSON response.
    static func response<Value: Encodable>(
        _ value: Value,
        status: HTTPResponse.Status = .ok,
        headers extra: HTTPFields = [:]
    ) throws -> Response {
        var headers = extra
        headers[.contentType] = "application/json"
        return Response(
            status: status,
            headers: headers,
            body: .init(byteBuffer: ByteBuffer(bytes: try encoder.encode(value)))
        )
    }

    /// Decodes the request body (at most the context's upload limit).
    static func decode<Value: Decodable>(
        _ type: Value.Type,
        from request: Request,
        context: HavenRequestContext
    ) async throws
        -> Value
    {
        let buffer = try await request.body.collect(upTo: context.maxUploadSize)
        return try decoder.decode(type, from: Data(buffer: buffer))
    }
}
