import Synchronization
#if canImport(Glibc)
import Glibc
#endif
import Testing
@testable import NPCRuntime

/// The pool, the workers and the event queue under load (also run under TSan:
/// `swift test --sanitize=thread --filter ConcurrencyTests`).
@Suite struct ConcurrencyTests {
    @Test(arguments: [1, 2, 3, 4])
    func poolRunsEveryChunkExactlyOnce(threads: Int) {
        let pool = ThreadPool(count: threads)
        for chunks in [1, 2, 7, 64, 1000] {
            let counts = UnsafeMutableBufferPointer<Int>.allocate(capacity: chunks)
            counts.initialize(repeating: 0)
            defer { counts.deallocate() }
            for _ in 0..<20 {
                pool.run(chunks: chunks) { c, thread in
                    #expect(thread >= 0 && thread < pool.activeCount)
                    counts[c] += 1  // each chunk has one owner: no race
                }
            }
            #expect(counts.allSatisfy { $0 == 20 }, "\(chunks) chunks on \(threads) threads")
        }
    }

    @Test func parallelForCoversTheRangeWithoutOverlap() {
        let pool = ThreadPool(count: 3)
        for total in [0, 1, 5, 13, 1024] {
            let hits = UnsafeMutableBufferPointer<Int>.allocate(capacity: max(1, total))
            hits.initialize(repeating: 0)
            defer { hits.deallocate() }
            pool.parallelFor(total) { range in for i in range { hits[i] += 1 } }
            #expect(hits.prefix(total).allSatisfy { $0 == 1 })
        }
    }

    @Test func poolsComeAndGo() {
        for _ in 0..<50 {
            let pool = ThreadPool(count: 3)
            let sum = Atomic<Int>(0)
            pool.run(chunks: 10) { c, _ in sum.add(c, ordering: .relaxed) }
            #expect(sum.load(ordering: .relaxed) == 45)
        }
    }

    @Test func serialWorkerKeepsOrderAndStops() {
        let worker = SerialWorker(capacity: 1000)
        let queue = EventQueue()
        for i in 0..<500 {
            #expect(worker.submit { queue.push(RuntimeEvent(kind: .text, turnID: UInt64(i))) })
        }
        let done = Atomic<Bool>(false)
        worker.submit { done.store(true, ordering: .releasing) }
        while !done.load(ordering: .acquiring) { usleep(100) }
        var seen: [UInt64] = []
        while let e = queue.poll() { seen.append(e.turnID) }
        #expect(seen == (0..<500).map { UInt64($0) })
        worker.stop()
        #expect(!worker.submit {})
    }

    @Test func eventQueueIsBoundedAndCountsAudio() {
        let q = EventQueue(capacity: 3)
        var audio = RuntimeEvent(kind: .audio)
        audio.samples = [0, 0.5, -0.5]
        #expect(q.push(audio) && q.push(audio) && q.push(RuntimeEvent(kind: .text)))
        #expect(!q.push(audio) && !q.push(RuntimeEvent(kind: .viseme)))  // the stream is full
        #expect(q.queuedSamples == 6)
        // a turn's end and a call the game must answer still get in, up to a reserve
        #expect(q.push(RuntimeEvent(kind: .done)) && q.push(RuntimeEvent(kind: .toolCall)) && q.push(RuntimeEvent(kind: .error)))
        #expect(!q.push(RuntimeEvent(kind: .done)))
        _ = q.poll()
        #expect(q.queuedSamples == 3 && q.count == 5)
    }

    @Test func manyProducersOneConsumer() {
        let q = EventQueue(capacity: 100_000)
        let workers = (0..<4).map { _ in SerialWorker() }
        for (w, worker) in workers.enumerated() {
            worker.submit {
                for i in 0..<2000 { q.push(RuntimeEvent(kind: .text, npcID: UInt64(w), turnID: UInt64(i))) }
            }
        }
        var last = [Int](repeating: -1, count: 4)
        var received = 0
        let start = monotonicMs()
        while received < 8000 && monotonicMs() - start < 30_000 {
            guard let e = q.poll() else { continue }
            // per producer, events arrive in the order they were pushed
            #expect(Int(e.turnID) == last[Int(e.npcID)] + 1)
            last[Int(e.npcID)] = Int(e.turnID)
            received += 1
        }
        #expect(received == 8000)
        for w in workers { w.stop() }
    }
}
