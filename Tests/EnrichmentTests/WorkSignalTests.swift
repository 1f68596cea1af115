import Foundation
import Testing
@testable import Enrichment

@Suite("Work signal")
struct WorkSignalTests {
    @Test("a wake between a worker's look and its wait is not lost: the wait since the mark returns at once")
    func wakeBeforeWait() async {
        let signal = WorkSignal()
        let mark = signal.mark
        signal.wake()  // new work announced while the worker was still looking
        let clock = ContinuousClock()
        let started = clock.now
        await signal.wait(timeout: .seconds(60), since: mark)
        #expect(clock.now - started < .seconds(30), "the wait ran to its timeout: the wake was lost")
    }

    @Test("a wake before the mark was seen by the look: the wait lasts its timeout")
    func wakeBeforeMark() async {
        let signal = WorkSignal()
        signal.wake()
        let mark = signal.mark
        let clock = ContinuousClock()
        let started = clock.now
        await signal.wait(timeout: .milliseconds(200), since: mark)
        #expect(clock.now - started >= .milliseconds(200), "the wait returned for a wake older than its mark")
    }
}
