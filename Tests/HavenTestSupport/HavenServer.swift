import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A live `haven serve` for end-to-end tests of the CLI: the built binary on a free loopback port,
/// with the environment `cli` carries (the application role's URL and the master key file).
public struct HavenServer: Sendable {
    public let url: String
    let pid: pid_t
    let logPath: String

    /// Starts the server and waits (up to 60 s) until `/ready` answers 200.
    public static func start(_ cli: HavenCLI, directory: String) async throws -> HavenServer {
        let port = try freePort()
        let logPath = directory + "/serve.log"
        let pid = try cli.spawn(["serve", "--port", "\(port)", "--connections", "4"], logPath: logPath)
        let server = HavenServer(url: "http://127.0.0.1:\(port)", pid: pid, logPath: logPath)
        let deadline = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < deadline {
            if try await server.isReady() { return server }
            var status: Int32 = 0
            if waitpid(pid, &status, WNOHANG) == pid {
                let log = (try? String(contentsOfFile: logPath + ".err", encoding: .utf8)) ?? ""
                throw TestSetupError("haven serve exited before it was ready: \(log.suffix(800))")
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        server.stop()
        throw TestSetupError("haven serve was not ready within 60 s")
    }

    /// Stops the server (SIGTERM, then waits for it).
    public func stop() {
        kill(pid, SIGTERM)
        _ = waitForProgram(pid)
    }

    /// What the server logged on stderr so far.
    public var log: String { (try? String(contentsOfFile: logPath + ".err", encoding: .utf8)) ?? "" }

    private func isReady() async throws -> Bool {
        // A plain TCP request: the test support target does not link an HTTP client.
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { return false }
        defer { close(descriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(url.split(separator: ":").last!)!).bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else { return false }
        let request = "GET /ready HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
        _ = request.withCString { send(descriptor, $0, strlen($0), 0) }
        var buffer = [UInt8](repeating: 0, count: 64)
        let count = recv(descriptor, &buffer, buffer.count, 0)
        guard count > 0 else { return false }
        return String(decoding: buffer[..<count], as: UTF8.self).hasPrefix("HTTP/1.1 200")
    }

    /// A port on 127.0.0.1 nobody listens on right now.
    public static func freePort() throws -> Int {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(descriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(descriptor, $0, length) == 0 && getsockname(descriptor, $0, &length) == 0
            }
        }
        guard bound else { throw TestSetupError("no free port") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
