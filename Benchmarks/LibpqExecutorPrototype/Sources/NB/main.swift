// Measurement prototype for #17 (not Haven code; Swift 5 mode, run by hand with run.sh): a
// primary-key SELECT per operation, one task per connection, done one of three ways:
//   thread  blocking libpq on a dedicated thread per connection (Haven's layer: hop in, hop out);
//   epoll   libpq non-blocking from the calling task, socket readiness on one shared epoll thread
//           that resumes the task on the cooperative pool (one hand-off per statement);
//   loop    libpq non-blocking on one event-loop thread that is also the tasks' TaskExecutor (a
//           resumed task continues on the thread that saw the socket: no hand-off).
// Usage: NB thread|epoll|loop URL CONNECTIONS SECONDS (bench_rows as scripts/bench db makes it).
import CLibPQ
import Foundation
import Glibc
import Synchronization

final class ConnectionThread: SerialExecutor, @unchecked Sendable {
    private let condition = NSCondition()
    private var jobs: [UnownedJob] = []
    init(name: String) {
        let thread = Thread { [self] in run() }
        thread.name = name
        thread.start()
    }
    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        condition.lock(); jobs.append(job); condition.signal(); condition.unlock()
    }
    func asUnownedSerialExecutor() -> UnownedSerialExecutor { UnownedSerialExecutor(ordinary: self) }
    private func run() {
        var batch: [UnownedJob] = []
        while true {
            condition.lock()
            while jobs.isEmpty { condition.wait() }
            swap(&batch, &jobs)
            condition.unlock()
            for job in batch { job.runSynchronously(on: asUnownedSerialExecutor()) }
            batch.removeAll(keepingCapacity: true)
        }
    }
}

func connect(_ url: String) -> OpaquePointer {
    let c = PQconnectdb(url)!
    precondition(PQstatus(c) == CONNECTION_OK, String(cString: PQerrorMessage(c)))
    let r = PQprepare(c, "s", "SELECT payload FROM bench_rows WHERE id = $1", 0, nil)
    precondition(PQresultStatus(r) == PGRES_COMMAND_OK); PQclear(r)
    return c
}

func params<R>(_ id: Int, _ body: (UnsafePointer<UnsafePointer<CChar>?>) -> R) -> R {
    let s = strdup(String(id))!
    defer { free(s) }
    var values: [UnsafePointer<CChar>?] = [UnsafePointer(s)]
    return values.withUnsafeMutableBufferPointer { body(UnsafePointer($0.baseAddress!)) }
}

actor ThreadConnection {
    let thread: ConnectionThread
    let conn: OpaquePointer
    nonisolated var unownedExecutor: UnownedSerialExecutor { thread.asUnownedSerialExecutor() }
    init(_ url: String, _ n: Int) { thread = ConnectionThread(name: "pg-\(n)"); conn = connect(url) }
    func select(_ id: Int) -> Int {
        let r = params(id) { PQexecPrepared(conn, "s", 1, $0, nil, nil, 1) }!
        precondition(PQresultStatus(r) == PGRES_TUPLES_OK)
        let n = Int(PQntuples(r)); PQclear(r); return n
    }
}

/// One epoll thread; a task waits for its socket to become readable with a continuation.
final class EventLoop: @unchecked Sendable {
    let epfd = epoll_create1(0)
    let waiters = Mutex<[Int32: CheckedContinuation<Void, Never>]>([:])
    init() {
        let t = Thread { [self] in run() }
        t.name = "epoll"; t.start()
    }
    func readable(_ fd: Int32) async {
        await withCheckedContinuation { (k: CheckedContinuation<Void, Never>) in
            waiters.withLock { $0[fd] = k }
            var ev = epoll_event()
            ev.events = EPOLLIN.rawValue | EPOLLONESHOT.rawValue
            ev.data.fd = fd
            if epoll_ctl(epfd, EPOLL_CTL_MOD, fd, &ev) != 0 {
                precondition(epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) == 0)
            }
        }
    }
    private func run() {
        var events = [epoll_event](repeating: epoll_event(), count: 64)
        while true {
            let n = epoll_wait(epfd, &events, 64, -1)
            if n <= 0 { continue }
            for i in 0..<Int(n) {
                let fd = events[i].data.fd
                let k = waiters.withLock { $0.removeValue(forKey: fd) }
                k?.resume()
            }
        }
    }
}

final class NonBlockingConnection: @unchecked Sendable {
    let conn: OpaquePointer
    let loop: EventLoop
    init(_ url: String, _ loop: EventLoop) {
        conn = connect(url); self.loop = loop
        precondition(PQsetnonblocking(conn, 1) == 0)
    }
    func select(_ id: Int) async -> Int {
        precondition(params(id) { PQsendQueryPrepared(conn, "s", 1, $0, nil, nil, 1) } == 1)
        while PQflush(conn) == 1 { }  // tiny query: never taken in practice
        let fd = PQsocket(conn)
        var rows = 0
        while true {
            while PQisBusy(conn) == 1 {
                await loop.readable(fd)
                precondition(PQconsumeInput(conn) == 1)
            }
            guard let r = PQgetResult(conn) else { break }
            precondition(PQresultStatus(r) == PGRES_TUPLES_OK)
            rows = Int(PQntuples(r)); PQclear(r)
        }
        return rows
    }
}

/// One thread that both runs tasks (a TaskExecutor) and waits for sockets: a continuation resumed
/// here enqueues the task on this same thread, so a statement costs no thread hand-off at all.
final class LoopExecutor: TaskExecutor, @unchecked Sendable {
    let epfd = epoll_create1(0)
    let wakeFD = eventfd(0, Int32(EFD_NONBLOCK))
    struct State { var jobs: [UnownedJob] = []; var sleeping = false }
    let state = Mutex(State())
    var waiters: [Int32: CheckedContinuation<Void, Never>] = [:]  // loop thread only
    init() {
        var ev = epoll_event(); ev.events = EPOLLIN.rawValue; ev.data.fd = wakeFD
        precondition(epoll_ctl(epfd, EPOLL_CTL_ADD, wakeFD, &ev) == 0)
        let t = Thread { [self] in run() }
        t.name = "loop"; t.start()
    }
    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        let wake = state.withLock { s -> Bool in s.jobs.append(job); let w = s.sleeping; s.sleeping = false; return w }
        if wake { var one: UInt64 = 1; _ = write(wakeFD, &one, 8) }
    }
    /// Only from a task running on this loop.
    func readable(_ fd: Int32) async {
        await withCheckedContinuation { (k: CheckedContinuation<Void, Never>) in
            waiters[fd] = k
            var ev = epoll_event()
            ev.events = EPOLLIN.rawValue | EPOLLONESHOT.rawValue
            ev.data.fd = fd
            if epoll_ctl(epfd, EPOLL_CTL_MOD, fd, &ev) != 0 {
                precondition(epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) == 0)
            }
        }
    }
    private func run() {
        var events = [epoll_event](repeating: epoll_event(), count: 64)
        var batch: [UnownedJob] = []
        while true {
            let idle = state.withLock { s -> Bool in
                swap(&batch, &s.jobs)
                if batch.isEmpty { s.sleeping = true }
                return batch.isEmpty
            }
            for job in batch { job.runSynchronously(on: asUnownedTaskExecutor()) }
            batch.removeAll(keepingCapacity: true)
            let n = epoll_wait(epfd, &events, 64, idle ? -1 : 0)
            if n <= 0 { continue }
            for i in 0..<Int(n) {
                let fd = events[i].data.fd
                if fd == wakeFD { var v: UInt64 = 0; _ = read(wakeFD, &v, 8); continue }
                waiters.removeValue(forKey: fd)?.resume()
            }
        }
    }
}

final class LoopConnection: @unchecked Sendable {
    let conn: OpaquePointer
    let loop: LoopExecutor
    init(_ url: String, _ loop: LoopExecutor) {
        conn = connect(url); self.loop = loop
        precondition(PQsetnonblocking(conn, 1) == 0)
    }
    func select(_ id: Int) async -> Int {
        precondition(params(id) { PQsendQueryPrepared(conn, "s", 1, $0, nil, nil, 1) } == 1)
        while PQflush(conn) == 1 { }
        let fd = PQsocket(conn)
        var rows = 0
        while true {
            while PQisBusy(conn) == 1 {
                await loop.readable(fd)
                precondition(PQconsumeInput(conn) == 1)
            }
            guard let r = PQgetResult(conn) else { break }
            precondition(PQresultStatus(r) == PGRES_TUPLES_OK)
            rows = Int(PQntuples(r)); PQclear(r)
        }
        return rows
    }
}

let args = CommandLine.arguments
let mode = args[1], url = args[2], connections = Int(args[3])!, seconds = Double(args[4])!
let loop = mode == "epoll" ? EventLoop() : nil
func cpu() -> (Double, Double) {
    var u = rusage(); getrusage(RUSAGE_SELF.rawValue, &u)
    return (Double(u.ru_utime.tv_sec) * 1e6 + Double(u.ru_utime.tv_usec), Double(u.ru_stime.tv_sec) * 1e6 + Double(u.ru_stime.tv_usec))
}
let threadConns = mode == "thread" ? (0..<connections).map { ThreadConnection(url, $0) } : []
let loopExecutor = mode == "loop" ? LoopExecutor() : nil
let loopConns = mode == "loop" ? (0..<connections).map { _ in LoopConnection(url, loopExecutor!) } : []
let nbConns = mode == "epoll" ? (0..<connections).map { _ in NonBlockingConnection(url, loop!) } : []
let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
let (u0, s0) = cpu()
let start = ContinuousClock.now
let total = await withTaskGroup(of: Int.self) { group in
    for w in 0..<connections {
        group.addTask(executorPreference: loopExecutor) {
            var count = 0
            while ContinuousClock.now < deadline {
                let id = Int.random(in: 1...10_000)
                let n: Int
                switch mode {
                case "thread": n = await threadConns[w].select(id)
                case "epoll": n = await nbConns[w].select(id)
                default: n = await loopConns[w].select(id)
                }
                precondition(n == 1)
                count += 1
            }
            return count
        }
    }
    var sum = 0
    for await count in group { sum += count }
    return sum
}
let elapsed = ContinuousClock.now - start
let (u1, s1) = cpu()
let secs = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
print("RESULT \(mode) connections=\(connections) ops=\(total) rate=\(String(format: "%.1f", Double(total) / secs)) user_us_per_op=\(String(format: "%.1f", (u1 - u0) / Double(total))) sys_us_per_op=\(String(format: "%.1f", (s1 - s0) / Double(total)))")
exit(0)
